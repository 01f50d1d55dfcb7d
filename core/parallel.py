"""Multi-core elementwise work on the CPU: NumPy ufuncs release the GIL but use one core.

Large arrays are cut into blocks along one axis; the calling thread and a small pool of helpers
take blocks from one queue until none is left. A block of ~256K elements stays in cache, so a
chain of passes over one block (batch norm's centre, scale, shift) mostly reads main memory once.
CuPy arrays, small arrays and calls made from inside a block run inline, unchanged.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable

import numpy

from . import alloc

__all__ = ["num_threads", "for_blocks", "ufunc", "copy", "MIN_PARALLEL_SIZE", "BLOCK_SIZE"]

# NOTE: measured on the 2-core machines: waking a helper costs 20-60 us, so an in-place ReLU over
# 128K-256K float32 ran 1.5-2x slower split than inline; from 512K elements on, split wins.
MIN_PARALLEL_SIZE = 1 << 19  # elements; below this the thread hand-off costs more than it saves
BLOCK_SIZE = 1 << 18  # elements per block (1 MiB of float32)

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_inside = threading.local()  # set while this thread runs a block: nested calls run inline


def num_threads() -> int:
    """Worker threads: ``GLUONKIT_NUM_THREADS`` or the number of CPUs this process may use."""
    env = os.environ.get("GLUONKIT_NUM_THREADS")
    if env:
        return max(1, int(env))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _executor(helpers: int) -> ThreadPoolExecutor:
    """The helper pool, grown to ``helpers`` threads (the caller is the remaining one)."""
    global _pool, _pool_size
    if _pool_size < helpers:
        old, _pool = _pool, ThreadPoolExecutor(helpers, thread_name_prefix="gluonkit")
        _pool_size = helpers
        if old is not None:
            old.shutdown(wait=False)
    return _pool


def _blocks(length: int, size: int, threads: int) -> list[slice]:
    """Split range(length) into >= ``threads`` near-equal slices of about BLOCK_SIZE elements."""
    count = min(length, max(threads, -(-size // BLOCK_SIZE)))
    per_block = -(-length // count)
    return [slice(i, min(i + per_block, length)) for i in range(0, length, per_block)]


def for_blocks(fn: Callable[[slice], object], length: int, size: int, xp=numpy) -> list:
    """Call ``fn(block)`` for slices covering range(length); ``size`` is the total elements.

    The caller and the pool's helpers share the blocks when ``xp`` is NumPy, the work is large
    and there is more than one core; ``fn`` must write disjoint parts of its outputs. Returns the
    results in order.

    Example::

        for_blocks(lambda s: numpy.multiply(a[:, s], 2, out=y[:, s]), a.shape[1], a.size)
    """
    threads = num_threads()
    if xp is not numpy or size < MIN_PARALLEL_SIZE or threads == 1 or length < 2 or \
            getattr(_inside, "active", False):
        return [fn(slice(0, length))]
    blocks = _blocks(length, size, threads)
    results = [None] * len(blocks)
    queue = iter(range(len(blocks)))  # next() on it is atomic under the GIL

    def drain():
        _inside.active = True
        try:
            for i in queue:
                results[i] = fn(blocks[i])
        finally:
            _inside.active = False

    helpers = min(threads, len(blocks)) - 1
    pending = [_executor(helpers).submit(drain) for _ in range(helpers)]
    try:
        drain()
    finally:
        wait(pending)  # no helper may still write into the outputs when this returns
    for p in pending:
        p.result()  # re-raises a helper's error
    return results


def _cut(a, axis: int, ndim: int, block: slice):
    """The part of broadcast operand ``a`` that lines up with ``block`` of the output's axis."""
    if not isinstance(a, numpy.ndarray) or a.ndim == 0:
        return a
    own = axis - (ndim - a.ndim)
    if own < 0 or a.shape[own] == 1:
        return a
    return a[(slice(None),) * own + (block,)]


def ufunc(f: numpy.ufunc, *args, out=None, axis: int = 0):
    """``f(*args, out=out)`` with broadcasting, split along ``axis`` across threads on the CPU.

    Example::

        y = parallel.ufunc(numpy.maximum, x, 0, out=x)   # in-place ReLU on both cores
    """
    arrays = [a for a in args if hasattr(a, "shape")]
    if arrays and not all(isinstance(a, numpy.ndarray) for a in arrays):
        return f(*args) if out is None else f(*args, out=out)
    shape = numpy.broadcast_shapes(*(a.shape for a in arrays))
    if out is None:
        if int(numpy.prod(shape)) < MIN_PARALLEL_SIZE:
            return f(*args)
        probe = f(*[a.reshape(-1)[:1] if hasattr(a, "shape") and a.size else a for a in args])
        out = alloc.empty(shape, probe.dtype)
    if not shape:
        return f(*args, out=out)

    def run(block):
        f(*[_cut(a, axis, len(shape), block) for a in args], out=_cut(out, axis, len(shape), block))

    for_blocks(run, shape[axis], out.size)
    return out


def copy(dst, src, axis: int = 0) -> None:
    """``dst[...] = src`` (src broadcast to dst), split along ``axis`` across threads on the CPU.

    Example::

        parallel.copy(y, yt.transpose(1, 0, 2, 3), axis=1)   # a layout change on both cores
    """
    def run(block):
        dst[(slice(None),) * axis + (block,)] = _cut(src, axis, dst.ndim, block)

    for_blocks(run, dst.shape[axis], dst.size, numpy if isinstance(dst, numpy.ndarray) else None)
