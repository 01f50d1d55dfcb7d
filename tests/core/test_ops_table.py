"""One table over the differentiable primitives of gluonkit.np: forward against NumPy, backward
against central differences in float64, on every available device."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np

from .gradcheck import check_grads

rng = onp.random.default_rng(42)


def r(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


def pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape)


# (name, gluonkit op on ndarrays, numpy reference on arrays, inputs)
TABLE = [
    ("add_broadcast", lambda a, b: a + b, lambda a, b: a + b, [r(3, 4), r(4)]),
    ("sub_broadcast", lambda a, b: a - b, lambda a, b: a - b, [r(3, 1), r(1, 4)]),
    ("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [r(2, 3, 4), r(3, 1)]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [r(3, 4), pos(3, 4)]),
    ("rsub_scalar", lambda a: 2.0 - a, lambda a: 2.0 - a, [r(5)]),
    ("rdiv_scalar", lambda a: 1.0 / a, lambda a: 1.0 / a, [pos(5)]),
    ("neg", lambda a: -a, lambda a: -a, [r(3, 2)]),
    ("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, [r(4, 3)]),
    ("pow_arrays", lambda a, b: a ** b, lambda a, b: a ** b, [pos(4), r(4)]),
    ("exp", np.exp, onp.exp, [r(3, 3)]),
    ("log", np.log, onp.log, [pos(3, 3)]),
    ("sqrt", np.sqrt, onp.sqrt, [pos(3, 3)]),
    ("abs", np.abs, onp.abs, [r(3, 3)]),
    ("tanh", np.tanh, onp.tanh, [r(3, 3)]),
    ("square", np.square, onp.square, [r(3, 3)]),
    ("sigmoid", gk.npx.sigmoid, lambda a: 1 / (1 + onp.exp(-a)), [r(3, 3) * 4]),
    ("relu", gk.npx.relu, lambda a: onp.maximum(a, 0), [r(4, 5)]),
    ("maximum", np.maximum, onp.maximum, [r(3, 4), r(4)]),
    ("minimum", np.minimum, onp.minimum, [r(3, 4), r(3, 1)]),
    ("clip", lambda a: np.clip(a, -0.5, 0.3), lambda a: onp.clip(a, -0.5, 0.3), [r(4, 4)]),
    ("where", lambda a, b: np.where(_mask(a), a, b),
     lambda a, b: onp.where(_mask(a), a, b), [r(3, 4), r(3, 4)]),
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [r(3, 4)]),
    ("sum_axis", lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(axis=(0, 2)), [r(2, 3, 4)]),
    ("sum_keepdims", lambda a: a.sum(axis=1, keepdims=True),
     lambda a: a.sum(axis=1, keepdims=True), [r(2, 3, 4)]),
    ("mean_axis", lambda a: np.mean(a, axis=-1), lambda a: a.mean(axis=-1), [r(3, 5)]),
    ("max_axis", lambda a: a.max(axis=1), lambda a: a.max(axis=1), [r(4, 6)]),
    ("min_all", lambda a: np.min(a), lambda a: a.min(), [r(4, 6)]),
    ("prod_axis", lambda a: a.prod(axis=0), lambda a: a.prod(axis=0), [r(3, 4)]),
    ("var", lambda a: np.var(a, axis=0), lambda a: a.var(axis=0), [r(5, 3)]),
    ("std_ddof", lambda a: np.std(a, axis=1, ddof=1), lambda a: a.std(axis=1, ddof=1), [r(3, 5)]),
    ("reshape", lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6), [r(2, 3, 4)]),
    ("transpose", lambda a: a.transpose(2, 0, 1), lambda a: a.transpose(2, 0, 1), [r(2, 3, 4)]),
    ("T", lambda a: a.T, lambda a: a.T, [r(2, 3)]),
    ("swapaxes", lambda a: a.swapaxes(0, 2), lambda a: a.swapaxes(0, 2), [r(2, 3, 4)]),
    ("broadcast_to", lambda a: a.broadcast_to((3, 2, 4)),
     lambda a: onp.broadcast_to(a, (3, 2, 4)), [r(2, 1)]),
    ("expand_squeeze", lambda a: a.expand_dims(1).squeeze(),
     lambda a: a, [r(3, 4)]),
    ("getitem_basic", lambda a: a[1:, ::2, None], lambda a: a[1:, ::2, None], [r(3, 5)]),
    ("getitem_int_array_repeat", lambda a: a[onp.array([0, 2, 0])],
     lambda a: a[onp.array([0, 2, 0])], [r(3, 4)]),
    ("getitem_bool", lambda a: a[onp.array([True, False, True])],
     lambda a: a[onp.array([True, False, True])], [r(3, 4)]),
    ("concatenate", lambda a, b: np.concatenate([a, b, a], axis=1),
     lambda a, b: onp.concatenate([a, b, a], axis=1), [r(2, 3), r(2, 1)]),
    ("stack", lambda a, b: np.stack([a, b], axis=1), lambda a, b: onp.stack([a, b], axis=1),
     [r(2, 3), r(2, 3)]),
    ("split", lambda a: np.split(a, [1, 3], axis=1)[1] * 2,
     lambda a: onp.split(a, [1, 3], axis=1)[1] * 2, [r(2, 5)]),
    ("pad", lambda a: np.pad(a, ((1, 0), (2, 1))), lambda a: onp.pad(a, ((1, 0), (2, 1))),
     [r(2, 3)]),
    ("matmul_2d", np.matmul, onp.matmul, [r(3, 4), r(4, 2)]),
    ("matmul_batched_broadcast", np.matmul, onp.matmul, [r(2, 3, 4), r(4, 5)]),
    ("matmul_vec", np.matmul, onp.matmul, [r(4), r(4, 3)]),
    ("matmul_operator", lambda a, b: a @ b, lambda a, b: a @ b, [r(3, 4), r(4)]),
    ("dot", np.dot, onp.dot, [r(3, 4), r(4, 2)]),
    ("linear", gk.npx.linear, lambda x, W, b: x @ W.T + b, [r(3, 4), r(5, 4), r(5)]),
    ("linear_nobias", gk.npx.linear, lambda x, W: x @ W.T, [r(2, 3, 4), r(5, 4)]),
    ("flatten", gk.npx.flatten, lambda a: a.reshape(2, -1), [r(2, 3, 4)]),
]


def _mask(a):
    raw = a.asnumpy() if hasattr(a, "asnumpy") else a
    return raw > 0


@pytest.mark.parametrize("name,op,ref,inputs", TABLE, ids=[t[0] for t in TABLE])
def test_forward_matches_numpy(name, op, ref, inputs, device):
    xs = [np.array(a, dtype="float64", device=device) for a in inputs]
    got = op(*xs)
    onp.testing.assert_allclose(got.asnumpy(), ref(*inputs), rtol=1e-6, atol=1e-12)
    assert got.device == device


@pytest.mark.parametrize("name,op,ref,inputs", TABLE, ids=[t[0] for t in TABLE])
def test_backward_matches_finite_differences(name, op, ref, inputs, device):
    check_grads(op, inputs, device=device)


def test_astype_gradient_returns_in_source_dtype(device):
    x = np.array(r(3), dtype="float64", device=device).attach_grad()
    with gk.autograd.record():
        y = (x.astype("float32") * 3).sum()
    y.backward()
    assert x.grad.dtype == onp.float64
    onp.testing.assert_allclose(x.grad.asnumpy(), 3.0)
