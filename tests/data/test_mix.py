"""mixup and cutmix: the batch and the soft targets must mix by the same proportion."""
import numpy as onp
import pytest

from gluonkit.data import cutmix, mixup, one_hot


def _batch():
    rng = onp.random.default_rng(0)
    return rng.random((6, 2, 8, 10)).astype(onp.float32), onp.array([0, 1, 2, 0, 1, 2])


def test_mixup_matches_beta_draw_and_permutation():
    x, y = _batch()
    out, target = mixup(x, y, 3, alpha=0.4, rng=onp.random.default_rng(7))
    ref = onp.random.default_rng(7)
    lam, perm = ref.beta(0.4, 0.4), ref.permutation(6)
    onp.testing.assert_allclose(out, lam * x + (1 - lam) * x[perm], rtol=1e-6)
    onp.testing.assert_allclose(target, lam * one_hot(y, 3) + (1 - lam) * one_hot(y[perm], 3),
                                rtol=1e-6)
    onp.testing.assert_allclose(target.sum(1), 1.0, rtol=1e-6)


def test_cutmix_target_weight_is_the_pasted_area():
    x, y = _batch()
    out, target = cutmix(x, y, 3, alpha=1.0, rng=onp.random.default_rng(3))
    ref = onp.random.default_rng(3)
    _, perm = ref.beta(1.0, 1.0), ref.permutation(6)
    pasted = (out != x).any(axis=(0, 1))  # where any image changed
    changed = (out == x[perm]).all(axis=(0, 1)) & pasted
    area = changed.sum() / (8 * 10)
    assert 0 < area < 1
    expect = (1 - area) * one_hot(y, 3) + area * one_hot(y[perm], 3)
    onp.testing.assert_allclose(target, expect, rtol=1e-6)


def test_soft_labels_and_errors():
    x, y = _batch()
    soft = one_hot(y, 3) * 0.9 + 0.1 / 3
    _, target = mixup(x, soft, 3, alpha=0.0, rng=onp.random.default_rng(0))
    onp.testing.assert_allclose(target, soft, rtol=1e-6)  # alpha 0: lam = 1, nothing mixes
    with pytest.raises(ValueError, match="4 classes"):
        mixup(x, onp.zeros((6, 4)), 3, 0.2)
    with pytest.raises(ValueError, match="alpha"):
        cutmix(x, y, 3, -1.0)
