"""Convolution beyond the op table in tests/core/test_nn_ops.py: dtypes survive forward and
backward (no float64 upcast), and float32 results agree with the naive loop."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np, npx

from . import reference as ref

rng = onp.random.default_rng(7)

CASES = [  # (W shape, stride, padding, groups): 3x3, plain 1x1 GEMM, strided 1x1, grouped
    ((6, 4, 3, 3), 1, 1, 1),
    ((6, 4, 1, 1), 1, 0, 1),
    ((6, 4, 1, 1), 2, 0, 1),
    ((6, 2, 3, 3), 2, 1, 2),
]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_conv2d_keeps_dtype_and_matches_loop(case, dtype, device):
    ws, stride, padding, groups = case
    x, W = rng.standard_normal((2, 4, 7, 7)), rng.standard_normal(ws) * 0.3
    b = rng.standard_normal(6)
    xs = [np.array(a, dtype=dtype, device=device).attach_grad() for a in (x, W, b)]
    with gk.autograd.record():
        y = npx.conv2d(*xs, stride=stride, padding=padding, groups=groups)
    y.backward()
    assert y.dtype == onp.dtype(dtype)
    assert all(a.grad.dtype == onp.dtype(dtype) for a in xs)
    cast = [a.astype(dtype).astype(onp.float64) for a in (x, W, b)]
    expect = ref.conv2d(*cast, (stride, stride), (padding, padding), (1, 1), groups)
    tol = 1e-5 if dtype == "float32" else 2e-2
    onp.testing.assert_allclose(y.asnumpy().astype(onp.float64), expect, rtol=tol, atol=tol)
    onp.testing.assert_allclose(xs[2].grad.asnumpy(), onp.full(6, y.size // 6),
                                rtol=tol)



def test_kept_and_rebuilt_columns_give_the_same_weight_gradient(monkeypatch):
    """Backward uses the forward's im2col columns when they are small, else rebuilds them from
    the input: the same gradient bit for bit, equal to the sum over the windows."""
    from gluonkit.core.ops import conv as conv_op
    x, W = rng.standard_normal((3, 2, 9, 9)), rng.standard_normal((4, 2, 5, 5))
    gy = rng.standard_normal((3, 4, 9, 9))
    kept, backward = [], conv_op.Conv2d.backward

    def spy(fn, g):
        kept.append((fn.cols is not None, fn.x is not None))
        return backward(fn, g)

    monkeypatch.setattr(conv_op.Conv2d, "backward", spy)
    grads = []
    for limit in (1 << 30, 0):
        monkeypatch.setattr(conv_op, "_KEEP_COLUMNS_BYTES", limit)
        xs = [np.array(a).attach_grad() for a in (x, W)]
        with gk.autograd.record():
            y = npx.conv2d(*xs, padding=2)
        y.backward(np.array(gy))
        grads.append(xs[1].grad.asnumpy())
    assert kept == [(True, False), (False, True)]  # the columns or the input, never both
    onp.testing.assert_array_equal(grads[0], grads[1])
    windows = onp.lib.stride_tricks.sliding_window_view(
        onp.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))), (5, 5), axis=(2, 3))
    onp.testing.assert_allclose(grads[0], onp.einsum("nohw,nchwij->ocij", gy, windows),
                                rtol=1e-10, atol=1e-10)


def test_the_shifted_path_keeps_its_padded_input_not_x(monkeypatch):
    """A convolution on the shifted-GEMM path keeps the padded copy its forward built (about
    the size of x) for the weight gradient, and no copy of x besides."""
    from gluonkit.core.ops import conv as conv_op
    x, W = rng.standard_normal((2, 8, 10, 10)), rng.standard_normal((4, 8, 3, 3))
    kept, backward = [], conv_op.Conv2d.backward

    def spy(fn, g):
        kept.append((fn.shifted is not None, fn.cols is not None, fn.x is None))
        return backward(fn, g)

    monkeypatch.setattr(conv_op.Conv2d, "backward", spy)
    xs = [np.array(a).attach_grad() for a in (x, W)]
    with gk.autograd.record():
        y = npx.conv2d(*xs, padding=1)
    gy = rng.standard_normal(y.shape)
    y.backward(np.array(gy))
    assert kept == [(True, True, True)]
    windows = onp.lib.stride_tricks.sliding_window_view(
        onp.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
    onp.testing.assert_allclose(xs[1].grad.asnumpy(), onp.einsum("nohw,nchwij->ocij", gy, windows),
                                rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("groups", [1, 3])
def test_per_sample_im2col_gemms_match_the_loop(groups):
    """From 28x28 outputs the im2col forward runs a GEMM per sample (LeNet's first layer, the
    stems): the output and both gradients against the naive loop and the window sums."""
    x = rng.standard_normal((2, 6, 30, 29))
    W = rng.standard_normal((6, 6 // groups, 3, 3))
    xs = [np.array(a).attach_grad() for a in (x, W)]
    with gk.autograd.record():
        y = npx.conv2d(*xs, padding=1, groups=groups)
    assert y.shape[2] * y.shape[3] >= 784
    onp.testing.assert_allclose(y.asnumpy(), ref.conv2d(x, W, None, (1, 1), (1, 1), (1, 1),
                                                         groups), rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(y.shape)
    y.backward(np.array(gy))
    windows = onp.lib.stride_tricks.sliding_window_view(
        onp.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
    cg, og = 6 // groups, 6 // groups
    expect_W = onp.concatenate([onp.einsum("nohw,nchwij->ocij", gy[:, k * og:(k + 1) * og],
                                           windows[:, k * cg:(k + 1) * cg])
                                for k in range(groups)])
    onp.testing.assert_allclose(xs[1].grad.asnumpy(), expect_W, rtol=1e-10, atol=1e-10)
    # the input gradient: the convolution of gy with the flipped, transposed weight
    flipped = onp.flip(W, (2, 3)).reshape(groups, og, cg, 3, 3).transpose(0, 2, 1, 3, 4)
    expect_x = ref.conv2d(gy, flipped.reshape(6, og, 3, 3), None, (1, 1), (1, 1), (1, 1), groups)
    onp.testing.assert_allclose(xs[0].grad.asnumpy(), expect_x, rtol=1e-10, atol=1e-10)
