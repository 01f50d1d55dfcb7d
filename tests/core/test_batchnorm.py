"""Batch norm beyond tests/core/test_nn_ops.py: the fused ReLU and residual add, and large inputs
that run in channel blocks on the thread pool (against composite autograd and a per-channel
loop)."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np, npx
from gluonkit.core import parallel
from gluonkit.core.ops.batchnorm import batch_norm_relu

from . import reference as ref
from .gradcheck import check_grads

rng = onp.random.default_rng(11)
LARGE = (4, 24, 80, 80)  # 614400 elements: above parallel.MIN_PARALLEL_SIZE


def test_large_shape_runs_in_blocks():
    assert onp.prod(LARGE) >= parallel.MIN_PARALLEL_SIZE


def _composite(x, gamma, beta, eps=1e-5):
    """Batch norm written with differentiable primitives, an independent backward."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    xc = x - x.mean(axis=axes, keepdims=True)
    var = (xc * xc).mean(axis=axes, keepdims=True)
    return xc / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("relu,residual", [(False, False), (True, False), (True, True)])
def test_large_training_matches_composite_autograd(relu, residual):
    x, gamma, beta = rng.standard_normal(LARGE), rng.standard_normal(24), rng.standard_normal(24)
    r, w = rng.standard_normal(LARGE), rng.standard_normal(LARGE)
    grads = []
    for fused in (True, False):
        args = [np.array(a, dtype="float64") for a in (x, gamma, beta, r)]
        for a in args:
            a.attach_grad()
        rm, rv = np.zeros(24, dtype="float64"), np.ones(24, dtype="float64")
        res = args[3] if residual else None
        with gk.autograd.record():
            if fused and relu:
                y = batch_norm_relu(*args[:3], rm, rv, training=True, residual=res)
            elif fused:
                y = npx.batch_norm(*args[:3], rm, rv, training=True)
            else:
                y = _composite(*args[:3]) + (res if residual else 0)
                y = npx.relu(y) if relu else y
        y.backward(np.array(w, dtype="float64"))
        if not residual:
            args = args[:3]
        grads.append([a.grad.asnumpy() for a in args] + [y.asnumpy()])
        if fused:
            axes = (0, 2, 3)
            onp.testing.assert_allclose(rm.asnumpy(), 0.1 * x.mean(axis=axes), rtol=1e-10)
            onp.testing.assert_allclose(rv.asnumpy(), 0.9 + 0.1 * x.var(axis=axes, ddof=1),
                                        rtol=1e-10)
    for got, expect in zip(*grads):
        onp.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-9)


