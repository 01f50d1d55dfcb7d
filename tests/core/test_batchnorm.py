"""Batch norm beyond tests/core/test_nn_ops.py: the fused ReLU, and large inputs that run in
channel blocks on the thread pool (against composite autograd and a per-channel loop)."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np, npx
from gluonkit.core import parallel
from gluonkit.core.ops.batchnorm import batch_norm_relu

from . import reference as ref
from .gradcheck import check_grads

rng = onp.random.default_rng(11)
LARGE = (4, 24, 40, 40)  # 153600 elements: above parallel.MIN_PARALLEL_SIZE


def test_large_shape_runs_in_blocks():
    assert onp.prod(LARGE) >= parallel.MIN_PARALLEL_SIZE


def _composite(x, gamma, beta, eps=1e-5):
    """Batch norm written with differentiable primitives, an independent backward."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    xc = x - x.mean(axis=axes, keepdims=True)
    var = (xc * xc).mean(axis=axes, keepdims=True)
    return xc / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("relu", [False, True])
def test_large_training_matches_composite_autograd(relu):
    x, gamma, beta = rng.standard_normal(LARGE), rng.standard_normal(24), rng.standard_normal(24)
    w = rng.standard_normal(LARGE)
    grads = []
    for fused in (True, False):
        args = [np.array(a, dtype="float64") for a in (x, gamma, beta)]
        for a in args:
            a.attach_grad()
        rm, rv = np.zeros(24, dtype="float64"), np.ones(24, dtype="float64")
        with gk.autograd.record():
            if fused:
                op = batch_norm_relu if relu else npx.batch_norm
                y = op(*args, rm, rv, training=True)
            else:
                y = _composite(*args)
                y = npx.relu(y) if relu else y
        y.backward(np.array(w, dtype="float64"))
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


def test_bad_gamma_message():
    with pytest.raises(ValueError, match=r"gamma has shape \(3,\), expected \(4,\)"):
        npx.batch_norm(np.zeros((2, 4, 3, 3)), np.ones(3), None, None, None, training=False)
