"""Batches to the GPU without stalls: host-to-device copies on a copy stream, one batch ahead.

With ``DataLoader(..., pin_memory=True)`` batches sit in page-locked host memory, so the copy
of batch k + 1 runs asynchronously on its own stream while step k computes. The compute stream
waits on an event before it reads a batch; the copy stream waits for the compute work already
issued before it writes again, so CuPy's pool never hands a buffer a pending kernel still reads.
On the CPU the batches are only converted (and cast) to gluonkit arrays.
"""
from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator

import numpy as onp

from gluonkit.core.device import Device, on_device
from gluonkit.core.dtypes import resolve
from gluonkit.core.ndarray import ndarray

__all__ = ["DevicePrefetcher"]


def _map(fn, batch):
    if isinstance(batch, (tuple, list)):
        return type(batch)(_map(fn, b) for b in batch)
    return fn(batch)


class DevicePrefetcher:
    """Iterate ``batches`` (NumPy arrays or tuples of them) as gluonkit arrays on ``device``;
    float arrays are cast to ``dtype`` (on the device, after the copy) when it is given.

    Example::

        for x, y in DevicePrefetcher(DataLoader(ds, 256, pin_memory=True), gk.gpu(0)):
            ...
    """

    def __init__(self, batches: Iterable, device: Device, dtype: str | None = None,
                 depth: int = 1):
        if depth < 1:
            raise ValueError(f"depth (batches in flight) must be >= 1, got {depth}")
        self.batches, self.device, self.depth = batches, device, depth
        self.dtype = None if dtype is None else resolve(dtype)

    def _cast(self, a):
        if self.dtype is not None and a.dtype.kind == "f" and a.dtype != self.dtype:
            return a.astype(self.dtype)
        return a

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator:
        if self.device.kind == "cpu":
            for batch in self.batches:
                yield _map(lambda a: ndarray._wrap(self._cast(onp.asarray(a))), batch)
            return
        yield from self._gpu()

    def _gpu(self) -> Iterator:
        cupy = self.device.xp
        with on_device(self.device):
            copy_stream = cupy.cuda.Stream(non_blocking=True)
            pending: deque = deque()  # (device batch, copy-done event, host batch kept alive)
            source = iter(self.batches)

            def issue() -> bool:
                host = next(source, None)
                if host is None:
                    return False
                # NOTE: the compute stream's work so far may read buffers freed since: wait
                copy_stream.wait_event(cupy.cuda.get_current_stream().record())
                with copy_stream:
                    dev = _map(lambda a: self._cast(cupy.asarray(a)), host)
                pending.append((dev, copy_stream.record(), host))
                return True

            for _ in range(self.depth):
                if not issue():
                    break
            while pending:
                dev, done, _host = pending.popleft()
                cupy.cuda.get_current_stream().wait_event(done)
                issue()
                yield _map(ndarray._wrap, dev)
