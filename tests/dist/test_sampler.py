"""DistributedSampler and per-rank seeds."""
import numpy as onp
import pytest

from gluonkit.data import DataLoader
from gluonkit.dist import DistributedSampler, rank_seed


class Range:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i

    def sample(self, i, rng):
        """The index with one augmentation draw: which stream augmented it."""
        return i, rng.random()


def test_step_k_of_all_ranks_is_step_k_of_one_process_with_the_global_batch():
    n, b, ranks = 40, 4, 2
    one = DataLoader(Range(n), batch_size=b * ranks, shuffle=True, seed=3, last_batch="discard")
    shards = [DataLoader(Range(n), batch_size=b, last_batch="discard", seed=3,
                         sampler=DistributedSampler(n, ranks, r, seed=3)) for r in range(ranks)]
    for epoch in (0, 1):
        for loader in [one] + shards:
            loader.set_epoch(epoch)
        for big, *parts in zip(one, *shards):
            # the same samples, each with the same augmentation draw as in the single process
            pairs = sorted(zip(*(onp.concatenate(col) for col in zip(*parts))))
            assert pairs == sorted(zip(*big))
    one.set_epoch(0)
    first = next(iter(one))[0]
    one.set_epoch(1)
    assert sorted(next(iter(one))[0]) != sorted(first)  # reshuffled per epoch


def test_padding_gives_every_rank_the_same_length_and_covers_everything():
    shards = [list(DistributedSampler(10, 3, r, seed=0)) for r in range(3)]
    assert [len(s) for s in shards] == [4, 4, 4]
    assert set(sum(shards, [])) == set(range(10))
    exact = [list(DistributedSampler(10, 3, r, shuffle=False, pad=False)) for r in range(3)]
    assert sorted(sum(exact, [])) == list(range(10))
    assert [len(DistributedSampler(10, 3, r, pad=False)) for r in range(3)] == [4, 3, 3]


def test_rank_seeds_keep_rank_0_and_differ_per_rank():
    assert rank_seed(7, 0) == 7
    assert len({rank_seed(7, r) for r in range(8)}) == 8
    assert rank_seed(7, 1) == rank_seed(7, 1) != rank_seed(8, 1)


def test_bad_rank_is_refused():
    with pytest.raises(ValueError, match="rank 2 of 2"):
        DistributedSampler(10, 2, 2)
