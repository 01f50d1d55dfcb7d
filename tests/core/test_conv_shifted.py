"""The shifted-GEMM convolution (core/ops/conv_shifted.py) and the BLAS door it stands on
(core/blas.py): values and gradients against im2col and the naive loop, and which
convolutions take the path."""
import numpy as onp
import pytest

from gluonkit.core import blas
from gluonkit.core.ops import conv_shifted
from gluonkit.core.ops.conv import Conv2d

from . import reference as ref

rng = onp.random.default_rng(11)

pytestmark = pytest.mark.skipif(not blas.available(onp.float32),
                                reason="NumPy is not on OpenBLAS: conv falls back to im2col")


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("dtype", [onp.float32, onp.float64])
def test_gemm_accumulates_into_strided_views(trans_a, trans_b, dtype):
    big = rng.standard_normal((9, 40)).astype(dtype)
    a = big[:5, 3:10] if not trans_a else big[:7, 11:16]   # op(a) is 5 x 7
    b = big[:7, 20:24] if not trans_b else big[:4, 25:32]  # op(b) is 7 x 4
    out = rng.standard_normal((6, 30)).astype(dtype)
    c = out[1:6, 10:14]
    expect = (a.T if trans_a else a) @ (b.T if trans_b else b) + c
    before = out.copy()
    blas.gemm(a, b, c, beta=1.0, trans_a=trans_a, trans_b=trans_b)
    tol = 1e-5 if dtype == onp.float32 else 1e-12
    onp.testing.assert_allclose(c, expect, rtol=tol, atol=tol)
    mask = onp.ones(out.shape, bool)
    mask[1:6, 10:14] = False
    assert (out[mask] == before[mask]).all(), "gemm wrote outside its output view"


def test_gemm_refuses_what_blas_would_misread():
    a = onp.ones((4, 4), onp.float32)
    with pytest.raises(ValueError, match="unit column stride"):
        blas.gemm(a[:, ::2], a[:2], onp.empty((4, 4), onp.float32))
    with pytest.raises(ValueError, match="do not match"):
        blas.gemm(a, a[:3], onp.empty((4, 4), onp.float32))
    with pytest.raises(TypeError, match="dtypes differ"):
        blas.gemm(a, a, onp.empty((4, 4), onp.float64))


