"""Losses against NumPy references, per-sample shapes, and gradients by central differences."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd
from gluonkit.loss import DistillationLoss, L1Loss, L2Loss, SoftmaxCrossEntropyLoss


def log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - onp.log(onp.exp(z).sum(axis=axis, keepdims=True))


def rand(*shape, seed=0):
    return onp.random.default_rng(seed).normal(size=shape)


def numeric_grad(f, x, eps=1e-6):
    g = onp.zeros_like(x)
    for i in onp.ndindex(x.shape):
        d = onp.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def check_grad(loss_fn, x, *rest):
    """d sum(loss) / d x against central differences, all in float64."""
    def total(v):
        return loss_fn(gk.np.array(v, dtype="float64"), *rest).asnumpy().sum()

    xa = gk.np.array(x, dtype="float64")
    xa.attach_grad()
    with autograd.record():
        out = loss_fn(xa, *rest)
    out.backward()
    onp.testing.assert_allclose(xa.grad.asnumpy(), numeric_grad(total, x), rtol=1e-5, atol=1e-8)


def test_softmax_ce_sparse_and_smoothed():
    z, y = rand(5, 4), onp.array([0, 3, 1, 1, 2])
    logp = log_softmax(z)
    loss = SoftmaxCrossEntropyLoss()(gk.np.array(z), gk.np.array(y)).asnumpy()
    onp.testing.assert_allclose(loss, -logp[onp.arange(5), y], rtol=1e-5)
    target = 0.8 * onp.eye(4)[y] + 0.2 / 4
    smoothed = SoftmaxCrossEntropyLoss(label_smoothing=0.2)(gk.np.array(z), y).asnumpy()
    onp.testing.assert_allclose(smoothed, -(target * logp).sum(1), rtol=1e-5)
    check_grad(SoftmaxCrossEntropyLoss(label_smoothing=0.2), z, gk.np.array(y))


def test_softmax_ce_soft_labels():
    z = rand(3, 5)
    p = onp.exp(rand(3, 5, seed=1))
    p /= p.sum(1, keepdims=True)
    loss_fn = SoftmaxCrossEntropyLoss(sparse_label=False)
    onp.testing.assert_allclose(loss_fn(gk.np.array(z), p).asnumpy(),
                                -(p * log_softmax(z)).sum(1), rtol=1e-5)
    check_grad(loss_fn, z, gk.np.array(p, dtype="float64"))
    with pytest.raises(ValueError, match="do not fit"):
        loss_fn(gk.np.array(z), onp.ones((3, 4)))


def test_softmax_ce_class_axis_1_gives_per_image_mean():
    z, y = rand(2, 3, 4, 5), onp.random.default_rng(1).integers(0, 3, (2, 4, 5))
    loss = SoftmaxCrossEntropyLoss(axis=1)(gk.np.array(z), y).asnumpy()
    logp = log_softmax(z, axis=1)
    picked = onp.take_along_axis(logp, y[:, None], axis=1)[:, 0]
    assert loss.shape == (2,)
    onp.testing.assert_allclose(loss, -picked.mean(axis=(1, 2)), rtol=1e-5)


def test_sample_weight_and_weight():
    z, y = rand(4, 3), onp.array([0, 1, 2, 0])
    base = SoftmaxCrossEntropyLoss()(gk.np.array(z), y).asnumpy()
    w = onp.array([1.0, 0.0, 2.0, 0.5])
    weighted = SoftmaxCrossEntropyLoss(weight=3.0)(gk.np.array(z), y, w).asnumpy()
    onp.testing.assert_allclose(weighted, 3.0 * w * base, rtol=1e-5)


def test_distillation_loss_matches_hinton_formula_and_spares_the_teacher():
    s, t, y, T, hw = rand(4, 6), rand(4, 6, seed=1), onp.array([0, 5, 2, 2]), 3.0, 0.3
    p = onp.exp(log_softmax(t / T))
    kl = (p * (log_softmax(t / T) - log_softmax(s / T))).sum(1)
    hard = -log_softmax(s)[onp.arange(4), y]
    loss_fn = DistillationLoss(temperature=T, hard_weight=hw)
    got = loss_fn(gk.np.array(s), y, gk.np.array(t)).asnumpy()
    onp.testing.assert_allclose(got, hw * hard + (1 - hw) * T * T * kl, rtol=1e-5)
    teacher = gk.np.array(t, dtype="float64")
    teacher.attach_grad()
    check_grad(lambda x, yy: loss_fn(x, yy, teacher), s, gk.np.array(y))
    assert (teacher.grad.asnumpy() == 0).all()
    with pytest.raises(ValueError, match="temperature"):
        DistillationLoss(temperature=0)


def test_l2_and_l1_average_over_non_batch_axes():
    x, y = rand(3, 2, 2), rand(3, 4, seed=1)
    onp.testing.assert_allclose(L2Loss()(gk.np.array(x), y).asnumpy(),
                                0.5 * ((x.reshape(3, 4) - y) ** 2).mean(1), rtol=1e-5)
    onp.testing.assert_allclose(L1Loss(weight=2.0)(gk.np.array(x), y).asnumpy(),
                                2.0 * onp.abs(x.reshape(3, 4) - y).mean(1), rtol=1e-5)
    check_grad(L2Loss(), x, gk.np.array(y.reshape(3, 2, 2), dtype="float64"))
    check_grad(L1Loss(), x, gk.np.array(y.reshape(3, 2, 2), dtype="float64"))


def test_losses_on_device(device):
    z, y = rand(4, 3), onp.array([0, 1, 2, 0])
    got = SoftmaxCrossEntropyLoss()(gk.np.array(z, device=device), y)
    assert got.device == device
    onp.testing.assert_allclose(got.asnumpy(), -log_softmax(z)[onp.arange(4), y], rtol=1e-5)
