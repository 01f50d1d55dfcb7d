"""The fused neural-network ops (conv, pooling, batch norm, softmax-CE): forward against naive
loops, backward against central differences in float64, on every available device."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np, npx

from . import reference as ref
from .gradcheck import check_grads

rng = onp.random.default_rng(3)


def r(*shape):
    return rng.standard_normal(shape)


CONV_CASES = [
    # (x shape, W shape, stride, padding, dilation, groups, bias)
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1, 1, 1, True),
    ((2, 3, 8, 7), (4, 3, 3, 2), 2, (1, 0), 1, 1, False),
    ((1, 4, 9, 9), (6, 2, 3, 3), 1, 2, 2, 2, True),
    ((2, 4, 5, 5), (4, 1, 3, 3), 2, 1, 1, 4, False),
    ((2, 6, 4, 4), (5, 6, 1, 1), 1, 0, 1, 1, True),
    ((2, 6, 5, 5), (4, 6, 1, 1), 2, 0, 1, 1, False),
    ((1, 2, 9, 9), (3, 2, 7, 7), 2, 3, 1, 1, True),
    # >= 8 input channels at stride 1: the shifted-GEMM path (core/ops/conv_shifted.py)
    ((2, 8, 5, 4), (3, 8, 3, 3), 1, 1, 1, 1, True),
    ((1, 8, 6, 6), (2, 8, 3, 2), 1, (0, 2), (2, 1), 1, False),
    ((1, 16, 5, 4), (4, 8, 3, 3), 1, 1, 1, 2, True),
    ((2, 8, 7, 6), (3, 8, 3, 3), 2, 1, 1, 1, True),  # strided: phases of the input
    ((2, 3, 14, 15), (4, 3, 1, 1), 1, 0, 1, 1, True),  # 1x1 over >= 196 pixels: per sample
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[str(i) for i in range(len(CONV_CASES))])
def test_conv2d(case, device):
    xs, ws, stride, padding, dilation, groups, bias = case
    x, W, b = r(*xs), r(*ws) * 0.5, r(ws[0]) if bias else None
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    expect = ref.conv2d(x, W, b, pair(stride), pair(padding), pair(dilation), groups)
    args = [x, W] + ([b] if bias else [])
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    got = npx.conv2d(*[np.array(a, dtype="float64", device=device) for a in args], **kw)
    onp.testing.assert_allclose(got.asnumpy(), expect, rtol=1e-10, atol=1e-10)
    check_grads(lambda *a: npx.conv2d(*a, **kw), args, device=device)


def test_conv2d_skips_the_input_gradient_nobody_needs():
    x = np.array(r(1, 2, 5, 5))
    W = np.array(r(3, 2, 3, 3)).attach_grad()
    with gk.autograd.record():
        y = npx.conv2d(x, W)
    fn = y._node
    assert fn.needs_input_grad == (False, True)
    assert fn.backward(onp.ones(y.shape))[0] is None


def test_conv2d_bad_channels_message():
    with pytest.raises(ValueError, match="input has 3 channels but the weight"):
        npx.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3)))


POOL_CASES = [
    # (x shape, kernel, stride, padding, ceil)
    ((2, 3, 7, 7), 3, 2, 1, False),
    ((2, 3, 7, 7), 3, 2, 0, True),
    ((1, 2, 8, 8), 2, 2, 0, False),
    ((1, 2, 6, 9), 3, 2, 1, True),
    ((1, 1, 5, 5), 3, 1, 1, False),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[str(i) for i in range(len(POOL_CASES))])
def test_max_pool2d(case, device):
    xs, k, s, p, ceil = case
    x = rng.permutation(onp.prod(xs)).reshape(xs).astype(float)  # distinct values: unique argmax
    got = npx.max_pool2d(np.array(x, dtype="float64", device=device), k, s, p, ceil_mode=ceil)
    onp.testing.assert_array_equal(got.asnumpy(), ref.max_pool2d(x, k, s, p, ceil))
    check_grads(lambda a: npx.max_pool2d(a, k, s, p, ceil_mode=ceil), [x], device=device)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", POOL_CASES, ids=[str(i) for i in range(len(POOL_CASES))])
def test_avg_pool2d(case, count_include_pad, device):
    xs, k, s, p, ceil = case
    x = r(*xs)
    kw = dict(ceil_mode=ceil, count_include_pad=count_include_pad)
    got = npx.avg_pool2d(np.array(x, dtype="float64", device=device), k, s, p, **kw)
    onp.testing.assert_allclose(got.asnumpy(), ref.avg_pool2d(x, k, s, p, ceil, count_include_pad),
                                rtol=1e-12)
    check_grads(lambda a: npx.avg_pool2d(a, k, s, p, **kw), [x], device=device)


@pytest.mark.parametrize("out", [1, 2, 3, 4])
def test_adaptive_avg_pool2d(out, device):
    x = r(2, 3, 7, 6 if out != 4 else 7)
    got = npx.adaptive_avg_pool2d(np.array(x, dtype="float64", device=device), out)
    onp.testing.assert_allclose(got.asnumpy(), ref.adaptive_avg_pool2d(x, out), rtol=1e-12)
    check_grads(lambda a: npx.adaptive_avg_pool2d(a, out), [x], device=device)


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 4)])
def test_batch_norm_training(shape, device):
    x, gamma, beta = r(*shape), r(shape[1]), r(shape[1])
    rm, rv = onp.zeros(shape[1]), onp.ones(shape[1])
    arr = lambda a: np.array(a, dtype="float64", device=device)  # noqa: E731
    rm_d, rv_d = arr(rm), arr(rv)
    got = npx.batch_norm(arr(x), arr(gamma), arr(beta), rm_d, rv_d, training=True, momentum=0.1)
    onp.testing.assert_allclose(got.asnumpy(), ref.batch_norm_train(x, gamma, beta), rtol=1e-10)
    axes = (0,) + tuple(range(2, x.ndim))
    onp.testing.assert_allclose(rm_d.asnumpy(), 0.1 * x.mean(axis=axes), rtol=1e-10)
    onp.testing.assert_allclose(rv_d.asnumpy(), 0.9 + 0.1 * x.var(axis=axes, ddof=1), rtol=1e-10)
    check_grads(lambda a, g, b: npx.batch_norm(a, g, b, arr(rm), arr(rv), training=True),
                [x, gamma, beta], device=device)


def test_batch_norm_inference_uses_running_stats(device):
    x, gamma, beta = r(3, 2, 4, 4), r(2), r(2)
    rm, rv = r(2), onp.abs(r(2)) + 0.5
    arr = lambda a: np.array(a, dtype="float64", device=device)  # noqa: E731
    got = npx.batch_norm(arr(x), arr(gamma), arr(beta), arr(rm), arr(rv), training=False)
    expect = (gamma[None, :, None, None] * (x - rm[None, :, None, None])
              / onp.sqrt(rv[None, :, None, None] + 1e-5) + beta[None, :, None, None])
    onp.testing.assert_allclose(got.asnumpy(), expect, rtol=1e-10)
    check_grads(lambda a, g, b: npx.batch_norm(a, g, b, arr(rm), arr(rv), training=False),
                [x, gamma, beta], device=device)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_log_softmax(axis, device):
    x = r(3, 5)
    e = onp.exp(x - x.max(axis=axis, keepdims=True))
    sm = e / e.sum(axis=axis, keepdims=True)
    arr = np.array(x, dtype="float64", device=device)
    onp.testing.assert_allclose(npx.softmax(arr, axis).asnumpy(), sm, rtol=1e-12)
    onp.testing.assert_allclose(npx.log_softmax(arr, axis).asnumpy(), onp.log(sm), rtol=1e-12)
    check_grads(lambda a: npx.softmax(a, axis), [x], device=device)
    check_grads(lambda a: npx.log_softmax(a, axis), [x], device=device)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_softmax_cross_entropy(smoothing, soft, reduction, device):
    x = r(4, 5) * 3
    t = rng.dirichlet(onp.ones(5), size=4) if soft else onp.array([0, 3, 4, 3])
    expect = ref.softmax_cross_entropy(x, t, smoothing)
    expect = {"none": expect, "mean": expect.mean(), "sum": expect.sum()}[reduction]
    target = np.array(t, dtype="float64" if soft else "int64", device=device)
    op = lambda a: npx.softmax_cross_entropy(a, target, smoothing, reduction)  # noqa: E731
    got = op(np.array(x, dtype="float64", device=device))
    onp.testing.assert_allclose(got.asnumpy(), expect, rtol=1e-10)
    check_grads(op, [x], device=device)


def test_softmax_cross_entropy_bad_target():
    with pytest.raises(ValueError, match=r"target shape \(3,\)"):
        npx.softmax_cross_entropy(np.zeros((4, 5)), np.zeros(3, dtype="int64"))


def test_dropout_scales_kept_units_and_routes_gradient():
    gk.random.seed(0)
    x = np.ones((1000,), dtype="float64").attach_grad()
    with gk.autograd.record():
        y = npx.dropout(x, 0.25, training=True)
    y.backward()
    kept = y.asnumpy() != 0
    onp.testing.assert_allclose(y.asnumpy()[kept], 1 / 0.75)
    assert 0.7 < kept.mean() < 0.8
    onp.testing.assert_allclose(x.grad.asnumpy(), kept / 0.75)
    assert npx.dropout(x, 0.5, training=False) is x


def test_one_hot():
    out = npx.one_hot(np.array([2, 0]), 3)
    onp.testing.assert_array_equal(out.asnumpy(), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        npx.one_hot(np.array([3]), 3)
