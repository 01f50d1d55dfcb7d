"""SampleStreams: each row draws what the per-sample generator ``sample_rng`` draws, bit for bit;
draws NumPy would reject and redraw are flagged instead of reproduced."""
import numpy as onp
import pytest

from gluonkit.data.sample_streams import SampleStreams
from gluonkit.data.worker import sample_rng

# (kind, high): integers(0, high) or random(); covers the no-draw range 1, the full 32-bit range
# and a random() between 32-bit draws (it takes a whole 64-bit output, the buffered half stays).
DRAWS = [("i", 5), ("r", None), ("i", 9), ("i", 1), ("i", 9), ("i", 2**32), ("r", None),
         ("i", 1000), ("i", 3)]


def _draw(rng, kind, high):
    return rng.integers(0, high) if kind == "i" else rng.random()


@pytest.mark.parametrize("seed, epoch", [(0, 0), (3, 17), (2**32 - 1, 2**32 - 1)])
def test_rows_equal_the_per_sample_generators(seed, epoch):
    positions = onp.concatenate([onp.arange(300), [2**32 - 1, 123_456_789]])
    streams = SampleStreams(seed, epoch, positions)
    got = onp.stack([getattr(streams, "integers" if k == "i" else "random")(*([h] if h else []))
                     for k, h in DRAWS], axis=1)
    assert streams.exact.all()
    for row, p in zip(got, positions):
        rng = sample_rng(seed, epoch, int(p))
        assert row.tolist() == [_draw(rng, k, h) for k, h in DRAWS]


def test_a_draw_numpy_would_redraw_is_flagged_and_the_others_are_exact():
    high = 2**31 + 1  # NumPy redraws about half of these draws (low word < 2**31 - 1)
    positions = onp.arange(200)
    streams = SampleStreams(1, 2, positions)
    got = streams.integers(high)
    assert 0 < streams.exact.sum() < len(positions)
    for p in positions[streams.exact]:
        assert got[p] == sample_rng(1, 2, int(p)).integers(0, high)


def test_supports_one_word_entropy_only():
    assert SampleStreams.supports(0, 0, onp.arange(4))
    assert not SampleStreams.supports(2**32, 0, onp.arange(4))
    assert not SampleStreams.supports(0, 0, onp.array([2**32]))
    with pytest.raises(ValueError, match="high"):
        SampleStreams(0, 0, onp.arange(2)).integers(0)
