"""``DataLoader``: seeded shuffling, batching, and worker processes with shared-memory batches.

The epoch's order derives from (seed, epoch) and each sample's augmentation generator from
(seed, epoch, position), so the batches are identical whatever ``num_workers`` is (a sampler may
say the positions: a DistributedSampler's are places in the order all ranks share, so they are
identical whatever the number of ranks is, too). An in-memory dataset with the standard
transforms makes each batch with array operations (``Dataset.sample_batch``), drawing what the
per-sample generators would draw, so its batches are the same too. Workers make whole batches
and write them to shared memory; the main process yields them in order. A worker's exception is
re-raised in the main process with its traceback. Workers stop when the loader is closed,
collected or interrupted (Ctrl-C), and on their own when their parent dies.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue
import secrets
import sys
import time
import weakref
from multiprocessing import resource_tracker
from typing import Any, Callable, Iterable, Iterator

import numpy as onp

from .worker import make_batch, read_shared, unlink_shared, worker_loop

__all__ = ["DataLoader", "default_batchify", "WorkerError"]


class WorkerError(RuntimeError):
    """A data worker failed or died; the message carries the worker's traceback."""


def default_batchify(samples: list) -> Any:
    """Stack samples: ints -> int64, floats -> float32, arrays stacked, tuples column by column.

    Example: ``default_batchify([(img0, 3), (img1, 5)])`` -> ``(stack([img0, img1]), [3, 5])``.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_batchify(list(col)) for col in zip(*samples))
    if isinstance(first, (bool, onp.bool_)):
        return onp.asarray(samples, dtype=bool)
    if isinstance(first, (int, onp.integer)):
        return onp.asarray(samples, dtype=onp.int64)
    if isinstance(first, (float, onp.floating)):
        return onp.asarray(samples, dtype=onp.float32)
    return onp.stack([onp.asarray(s) for s in samples])


def _copy(view: onp.ndarray) -> onp.ndarray:
    return onp.array(view)


def _pinned_copy(view: onp.ndarray) -> Any:
    """A copy in page-locked host memory (fast, asynchronous host-to-GPU transfers)."""
    try:
        import cupyx
        out = cupyx.empty_pinned(view.shape, view.dtype)
    except (ImportError, RuntimeError):  # no CuPy, or CuPy without a CUDA driver (CI machines)
        return onp.array(view)
    out[...] = view
    return out


class _Pool:
    """The worker processes of one loader, their queues, and the tasks still in flight."""

    def __init__(self, loader: "DataLoader"):
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        resource_tracker.ensure_running()  # started here, so the workers share it
        self.prefix = f"gk{secrets.token_hex(4)}_"
        self.tasks, self.results, self.stop = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.inflight: set[int] = set()  # submitted and not yet read or unlinked
        self.next_id = 0
        self.workers = [ctx.Process(
            target=worker_loop, daemon=True, name=f"gluonkit-data-{w}",
            args=(loader.dataset, loader.batchify, loader.batch_form, loader.seed, w, self.prefix,
                  self.tasks, self.results, self.stop, os.getpid()))
            for w in range(loader.num_workers)]
        cv2 = sys.modules.get("cv2")
        threads = cv2.getNumThreads() if cv2 is not None else 0
        if cv2 is not None:
            # NOTE: a child forked while OpenCV's thread pool exists deadlocks when it touches
            # the pool; with one thread at fork time, workers run OpenCV serially (what we want:
            # processes give the parallelism) and never touch it. The parent gets its pool back.
            cv2.setNumThreads(1)
        try:
            for w in self.workers:
                w.start()
        finally:
            if cv2 is not None:
                cv2.setNumThreads(threads)

    def submit(self, epoch: int, positions: onp.ndarray, indices: onp.ndarray) -> int:
        task_id = self.next_id
        self.next_id += 1
        self.inflight.add(task_id)
        self.tasks.put((task_id, epoch, positions, indices))
        return task_id

    def receive(self, wait: float) -> tuple:
        """The next result: (task_id, layout, traceback text, exception)."""
        return self.results.get(timeout=wait)

    def take(self, task_id: int, layout: tuple | None, copy: Callable | None) -> Any:
        """Read task ``task_id``'s batch with ``copy`` (None: drop it); unlink its block."""
        self.inflight.discard(task_id)
        if copy is not None:
            return read_shared(self.prefix + str(task_id), layout, copy)
        if layout is not None:
            unlink_shared(self.prefix + str(task_id))
        return None

    def dead(self) -> list[str]:
        return [f"{w.name} (pid {w.pid}, exit code {w.exitcode})" for w in self.workers
                if not w.is_alive()]

    def close(self) -> None:
        """Stop the workers (terminating any that do not stop) and unlink unread batches."""
        self.stop.set()
        for _ in self.workers:
            try:
                self.tasks.put(None)
            except (OSError, ValueError):
                break
        deadline = time.monotonic() + 5.0
        for w in self.workers:
            w.join(timeout=max(deadline - time.monotonic(), 0.0))
            if w.is_alive():
                w.terminate()
                w.join(timeout=2.0)
        for task_id in self.inflight:
            unlink_shared(self.prefix + str(task_id))
        self.inflight.clear()
        for q in (self.tasks, self.results):
            q.close()
            q.cancel_join_thread()


