"""The batch form of the standard transforms and in-memory datasets: a batch made batch-wise
equals the per-sample path's batch (same crops, flips and values, bit for bit), repeats for a
seed, and is the same batch for one process or two ranks; other pipelines keep the per-sample
path."""
import numpy as onp
import pytest

from gluonkit.data import MNIST, DataLoader, Dataset, default_batchify, presets
from gluonkit.data import transforms as T
from gluonkit.data.sample_streams import SampleStreams
from gluonkit.data.worker import make_batch, sample_rng
from gluonkit.dist import DistributedSampler


class InMemory(Dataset):
    """NHWC uint8 images held as one array, with a batch form (as MNIST and CIFAR have)."""

    def __init__(self, n=40, shape=(32, 32, 3)):
        rng = onp.random.default_rng(5)
        self.images = rng.integers(0, 256, (n,) + shape, dtype=onp.uint8)
        self.labels = onp.arange(n) % 10

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], int(self.labels[i])

    def sample_batch(self, indices, streams):
        return self.images[indices], self.labels[indices]


def _per_sample(ds, indices, seed, epoch, positions):
    return default_batchify([ds.sample(int(i), sample_rng(seed, epoch, int(p)))
                             for i, p in zip(indices, positions)])


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        onp.testing.assert_array_equal(x, y)


PIPELINES = {
    "cifar_train": (presets.cifar_train, (32, 32, 3)),
    "mnist_train": (lambda: presets.mnist(train=True), (28, 28, 1)),
    "mnist_eval": (presets.mnist, (28, 28, 1)),
    "crop_no_pad_flip_p": (lambda: T.Compose([T.RandomCrop((20, 24)), T.RandomFlipLeftRight(0.3),
                                              T.ToTensor()]), (28, 28, 3)),
    "flip_gray_hw": (lambda: T.Compose([T.RandomFlipLeftRight(), T.RandomCrop(28, pad=3),
                                        T.ToTensor()]), (28, 28)),
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_batch_form_equals_the_per_sample_path(name):
    make, shape = PIPELINES[name]
    ds = InMemory(shape=shape).transform_first(make())
    indices, positions = onp.array([7, 3, 3, 39, 0, 12]), onp.array([0, 1, 2, 3, 40, 41])
    for epoch in (0, 1):
        fast = ds.sample_batch(indices, SampleStreams(4, epoch, positions))
        _assert_same(fast, _per_sample(ds, indices, 4, epoch, positions))


def test_the_crops_and_flips_are_spread_as_per_sample():
    """Over 2,000 samples every shift of a 4-pixel pad occurs, each flipped about half the
    time (each crop is looked up among all 81 x 2 candidates)."""
    base = InMemory(n=1, shape=(8, 8, 1))
    base.images[0] = onp.arange(64, dtype=onp.uint8).reshape(8, 8, 1) + 1
    ds = base.transform_first(T.Compose([T.RandomCrop(8, pad=4), T.RandomFlipLeftRight()]))
    padded = onp.pad(base.images[0], ((4, 4), (4, 4), (0, 0)))
    candidates = {}
    for y0 in range(9):
        for x0 in range(9):
            crop = padded[y0:y0 + 8, x0:x0 + 8]
            candidates[crop.tobytes()] = (y0, x0, False)
            candidates[crop[:, ::-1].tobytes()] = (y0, x0, True)
    x, _ = ds.sample_batch(onp.zeros(2000, int), SampleStreams(0, 0, onp.arange(2000)))
    found = [candidates[img.tobytes()] for img in x]
    assert len({(y0, x0) for y0, x0, _ in found}) == 81
    assert 900 < sum(flip for _, _, flip in found) < 1100


def test_mnist_loader_batches_equal_the_per_sample_path_and_repeat():
    ds = MNIST().transform_first(presets.mnist(train=True))
    fast = DataLoader(ds, batch_size=64, shuffle=True, seed=0, last_batch="discard")
    slow = DataLoader(ds, batch_size=64, shuffle=True, seed=0, last_batch="discard",
                      batchify_fn=default_batchify)  # a given batchify keeps the per-sample path
    assert fast.batch_form and not slow.batch_form
    for epoch in (0, 3):
        fast.set_epoch(epoch)
        slow.set_epoch(epoch)
        batches = list(fast)[:8]
        for a, b in zip(batches, slow):
            _assert_same(a, b)
        fast.set_epoch(epoch)
        for a, b in zip(batches, fast):
            _assert_same(a, b)


def test_two_ranks_of_batch_b_equal_one_process_of_batch_2b():
    n, b = 40, 4
    ds = InMemory(n).transform_first(presets.cifar_train())
    one = DataLoader(ds, batch_size=2 * b, shuffle=True, seed=3, last_batch="discard")
    shards = [DataLoader(ds, batch_size=b, seed=3, last_batch="discard",
                         sampler=DistributedSampler(n, 2, r, seed=3)) for r in range(2)]
    for epoch in (0, 1):
        for loader in [one] + shards:
            loader.set_epoch(epoch)
        for big, *parts in zip(one, *shards):
            key = lambda x, y: (int(y), x.tobytes())  # noqa: E731 - label, then the pixels
            merged = sorted(zip(*(onp.concatenate(col) for col in zip(*parts))),
                            key=lambda s: key(*s))
            for (x, y), (bx, by) in zip(merged, sorted(zip(*big), key=lambda s: key(*s))):
                assert y == by and onp.array_equal(x, bx)


def test_samples_it_cannot_reproduce_are_made_one_by_one():
    """A crop range whose draws NumPy redraws half the time: those rows come per sample."""
    class Wide(InMemory):
        def sample_batch(self, indices, streams):
            streams.integers(2**31 + 1)  # flags about half the rows as not reproduced
            return super().sample_batch(indices, streams)

        def sample(self, idx, rng=None):
            return self.images[idx] * 0, -1  # what the per-sample path makes, recognisably

    ds = Wide(n=64)
    x, y = make_batch(ds, onp.arange(64), 0, 0, onp.arange(64), default_batchify,
                      batch_form=True)
    redone = y == -1
    assert 0 < redone.sum() < 64
    assert not x[redone].any() and (y[~redone] >= 0).all()


def test_a_pipeline_without_a_batch_form_keeps_the_per_sample_path():
    class MyCrop(T.RandomCrop):  # may have changed what a sample gets: no batch form
        pass

    assert not T.has_batch_form(T.Compose([MyCrop(8), T.ToTensor()]))
    assert not T.has_batch_form(T.Compose([T.RandomResizedCrop(8), T.ToTensor()]))
    assert T.has_batch_form(presets.cifar_train())
    ds = InMemory().transform_first(T.Compose([T.RandomResizedCrop(8), T.ToTensor()]))
    assert ds.sample_batch(onp.arange(3), SampleStreams(0, 0, onp.arange(3))) is None
    assert InMemory().transform(lambda x, y: (x, y)).sample_batch(
        onp.arange(3), SampleStreams(0, 0, onp.arange(3))) is None
