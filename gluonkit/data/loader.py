"""``DataLoader``: seeded shuffling, batching and worker processes with shared-memory batches.

The order of samples and every sample's augmentation generator derive from (seed, epoch, index),
so the batches are identical whatever ``num_workers`` is. Workers write each finished batch into
a ``multiprocessing.shared_memory`` block (no pickled arrays) and the main process yields them in
order. A worker's exception is re-raised in the main process with its traceback; workers exit
when the loader is closed, garbage-collected, interrupted, or when their parent dies.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import traceback
from multiprocessing import resource_tracker, shared_memory

import numpy as onp

__all__ = ["DataLoader", "default_batchify", "WorkerError"]


class WorkerError(RuntimeError):
    """A data worker failed; the message carries the worker's traceback."""


def default_batchify(samples):
    """Stack a list of (x, y, ...) tuples into a tuple of arrays (float32 data, int64 labels)."""
    columns = list(zip(*samples))
    out = []
    for col in columns:
        first = col[0]
        if isinstance(first, (int, onp.integer)):
            out.append(onp.asarray(col, dtype=onp.int64))
        elif isinstance(first, (float, onp.floating)):
            out.append(onp.asarray(col, dtype=onp.float32))
        else:
            out.append(onp.stack(col))
    return tuple(out)


def _sample(dataset, idx, seed, epoch):
    rng = onp.random.default_rng([seed, epoch, idx])
    get = getattr(dataset, "get", None)
    return get(idx, rng) if get is not None else dataset[idx]


def _make_batch(dataset, indices, seed, epoch, batchify):
    return batchify([_sample(dataset, int(i), seed, epoch) for i in indices])


def _to_shared(arrays):
    """Copy arrays into one shared-memory block; return (name, [(shape, dtype, offset)])."""
    total = sum(a.nbytes for a in arrays)
    shm = shared_memory.SharedMemory(create=True, size=max(total, 1))
    layout, offset = [], 0
    for a in arrays:
        view = onp.ndarray(a.shape, a.dtype, buffer=shm.buf, offset=offset)
        view[...] = a
        layout.append((a.shape, a.dtype.str, offset))
        offset += a.nbytes
    name = shm.name
    shm.close()
    # NOTE: the main process unlinks the block; before Python 3.13 creating one also registers
    # it with the resource tracker, which would then warn of a "leak" at exit.
    resource_tracker.unregister(shm._name, "shared_memory")
    return name, layout


def _from_shared(name, layout, pin):
    shm = shared_memory.SharedMemory(name=name)
    try:
        out = []
        for shape, dtype, offset in layout:
            view = onp.ndarray(shape, onp.dtype(dtype), buffer=shm.buf, offset=offset)
            out.append(pin(view))
        return tuple(out)
    finally:
        shm.close()
        shm.unlink()


def _worker_loop(dataset, batchify, seed, tasks, results, parent_pid, worker_id):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the main process
    onp.random.seed((seed * 7919 + worker_id) % 2**32)  # distinct seeds for stray np.random use
    while True:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return
            continue
        if task is None:
            return
        batch_id, epoch, indices = task
        try:
            arrays = _make_batch(dataset, indices, seed, epoch, batchify)
            results.put((batch_id, _to_shared(arrays), None))
        except Exception:  # noqa: BLE001 - shipped to the main process with its traceback
            results.put((batch_id, None, traceback.format_exc()))


def _copy(view):
    return onp.array(view)


def _pinned_copy(view):
    try:
        import cupyx
    except ImportError:
        return onp.array(view)
    out = cupyx.empty_pinned(view.shape, view.dtype)
    out[...] = view
    return out


