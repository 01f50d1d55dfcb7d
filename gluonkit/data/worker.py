"""What a DataLoader worker process does: make whole batches and hand them back in shared memory.

Each batch's arrays go into one ``multiprocessing.shared_memory`` block named after the loader and
the task, so the loader can copy it out (no pickled arrays) and can unlink any block a stopped or
killed worker left behind. The blocks stay registered with the resource tracker the loader shares
with its workers, which unlinks whatever is left if the whole process tree is killed.
"""
from __future__ import annotations

import os
import pickle
import queue
import signal
import traceback
from multiprocessing import shared_memory
from typing import Any, Callable, Sequence

import numpy as onp

from .sample_streams import SampleStreams

__all__ = ["make_batch", "sample_rng", "write_shared", "read_shared", "unlink_shared",
           "worker_loop"]


def sample_rng(seed: int, epoch: int, position: int) -> onp.random.Generator:
    """The generator of the sample at ``position`` in an epoch's order.

    NOTE: SeedSequence pads entropy with zeros, so [s, e] and [s, e, 0] seed the same stream; the
    tag 1 keeps these apart from the shuffle's [s, e, 0].
    """
    return onp.random.default_rng([seed, epoch, 1, position])


def make_batch(dataset: Any, indices: Sequence[int], seed: int, epoch: int,
               positions: Sequence[int], batchify: Callable, batch_form: bool = False) -> Any:
    """Samples ``indices`` (at ``positions`` of the epoch's order), batched.

    With ``batch_form`` (the loader stacks with ``default_batchify``) a dataset that has a batch
    form (``Dataset.sample_batch``: an in-memory set with the standard transforms) makes the
    whole batch with array operations, drawing what each sample's generator would draw; the
    few samples whose draws it cannot reproduce are made one by one.
    """
    get = getattr(dataset, "sample", None)
    if get is None:
        return batchify([dataset[int(i)] for i in indices])
    if batch_form and SampleStreams.supports(seed, epoch, positions):
        batch = _whole_batch(dataset, onp.asarray(indices), seed, epoch, onp.asarray(positions))
        if batch is not None:
            return batch
    return batchify([get(int(i), sample_rng(seed, epoch, int(pos)))
                     for i, pos in zip(indices, positions)])


def _whole_batch(dataset: Any, indices: onp.ndarray, seed: int, epoch: int,
                 positions: onp.ndarray) -> tuple | None:
    sample_batch = getattr(dataset, "sample_batch", None)
    streams = SampleStreams(seed, epoch, positions)
    batch = sample_batch(indices, streams) if sample_batch is not None else None
    if batch is None:
        return None
    for k in onp.flatnonzero(~streams.exact):
        sample = dataset.sample(int(indices[k]), sample_rng(seed, epoch, int(positions[k])))
        for column, value in zip(batch, sample):
            column[k] = value
    return batch


def write_shared(name: str, batch: Any) -> tuple:
    """Copy a batch (an array or a tuple of arrays) into a new block; return its layout."""
    single = isinstance(batch, onp.ndarray)
    arrays = [batch] if single else [onp.asarray(a) for a in batch]
    if any(a.dtype.hasobject for a in arrays):
        raise TypeError("a batch must hold numeric arrays to travel through shared memory; "
                        "give the DataLoader a batchify_fn that returns them")
    shm = shared_memory.SharedMemory(name=name, create=True,
                                     size=max(sum(a.nbytes for a in arrays), 1))
    layout, offset = [], 0
    try:
        for a in arrays:
            onp.ndarray(a.shape, a.dtype, buffer=shm.buf, offset=offset)[...] = a
            layout.append((a.shape, a.dtype.str, offset))
            offset += a.nbytes
    finally:
        shm.close()
    return single, layout


def read_shared(name: str, layout: tuple, copy: Callable[[onp.ndarray], Any]) -> Any:
    """The batch in block ``name``, copied out by ``copy``; the block is unlinked."""
    single, arrays = layout
    shm = shared_memory.SharedMemory(name=name)
    try:
        out = tuple(copy(onp.ndarray(shape, onp.dtype(dtype), buffer=shm.buf, offset=offset))
                    for shape, dtype, offset in arrays)
    finally:
        shm.close()
        shm.unlink()
    return out[0] if single else out


def unlink_shared(name: str) -> None:
    """Remove block ``name`` if it exists (batches made but never read)."""
    try:
        shm = shared_memory.SharedMemory(name=name)
    except (FileNotFoundError, ValueError):
        return
    shm.close()
    shm.unlink()


def _picklable(exc: BaseException) -> BaseException | None:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - an exception that does not pickle travels as text only
        return None


def worker_loop(dataset: Any, batchify: Callable, batch_form: bool, seed: int, worker_id: int,
                prefix: str, tasks: Any, results: Any, stop: Any, parent_pid: int) -> None:
    """Take (task_id, epoch, positions, indices) from ``tasks`` until told to stop or orphaned."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    # Distinct global seeds for code that draws from np.random / random in a dataset.
    onp.random.seed((seed * 1_000_003 + worker_id + 1) % 2**32)
    __import__("random").seed(seed * 1_000_003 + worker_id + 1)
    while not stop.is_set() and os.getppid() == parent_pid:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            continue
        if task is None:
            return
        task_id, epoch, positions, indices = task
        try:
            batch = make_batch(dataset, indices, seed, epoch, positions, batchify, batch_form)
            results.put((task_id, write_shared(prefix + str(task_id), batch), None, None))
        except Exception as e:  # noqa: BLE001 - shipped to the main process with its traceback
            results.put((task_id, None, traceback.format_exc(), _picklable(e)))