def test_large_float32_stays_float32_and_matches_loop():
    x = rng.standard_normal(LARGE).astype(onp.float32)
    gamma, beta = onp.ones(24, onp.float32), onp.zeros(24, onp.float32)
    arr = lambda a: np.array(a, dtype="float32")  # noqa: E731
    y = npx.batch_norm(arr(x), arr(gamma), arr(beta), arr(onp.zeros(24)), arr(onp.ones(24)),
                       training=True)
    assert y.dtype == onp.float32
    expect = ref.batch_norm_train(x.astype(onp.float64), gamma, beta)
    onp.testing.assert_allclose(y.asnumpy(), expect, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_relu_small(training, device):
    x, gamma, beta = rng.standard_normal((3, 4, 3, 3)), rng.standard_normal(4), rng.random(4)
    rm, rv = rng.standard_normal(4), onp.abs(rng.standard_normal(4)) + 0.5
    arr = lambda a: np.array(a, dtype="float64", device=device)  # noqa: E731
    got = batch_norm_relu(arr(x), arr(gamma), arr(beta), arr(rm), arr(rv), training=training)
    c = lambda v: v[None, :, None, None]  # noqa: E731
    if training:
        expect = ref.batch_norm_train(x, gamma, beta)
    else:
        expect = c(gamma) * (x - c(rm)) / onp.sqrt(c(rv) + 1e-5) + c(beta)
    onp.testing.assert_allclose(got.asnumpy(), onp.maximum(expect, 0), rtol=1e-10)
    check_grads(lambda a, g, b: batch_norm_relu(a, g, b, arr(rm), arr(rv), training=training),
                [x, gamma, beta], device=device)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_add_relu_small(training, device):
    """relu(bn(x) + r): values against the per-channel loop, gradients of x, gamma, beta and r
    against central differences (float64)."""
    x, gamma, beta = rng.standard_normal((3, 4, 3, 3)), rng.standard_normal(4), rng.random(4)
    r = rng.standard_normal((3, 4, 3, 3))
    rm, rv = rng.standard_normal(4), onp.abs(rng.standard_normal(4)) + 0.5
    arr = lambda a: np.array(a, dtype="float64", device=device)  # noqa: E731

    def op(a, g, b, res):
        return batch_norm_relu(a, g, b, arr(rm), arr(rv), training=training, residual=res)

    c = lambda v: v[None, :, None, None]  # noqa: E731
    if training:
        expect = ref.batch_norm_train(x, gamma, beta)
    else:
        expect = c(gamma) * (x - c(rm)) / onp.sqrt(c(rv) + 1e-5) + c(beta)
    got = op(arr(x), arr(gamma), arr(beta), arr(r))
    onp.testing.assert_allclose(got.asnumpy(), onp.maximum(expect + r, 0), rtol=1e-10)
    check_grads(op, [x, gamma, beta, r], device=device)


def test_fused_residual_updates_running_stats_like_unfused(device):
    x, r = rng.standard_normal((4, 5, 6, 6)), rng.standard_normal((4, 5, 6, 6))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    arr = lambda a: np.array(a, dtype="float64", device=device)  # noqa: E731
    stats = []
    for fused in (True, False):
        rm, rv = arr(onp.full(5, 0.3)), arr(onp.full(5, 2.0))
        args = (arr(x), arr(gamma), arr(beta), rm, rv)
        if fused:
            y = batch_norm_relu(*args, training=True, momentum=0.2, residual=arr(r))
        else:
            y = npx.relu(npx.batch_norm(*args, training=True, momentum=0.2) + arr(r))
        stats.append([y.asnumpy(), rm.asnumpy(), rv.asnumpy()])
    for got, expect in zip(*stats):
        onp.testing.assert_allclose(got, expect, rtol=1e-12)


def test_residual_without_gradient_and_old_five_input_nodes():
    """A residual that needs no gradient gets none; a node traced before the residual input
    existed (five inputs, as in older graph files) still runs forward and backward."""
    from gluonkit.core.ops.batchnorm import BatchNorm
    x = np.array(rng.standard_normal((2, 3, 4, 4)))
    x.attach_grad()
    rm, rv = np.zeros(3), np.ones(3)
    r = np.array(rng.standard_normal((2, 3, 4, 4)))  # no attach_grad
    with gk.autograd.record():
        y = batch_norm_relu(x, None, None, rm, rv, training=True, residual=r)
        z = BatchNorm.apply(x, None, None, rm, rv, training=True, momentum=0.1, eps=1e-5,
                            relu=True)
        total = y + z
    total.backward()
    assert r.grad is None and onp.isfinite(x.grad.asnumpy()).all()


def test_bad_residual_message():
    with pytest.raises(ValueError, match=r"residual has shape \(2, 4, 3, 2\), expected"):
        batch_norm_relu(np.zeros((2, 4, 3, 3)), None, None, np.zeros(4), np.ones(4),
                        training=True, residual=np.zeros((2, 4, 3, 2)))


def test_bad_gamma_message():
    with pytest.raises(ValueError, match=r"gamma has shape \(3,\), expected \(4,\)"):
        npx.batch_norm(np.zeros((2, 4, 3, 3)), np.ones(3), None, None, None, training=False)


@pytest.mark.parametrize("dtype, tol", [(onp.float16, 1e-6), (onp.float32, 1e-6),
                                        (onp.float64, 1e-12)])
def test_channel_sums_read_once_and_accumulate_wide(dtype, tol):
    """The per-channel sum (one GEMV per sample) and dot (einsum) behind batch norm's
    statistics and gradients: 16-bit inputs accumulate in float32, all agree with float64."""
    from gluonkit.core.ops import batchnorm as bn
    a = rng.standard_normal((8, 3, 40, 50)).astype(dtype)
    b = (rng.standard_normal(a.shape) + 5).astype(dtype)
    wide = a.astype(onp.float64), b.astype(onp.float64)
    got_sum, got_dot = bn._channel_sum(onp, a[:, 1:]), bn._channel_dot(onp, a, b)
    assert got_sum.dtype == got_dot.dtype == onp.promote_types(dtype, onp.float32)
    onp.testing.assert_allclose(got_sum, wide[0][:, 1:].sum(axis=(0, 2, 3)), rtol=tol,
                                atol=tol * 100)
    onp.testing.assert_allclose(got_dot, (wide[0] * wide[1]).sum(axis=(0, 2, 3)), rtol=tol,
                                atol=tol * 100)