class DataLoader:
    """Batches from a dataset, in the main process or in ``num_workers`` worker processes.

    ``last_batch``: 'keep' a short final batch, 'discard' it, or 'rollover' its samples into the
    next epoch. ``prefetch`` batches per worker are made ahead. ``timeout`` (seconds, 0 = none)
    bounds the wait for one batch. ``pin_memory`` copies batches into page-locked memory when
    CuPy is installed. Call ``set_epoch(e)`` to reproduce epoch ``e``; otherwise each iteration
    advances the epoch.

    Example::

        loader = DataLoader(MNIST().transform_first(presets.mnist(train=True)), batch_size=64,
                            shuffle=True, num_workers=2, seed=0)
        for x, y in loader:      # NumPy arrays: x float32 (64, 1, 28, 28), y int64 (64,)
            ...
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 sampler: Iterable[int] | None = None, last_batch: str = "keep",
                 num_workers: int = 0, prefetch: int = 2, seed: int = 0,
                 pin_memory: bool = False, batchify_fn: Callable | None = None,
                 timeout: float = 0):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if last_batch not in ("keep", "discard", "rollover"):
            raise ValueError(f"last_batch must be 'keep', 'discard' or 'rollover', got "
                             f"{last_batch!r}")
        if sampler is not None and shuffle:
            raise ValueError("give either shuffle=True or a sampler, not both")
        if num_workers < 0 or prefetch < 1 or seed < 0:
            raise ValueError(f"need num_workers >= 0, prefetch >= 1 and seed >= 0, got "
                             f"{num_workers}, {prefetch}, {seed}")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.sampler, self.last_batch = sampler, last_batch
        self.num_workers, self.prefetch, self.seed = num_workers, prefetch, seed
        self.timeout, self.pin_memory = timeout, pin_memory
        self.batchify = batchify_fn or default_batchify
        # The default stacking is what a dataset's batch form gives (Dataset.sample_batch).
        self.batch_form = batchify_fn is None
        self._epoch = 0
        self._carry = onp.zeros(0, dtype=onp.int64)
        self._pool: _Pool | None = None
        self._finalizer: weakref.finalize | None = None

    def to(self, device, dtype: str | None = None):
        """This loader's batches as arrays on ``device``, the next one's copy in flight on a
        copy stream (gluonkit/data/device_prefetch.py); pair with ``pin_memory=True``."""
        from .device_prefetch import DevicePrefetcher
        return DevicePrefetcher(self, device, dtype)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce epoch ``epoch``'s order and augmentation."""
        self._epoch = epoch

    def _order(self, epoch: int) -> onp.ndarray:
        if self.sampler is not None:
            if hasattr(self.sampler, "set_epoch"):  # a sampler that reshuffles per epoch
                self.sampler.set_epoch(epoch)
            return onp.asarray(list(iter(self.sampler)), dtype=onp.int64)
        if self.shuffle:
            return onp.random.default_rng([self.seed, epoch, 0]).permutation(len(self.dataset))
        return onp.arange(len(self.dataset))

    def _positions(self, carried: int, own: int) -> onp.ndarray:
        """Each sample's position in the epoch, which seeds its augmentation: its place in the
        order, or what the sampler says (a DistributedSampler gives the place in the order all
        ranks share, so a sample is augmented alike whatever the number of ranks)."""
        given = getattr(self.sampler, "positions", None)
        if given is None:
            return onp.arange(carried + own)
        return onp.concatenate([onp.arange(carried), onp.asarray(given(), dtype=onp.int64)])

    def _batches(self, epoch: int) -> list[tuple[onp.ndarray, onp.ndarray]]:
        """(indices, positions) of each batch of the epoch."""
        order = self._order(epoch)
        carried = len(self._carry) if self.last_batch == "rollover" else 0
        if carried:
            order = onp.concatenate([self._carry, order])
        positions = self._positions(carried, len(order) - carried)
        b = self.batch_size
        n_full = len(order) // b
        batches = [(order[i * b:(i + 1) * b], positions[i * b:(i + 1) * b])
                   for i in range(n_full)]
        rest = order[n_full * b:]
        if self.last_batch == "keep" and len(rest):
            batches.append((rest, positions[n_full * b:]))
        self._carry = rest if self.last_batch == "rollover" else self._carry[:0]
        return batches

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.last_batch == "keep":
            return -(-n // self.batch_size)
        if self.last_batch == "rollover":
            n += len(self._carry)
        return n // self.batch_size

    def __iter__(self) -> Iterator:
        epoch = self._epoch
        self._epoch += 1
        batches = self._batches(epoch)
        if self.num_workers == 0:
            copy = _pinned_copy if self.pin_memory else None
            for indices, positions in batches:
                batch = make_batch(self.dataset, indices, self.seed, epoch, positions,
                                   self.batchify, self.batch_form)
                yield _apply(copy, batch) if copy else batch
            return
        yield from self._parallel(batches, epoch)

    def _parallel(self, batches: list[tuple], epoch: int) -> Iterator:
        if self._pool is None:
            self._pool = _Pool(self)
            self._finalizer = weakref.finalize(self, _Pool.close, self._pool)
        pool, copy = self._pool, _pinned_copy if self.pin_memory else _copy
        ids: list[int] = []
        done: dict[int, Any] = {}  # task id -> layout, or the WorkerError to raise
        try:
            for k in range(len(batches)):
                while len(ids) < len(batches) and len(ids) - k < self.num_workers * self.prefetch:
                    indices, positions = batches[len(ids)]
                    ids.append(pool.submit(epoch, positions, indices))
                while ids[k] not in done:
                    self._wait(pool, ids, done)
                if isinstance(done[ids[k]], WorkerError):  # raised in order, as it would be
                    raise done.pop(ids[k])
                yield pool.take(ids[k], done.pop(ids[k]), copy)
        except GeneratorExit:
            # The loop was left early: drop what was made; tasks still in flight are dropped
            # when they arrive (in a later epoch) or at close.
            for task_id, layout in done.items():
                pool.take(task_id, None if isinstance(layout, WorkerError) else layout, None)
            raise
        except BaseException:
            self.close()
            raise

    def _wait(self, pool: _Pool, ids: list[int], done: dict) -> None:
        """Receive one result into ``done``; raise on a worker error, death or timeout."""
        waited = 0.0
        while True:
            try:
                task_id, layout, text, exc = pool.receive(1.0)
                break
            except queue.Empty:
                waited += 1.0
                dead = pool.dead()
                if dead:
                    raise WorkerError(f"data worker(s) exited unexpectedly: {', '.join(dead)}")
                if self.timeout and waited >= self.timeout:
                    raise WorkerError(f"no batch from the data workers in {self.timeout}s")
        if task_id < ids[0]:  # left over from an epoch that was abandoned
            pool.take(task_id, layout, None)
            return
        if text is None:
            done[task_id] = layout
            return
        error = WorkerError(f"a data worker failed on batch {ids.index(task_id)}; its "
                            f"traceback:\n{text}")
        error.__cause__ = exc  # the worker's exception itself, when it could be pickled
        done[task_id] = error

    def close(self) -> None:
        """Stop the worker processes (also done on errors, on collection and at exit)."""
        if self._finalizer is not None:
            self._finalizer()
        self._pool, self._finalizer = None, None

    def __enter__(self) -> "DataLoader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _apply(fn: Callable, batch: Any) -> Any:
    if isinstance(batch, onp.ndarray):
        return fn(batch)
    return tuple(fn(a) for a in batch)
