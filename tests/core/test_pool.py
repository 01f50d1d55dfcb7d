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



def _naive_max_pool(x, k, s, gy):
    """A loop over windows: each window's maximum, and its output gradient sent to the first
    maximum in row-major window order."""
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
    return y, gx


@pytest.mark.parametrize("shape, k, s", [((2, 3, 8, 6), (2, 2), (2, 2)),
                                         ((2, 2, 9, 9), (3, 3), (3, 3)),
                                         ((1, 2, 4, 9), (2, 3), (2, 3)),
                                         ((2, 3, 7, 7), (2, 2), (2, 2))])  # not tiled: 7 = 3*2+1
def test_max_pool_with_many_ties_matches_a_naive_loop(shape, k, s, device):
    """Small integers tie in most windows (as ReLU's zeros do): values and the first-maximum
    gradient of the tiled (kernel == stride) and the general path equal a loop's."""
    rng = onp.random.default_rng(3)
    x = rng.integers(0, 3, shape).astype("float32")
    xa = np.array(x, device=device).attach_grad()
    with gk.autograd.record():
        y = npx.max_pool2d(xa, k, s)
    gy = rng.standard_normal(y.shape).astype("float32")
    y.backward(np.array(gy, device=device))
    want_y, want_gx = _naive_max_pool(x, k, s, gy)
    onp.testing.assert_array_equal(y.asnumpy(), want_y)
    onp.testing.assert_array_equal(xa.grad.asnumpy(), want_gx)
