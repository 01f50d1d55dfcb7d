"""``DistributedSampler``: each rank's share of a dataset, reshuffled per epoch from one seed."""
from __future__ import annotations

from typing import Iterator

import numpy as onp

__all__ = ["DistributedSampler", "rank_seed"]


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank ``rank``'s own draws from the device generator (dropout) and of mixup.

    Rank 0 keeps ``seed`` itself, so a one-process run draws what it always drew; other ranks get
    independent streams derived from (seed, rank).
    """
    if rank == 0:
        return int(seed)
    return int(onp.random.SeedSequence([int(seed), int(rank)]).generate_state(1)[0])


class DistributedSampler:
    """Indices ``perm[rank::num_replicas]`` of one shared permutation per epoch.

    The permutation is the one ``DataLoader(shuffle=True, seed=seed)`` draws, so with batch B per
    rank, step k of all ranks together covers exactly step k of one process with batch
    ``num_replicas * B``, each sample augmented alike (``positions``). With ``pad=True`` the
    order is padded by wrapping around so that every rank gets the same number of indices (the
    same number of steps); ``pad=False`` (evaluation) splits the samples exactly, shares
    differing by at most one.

    Example::

        sampler = DistributedSampler(len(ds), comm.size, comm.rank, shuffle=True, seed=0)
        loader = DataLoader(ds, batch_size=64, sampler=sampler, last_batch="discard")
    """

    def __init__(self, length: int, num_replicas: int, rank: int, shuffle: bool = True,
                 seed: int = 0, pad: bool = True):
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(f"need 0 <= rank < num_replicas, got rank {rank} of {num_replicas}")
        if length < 1:
            raise ValueError("DistributedSampler got an empty dataset")
        self.length, self.num_replicas, self.rank = length, num_replicas, rank
        self.shuffle, self.seed, self.pad = shuffle, seed, pad
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation (the DataLoader calls this for each epoch)."""
        self.epoch = epoch

    def _order(self) -> onp.ndarray:
        if self.shuffle:
            return onp.random.default_rng([self.seed, self.epoch, 0]).permutation(self.length)
        return onp.arange(self.length)

    def __iter__(self) -> Iterator[int]:
        order = self._order()
        if self.pad:
            total = -(-self.length // self.num_replicas) * self.num_replicas
            order = onp.resize(order, total)  # wraps around
        return iter(order[self.rank::self.num_replicas].tolist())

    def positions(self) -> onp.ndarray:
        """Where this rank's indices sit in the shared order: the DataLoader seeds each sample's
        augmentation from it, so rank r's k-th sample is augmented as one process augments the
        same sample (every rank's draws differ, and N ranks x B train what 1 x N*B trains)."""
        return self.rank + self.num_replicas * onp.arange(len(self), dtype=onp.int64)

    def __len__(self) -> int:
        if self.pad:
            return -(-self.length // self.num_replicas)
        return len(range(self.rank, self.length, self.num_replicas))
