"""``GradientReducer``: average gradients over ranks in a few large flat buffers (buckets).

Called by ``Trainer.update`` before the optimizer runs. First the ranks agree which parameters
got a gradient this step (a parameter left out of one rank's graph still gets the others'
contribution, with zeros from that rank), so every rank applies the same update. Then the
gradients are copied into flat per-dtype buckets of about ``bucket_mb`` MiB, each allreduced in
one call (far fewer, larger messages than one per parameter), divided by the number of ranks and
copied back.

NOTE: the buckets are reduced after the whole backward. Overlapping them with the rest of backward
needs a per-leaf gradient hook in the autograd core; on CPUs the MPI progress it would overlap
with runs on the same cores, so it would not pay there.
"""
from __future__ import annotations

import time

import numpy as onp

from gluonkit.core.device import get_array_module
from gluonkit.core.ndarray import as_raw

__all__ = ["GradientReducer", "plan_buckets"]


def plan_buckets(sizes: list[int], dtypes: list, bucket_bytes: int) -> list[list[int]]:
    """Group parameter positions into buckets of one dtype and at most ``bucket_bytes`` each
    (a parameter larger than that gets a bucket of its own), keeping the given order."""
    buckets: list[list[int]] = []
    open_by_dtype: dict = {}  # dtype -> (bucket index, bytes so far)
    for i, (n, dt) in enumerate(zip(sizes, dtypes)):
        nbytes = n * dt.itemsize
        slot = open_by_dtype.get(dt)
        if slot is None or slot[1] + nbytes > bucket_bytes:
            buckets.append([i])
            open_by_dtype[dt] = (len(buckets) - 1, nbytes)
        else:
            buckets[slot[0]].append(i)
            open_by_dtype[dt] = (slot[0], slot[1] + nbytes)
    return buckets


class GradientReducer:
    """Averages the gradients of a Trainer's parameters over ``comm``'s ranks.

    ``seconds`` accumulates the time spent reducing (the benchmark reports its share of a step).
    """

    def __init__(self, comm, bucket_mb: float = 25.0):
        self.comm = comm
        self.bucket_bytes = int(bucket_mb * 2**20)
        self.seconds = 0.0
        self._plans: dict = {}  # key of the reduced set -> (buckets, flat buffers)

    def __call__(self, params: list, fresh: list[bool]) -> list[bool]:
        """Average the gradients in place; returns which parameters every rank updates."""
        if self.comm.size == 1:
            return list(fresh)
        start = time.perf_counter()
        agreed = self._agree(fresh)
        chosen = [i for i, f in enumerate(agreed) if f]
        grads = [as_raw(params[i].grad()) for i in chosen]
        buckets, buffers = self._plan(tuple(chosen), grads)
        for bucket, flat in zip(buckets, buffers):
            self._reduce_bucket([grads[k] for k in bucket], [fresh[chosen[k]] for k in bucket],
                                flat)
        self.seconds += time.perf_counter() - start
        return agreed

    def _agree(self, fresh: list[bool]) -> list[bool]:
        """A parameter is updated when any rank computed its gradient this step."""
        flags = onp.array(fresh, dtype=onp.int32)
        self.comm.allreduce(flags, "max")
        return [bool(f) for f in flags]

    def _plan(self, key: tuple, grads: list):
        plan = self._plans.get(key)
        if plan is None:
            buckets = plan_buckets([g.size for g in grads], [g.dtype for g in grads],
                                   self.bucket_bytes)
            buffers = []
            for bucket in buckets:
                xp = get_array_module(grads[bucket[0]])
                buffers.append(xp.empty(sum(grads[k].size for k in bucket), grads[bucket[0]].dtype))
            plan = self._plans[key] = (buckets, buffers)
        return plan

    def _reduce_bucket(self, grads: list, fresh: list[bool], flat) -> None:
        offset = 0
        for g, f in zip(grads, fresh):
            part = flat[offset:offset + g.size]
            if f:
                part[...] = g.reshape(-1)
            else:  # stale on this rank: it contributes nothing, not last step's gradient
                part[...] = 0
            offset += g.size
        self.comm.allreduce(flat)
        flat /= self.comm.size
        offset = 0
        for g in grads:
            g[...] = flat[offset:offset + g.size].reshape(g.shape)
            offset += g.size
