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