GEOMETRIES = [  # (x shape, W shape, stride, padding, dilation, groups)
    ((2, 8, 7, 6), (5, 8, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((3, 9, 6, 8), (4, 9, 5, 5), (1, 1), (2, 2), (1, 1), 1),
    ((1, 8, 9, 9), (3, 8, 3, 3), (1, 1), (2, 2), (2, 2), 1),
    ((2, 8, 6, 7), (3, 8, 1, 3), (1, 1), (0, 1), (1, 1), 1),
    ((2, 10, 5, 5), (6, 10, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 16, 6, 5), (6, 8, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    ((1, 32, 5, 5), (8, 8, 3, 3), (1, 1), (1, 1), (1, 1), 4),
    # strided: the input split into stride x stride phases
    ((2, 8, 8, 7), (5, 8, 3, 3), (2, 2), (1, 1), (1, 1), 1),
    ((2, 8, 9, 10), (3, 8, 7, 7), (2, 2), (3, 3), (1, 1), 1),
    ((1, 8, 11, 9), (4, 8, 3, 2), (3, 2), (1, 0), (1, 1), 1),
    ((1, 8, 10, 10), (3, 8, 3, 3), (2, 2), (2, 2), (3, 3), 1),   # a phase with no offset-0 tap
    ((1, 8, 9, 9), (2, 8, 1, 3), (2, 2), (0, 1), (1, 1), 1),     # phases with no tap at all
    ((2, 16, 7, 7), (4, 8, 3, 3), (2, 2), (1, 1), (1, 1), 2),
]


@pytest.mark.parametrize("dtype", [onp.float32, onp.float64])
@pytest.mark.parametrize("case", GEOMETRIES, ids=[str(i) for i in range(len(GEOMETRIES))])
def test_shifted_matches_naive_loop_and_im2col_backward(case, dtype):
    xs, ws, stride, padding, dilation, groups = case
    x, W = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
    g = conv_shifted.Geometry(x.shape, W.shape, stride, padding, dilation, groups)
    buf = conv_shifted.padded(x, g)
    y = conv_shifted.forward(buf, W, g)
    tol = 2e-5 if dtype == onp.float32 else 1e-11
    expect = ref.conv2d(x.astype(onp.float64), W.astype(onp.float64), None, stride, padding,
                        dilation, groups)
    onp.testing.assert_allclose(y, expect, rtol=tol, atol=tol)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx, gW = conv_shifted.backward(buf, W, gy, g, True, True)
    im2col = Conv2d.__new__(Conv2d)  # the im2col path's backward is the reference here
    im2col.stride, im2col.padding, im2col.dilation = stride, padding, dilation
    im2col.groups = groups
    im2col.plain, im2col.shifted, im2col.needs_input_grad = False, None, (True, True)
    im2col.x, im2col.cols, im2col.x_shape, im2col.W = x, None, x.shape, W
    ex, eW = im2col.backward(gy)
    onp.testing.assert_allclose(gx, ex, rtol=tol, atol=tol * 10)
    onp.testing.assert_allclose(gW, eW, rtol=tol, atol=tol * 10)
    assert gx.dtype == gW.dtype == dtype
    only_x, none_W = conv_shifted.backward(None, W, gy, g, True, False)
    assert none_W is None and onp.array_equal(only_x, gx)


@pytest.mark.parametrize("xs,ws,stride,groups,dtype,expect", [
    ((16, 64, 56, 56), (64, 64, 3, 3), 1, 1, onp.float32, True),
    ((16, 128, 28, 28), (128, 128, 3, 3), 1, 1, onp.float32, True),
    ((16, 256, 14, 14), (256, 256, 3, 3), 1, 1, onp.float32, False),  # border is 31% extra
    ((16, 512, 7, 7), (512, 512, 3, 3), 1, 1, onp.float32, False),   # border is 65% extra
    ((16, 128, 56, 56), (128, 128, 3, 3), 2, 1, onp.float32, True),  # strided: 4 phases
    ((16, 512, 14, 14), (512, 512, 3, 3), 2, 1, onp.float32, False),  # border 31% of the grid
    ((16, 64, 56, 56), (64, 32, 3, 3), 1, 2, onp.float32, True),     # grouped
    ((16, 64, 56, 56), (64, 4, 3, 3), 1, 16, onp.float32, False),    # 4 channels a group
    ((16, 64, 56, 56), (64, 64, 1, 1), 1, 1, onp.float32, False),    # 1x1 is a plain GEMM
    ((64, 1, 28, 28), (6, 1, 5, 5), 1, 1, onp.float32, False),       # one channel
    ((16, 64, 56, 56), (64, 64, 3, 3), 1, 1, onp.float16, False),    # no half GEMM in BLAS
])
def test_which_convolutions_take_the_shifted_path(xs, ws, stride, groups, dtype, expect):
    x, W = onp.empty(xs, dtype), onp.empty(ws, dtype)
    g = conv_shifted.plan(x, W, (stride, stride), (1, 1), (1, 1), groups)
    assert (g is not None) is expect


def test_gradients_of_a_broadcast_output_gradient():
    """``y.sum()`` hands backward a broadcast (zero-stride) gradient; the BLAS paths copy it."""
    import gluonkit as gk
    from gluonkit import np, npx
    for ws, padding in (((4, 8, 3, 3), 1), ((4, 8, 1, 1), 0)):
        x = np.array(rng.standard_normal((2, 8, 14, 14))).attach_grad()
        W = np.array(rng.standard_normal(ws)).attach_grad()
        with gk.autograd.record():
            y = npx.conv2d(x, W, padding=padding).sum()
        y.backward()
        expect = ref.conv2d(onp.ones((1, 4, 14, 14)), onp.flip(W.asnumpy(), (2, 3)).transpose(
            1, 0, 2, 3).copy(), None, (1, 1), (padding, padding))
        onp.testing.assert_allclose(x.grad.asnumpy(), onp.broadcast_to(expect, x.shape),
                                    rtol=1e-10, atol=1e-10)
        onp.testing.assert_allclose(W.grad.asnumpy()[:, :, padding, padding],
                                    onp.broadcast_to(x.asnumpy().sum((0, 2, 3)), ws[:2]),
                                    rtol=1e-10)
