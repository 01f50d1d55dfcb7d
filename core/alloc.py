"""Reused buffers for static-allocation replays (``hybridize(static_alloc=True)``).

A fresh NumPy array of a few MB comes from ``mmap`` and is page-faulted in on first write:
measured here, a 100 MB ``multiply`` into a fresh array takes about twice as long as into a
reused one. A replay of a static graph asks for the same shapes call after call, so ops take
their large buffers from ``empty``, which, inside ``pooled(pool)``, hands back a pooled buffer of
that shape that nothing references any more (its reference count shows only the pool holds it;
a live view or a saved-for-backward array keeps it taken). Outside a pool it is ``xp.empty``.
"""
from __future__ import annotations

import contextlib
import sys
import threading

import numpy

__all__ = ["BufferPool", "empty", "pooled"]


class _State(threading.local):
    pool = None


_state = _State()


class BufferPool:
    """Buffers by (shape, dtype); each is handed out again once nothing else references it."""

    def __init__(self):
        self._buffers: dict = {}

    def empty(self, shape: tuple, dtype) -> numpy.ndarray:
        bufs = self._buffers.setdefault((shape, dtype), [])
        for buf in bufs:
            # NOTE: 3 = the list, the loop variable and getrefcount's own argument.
            if sys.getrefcount(buf) == 3:
                return buf
        buf = numpy.empty(shape, dtype)
        bufs.append(buf)
        return buf

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for bufs in self._buffers.values() for b in bufs)


def empty(shape, dtype, xp=numpy):
    """``xp.empty(shape, dtype)``, from the active pool when there is one (CPU arrays)."""
    pool = _state.pool
    if pool is None or xp is not numpy:
        return xp.empty(shape, dtype)
    return pool.empty(tuple(shape), numpy.dtype(dtype))


@contextlib.contextmanager
def pooled(pool: BufferPool | None):
    """Ops inside take their buffers from ``pool`` (``None``: a no-op scope)."""
    prev = _state.pool
    _state.pool = pool
    try:
        yield
    finally:
        _state.pool = prev
