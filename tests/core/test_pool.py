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
