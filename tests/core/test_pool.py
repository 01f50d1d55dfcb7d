"""Pooling beyond the op table in tests/core/test_nn_ops.py: dtypes survive forward and backward,
and max pooling sends each window's gradient to its first maximum (PyTorch's tie rule)."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np, npx

OPS = {
    "max": lambda x: npx.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    "avg": lambda x: npx.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "adaptive": lambda x: npx.adaptive_avg_pool2d(x, 3),
    "global": lambda x: npx.adaptive_avg_pool2d(x, 1),
}


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name", list(OPS))
def test_pooling_keeps_dtype(name, dtype, device):
    x = np.array(onp.random.default_rng(1).standard_normal((2, 3, 8, 7)), dtype=dtype,
                 device=device).attach_grad()
    with gk.autograd.record():
        y = OPS[name](x)
    y.backward()
    assert y.dtype == onp.dtype(dtype) and x.grad.dtype == onp.dtype(dtype)
    # every window's weights sum to one (mean) or pick one element (max)
    onp.testing.assert_allclose(float(x.grad.asnumpy().astype(onp.float64).sum()), y.size,
                                rtol=1e-3)


def test_max_pool_ties_go_to_the_first_maximum():
    x = np.array(onp.ones((1, 1, 2, 2)), dtype="float64").attach_grad()
    with gk.autograd.record():
        y = npx.max_pool2d(x, 2)
    y.backward()
    onp.testing.assert_array_equal(x.grad.asnumpy()[0, 0], [[1, 0], [0, 0]])



def _naive_max_pool(x, k, s, gy, p=(0, 0)):
    """A loop over windows of x padded with -inf: each window's maximum, and its output gradient
    sent to the first maximum in row-major window order."""
    x = onp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-onp.inf)
    n, c, h, w = x.shape
    y = onp.zeros((n, c, (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1), x.dtype)
    gx = onp.zeros_like(x)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            win = x[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].reshape(n, c, -1)
            y[:, :, i, j] = win.max(axis=2)
            for b in range(n):
                for ch in range(c):
                    di, dj = divmod(int(win[b, ch].argmax()), k[1])
                    gx[b, ch, i * s[0] + di, j * s[1] + dj] += gy[b, ch, i, j]
    return y, gx[:, :, p[0]:h - p[0], p[1]:w - p[1]]


@pytest.mark.parametrize("shape, k, s, p", [((2, 3, 8, 6), (2, 2), (2, 2), (0, 0)),
                                            ((2, 2, 9, 9), (3, 3), (3, 3), (0, 0)),
                                            ((1, 2, 4, 9), (2, 3), (2, 3), (0, 0)),
                                            ((2, 3, 7, 7), (2, 2), (2, 2), (0, 0)),  # 7 = 3*2+1
                                            ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1)),  # GoogLeNet's
                                            ((1, 2, 5, 8), (2, 3), (1, 1), (0, 1))])
def test_max_pool_with_many_ties_matches_a_naive_loop(shape, k, s, p, device):
    """Small integers tie in most windows (as ReLU's zeros do): values and the first-maximum
    gradient of the tiled (kernel == stride), the stride-1 and the general path equal a loop's."""
    rng = onp.random.default_rng(3)
    x = rng.integers(0, 3, shape).astype("float32")
    xa = np.array(x, device=device).attach_grad()
    with gk.autograd.record():
        y = npx.max_pool2d(xa, k, s, p)
    gy = rng.standard_normal(y.shape).astype("float32")
    y.backward(np.array(gy, device=device))
    want_y, want_gx = _naive_max_pool(x, k, s, gy, p)
    onp.testing.assert_array_equal(y.asnumpy(), want_y)
    # overlapping windows (stride 1) add their gradients in another order than the loop
    onp.testing.assert_allclose(xa.grad.asnumpy(), want_gx, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("include_pad", [True, False])
@pytest.mark.parametrize("shape, k, p", [((2, 3, 7, 6), 3, 1), ((1, 4, 5, 9), (2, 3), (1, 1))])
def test_stride1_avg_pool_matches_the_window_means(shape, k, p, include_pad, device):
    """Stride-1 average pooling (Inception's branch pools) sums rows then columns on the
    flattened planes: the window means of the zero-padded input, PyTorch's divisors."""
    x = onp.random.default_rng(6).standard_normal(shape)
    kh, kw = (k, k) if isinstance(k, int) else k
    ph, pw = (p, p) if isinstance(p, int) else p
    pad = ((0, 0), (0, 0), (ph, ph), (pw, pw))
    window = lambda a: onp.lib.stride_tricks.sliding_window_view(a, (kh, kw), axis=(2, 3))
    sums = window(onp.pad(x, pad)).sum(axis=(-2, -1))
    count = kh * kw if include_pad else window(onp.pad(onp.ones((1, 1) + shape[2:]), pad)).sum(
        axis=(-2, -1))
    xa = np.array(x, device=device).attach_grad()
    with gk.autograd.record():
        y = npx.avg_pool2d(xa, k, 1, p, count_include_pad=include_pad)
    y.backward()
    onp.testing.assert_allclose(y.asnumpy(), sums / count, rtol=1e-12, atol=1e-12)
    # each input gets 1 / count of every window it lies in
    expect = onp.zeros(onp.pad(x, pad).shape)
    share = onp.broadcast_to(1 / onp.asarray(count, float), sums.shape)
    for i in range(kh):
        for j in range(kw):
            expect[:, :, i:i + sums.shape[2], j:j + sums.shape[3]] += share
    onp.testing.assert_allclose(xa.grad.asnumpy(),
                                expect[:, :, ph:ph + shape[2], pw:pw + shape[3]],
                                rtol=1e-12, atol=1e-12)