class DataLoader:
    """Batches from a dataset.

    Example::

        loader = DataLoader(MNIST(train=True).transform_first(presets.mnist(train=True)),
                            batch_size=64, shuffle=True, num_workers=2, seed=0)
        for x, y in loader:      # NumPy arrays: x float32 NCHW, y int64
            ...
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, sampler=None,
                 last_batch: str = "keep", num_workers: int = 0, prefetch: int = 2,
                 seed: int = 0, pin_memory: bool = False, batchify_fn=None, timeout: float = 120):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if last_batch not in ("keep", "discard", "rollover"):
            raise ValueError(f"last_batch must be 'keep', 'discard' or 'rollover', got "
                             f"{last_batch!r}")
        if sampler is not None and shuffle:
            raise ValueError("give either shuffle=True or a sampler, not both")
        if num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {num_workers}")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.sampler, self.last_batch = sampler, last_batch
        self.num_workers, self.prefetch = num_workers, max(prefetch, 1)
        self.seed, self.timeout = seed, timeout
        self._pin = _pinned_copy if pin_memory else _copy
        self.batchify = batchify_fn or default_batchify
        self._epoch = 0
        self._carry = onp.zeros(0, dtype=onp.int64)
        self._pool = None

    def set_epoch(self, epoch: int) -> None:
        """Fix the epoch whose order and augmentation the next iteration produces."""
        self._epoch = epoch

    def _order(self, epoch):
        if self.sampler is not None:
            return onp.asarray(list(iter(self.sampler)), dtype=onp.int64)
        if self.shuffle:
            return onp.random.default_rng([self.seed, epoch]).permutation(len(self.dataset))
        return onp.arange(len(self.dataset))

    def _batches(self, epoch):
        order = self._order(epoch)
        if self.last_batch == "rollover":
            order = onp.concatenate([self._carry, order])
        n_full = len(order) // self.batch_size
        batches = [order[i * self.batch_size:(i + 1) * self.batch_size] for i in range(n_full)]
        rest = order[n_full * self.batch_size:]
        if self.last_batch == "keep" and len(rest):
            batches.append(rest)
        self._carry = rest if self.last_batch == "rollover" else self._carry[:0]
        return batches

    def __len__(self):
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.last_batch == "keep":
            return -(-n // self.batch_size)
        return n // self.batch_size

    def __iter__(self):
        epoch = self._epoch
        self._epoch += 1
        batches = self._batches(epoch)
        if self.num_workers == 0:
            for indices in batches:
                yield _make_batch(self.dataset, indices, self.seed, epoch, self.batchify)
            return
        yield from self._parallel(batches, epoch)

    # ------------------------------------------------------------------ workers
    def _start(self):
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        tasks, results = ctx.Queue(), ctx.Queue()
        workers = [ctx.Process(target=_worker_loop, daemon=True,
                               args=(self.dataset, self.batchify, self.seed, tasks, results,
                                     os.getpid(), w)) for w in range(self.num_workers)]
        for w in workers:
            w.start()
        self._pool = (workers, tasks, results)

    def _parallel(self, batches, epoch):
        if self._pool is None:
            self._start()
        workers, tasks, results = self._pool
        done, sent, nxt = {}, 0, 0
        limit = self.num_workers * self.prefetch
        try:
            while nxt < len(batches):
                while sent < len(batches) and sent - nxt < limit:
                    tasks.put((sent, epoch, batches[sent]))
                    sent += 1
                while nxt not in done:
                    try:
                        batch_id, shm, error = results.get(timeout=self.timeout)
                    except queue.Empty:
                        dead = [w.pid for w in workers if not w.is_alive()]
                        raise WorkerError(f"no batch from the data workers in {self.timeout}s"
                                          + (f"; workers {dead} died" if dead else "")) from None
                    if error is not None:
                        raise WorkerError(f"a data worker failed on batch {batch_id}:\n{error}")
                    done[batch_id] = shm
                name, layout = done.pop(nxt)
                yield _from_shared(name, layout, self._pin)
                nxt += 1
        except BaseException:
            self._drain(results, done)
            self.close()
            raise

    @staticmethod
    def _drain(results, done):
        """Unlink shared blocks of batches that were made but will not be used."""
        pending = list(done.values())
        while True:
            try:
                _, shm, _ = results.get(timeout=0.05)
            except (queue.Empty, OSError, ValueError):
                break
            if shm is not None:
                pending.append(shm)
        for name, _ in pending:
            try:
                block = shared_memory.SharedMemory(name=name)
                block.close()
                block.unlink()
            except FileNotFoundError:
                pass

    def close(self) -> None:
        """Stop the worker processes (also done on garbage collection and on errors)."""
        if self._pool is None:
            return
        workers, tasks, results = self._pool
        self._pool = None
        for _ in workers:
            try:
                tasks.put(None)
            except (OSError, ValueError):
                break
        for w in workers:
            w.join(timeout=2)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1)
        for q in (tasks, results):
            q.close()
            q.cancel_join_thread()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
