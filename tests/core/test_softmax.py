"""Softmax ops beyond the op table in tests/core/test_nn_ops.py: dtypes, huge logits and the
target getting no gradient."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np, npx


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_cross_entropy_keeps_dtype(dtype, device):
    x = np.array(onp.random.default_rng(2).standard_normal((4, 10)), dtype=dtype,
                 device=device).attach_grad()
    with gk.autograd.record():
        loss = npx.softmax_cross_entropy(x, np.array([1, 2, 3, 9], device=device), 0.1, "mean")
    loss.backward()
    assert loss.dtype == onp.dtype(dtype) and x.grad.dtype == onp.dtype(dtype)
    # each row of d loss / d logits sums to zero (softmax minus a distribution, over N)
    onp.testing.assert_allclose(x.grad.asnumpy().astype(onp.float64).sum(axis=1), 0, atol=1e-3)


def test_huge_logits_stay_finite():
    x = np.array([[1e4, -1e4, 0.0], [3e4, 3e4, 3e4]], dtype="float32").attach_grad()
    with gk.autograd.record():
        loss = npx.softmax_cross_entropy(x, np.array([1, 0]), reduction="none")
    loss.backward()
    onp.testing.assert_allclose(loss.asnumpy(), [2e4, onp.log(3)], rtol=1e-6)
    onp.testing.assert_allclose(x.grad.asnumpy(), [[1, -1, 0], [-2 / 3, 1 / 3, 1 / 3]], atol=1e-6)
    onp.testing.assert_allclose(npx.log_softmax(x).asnumpy()[1], onp.log([1 / 3] * 3), rtol=1e-6)


def test_soft_target_gets_no_gradient():
    x = np.array(onp.zeros((2, 3))).attach_grad()
    t = np.array(onp.full((2, 3), 1 / 3)).attach_grad()
    with gk.autograd.record():
        loss = npx.softmax_cross_entropy(x, t, reduction="sum")
    assert loss._node.backward(onp.array(1.0))[1] is None
