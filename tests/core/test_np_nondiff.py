"""gluonkit.np's non-differentiable functions (comparisons, logic, bits, indices, sets, counts):
forward against NumPy on every device, and no gradient recorded through them."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np

rng = onp.random.default_rng(7)
F = rng.uniform(-2, 2, size=(3, 4)).round(1)  # rounded: ties and repeats occur
G = rng.uniform(-2, 2, size=(4,)).round(1)
N = rng.integers(-8, 8, size=(3, 4))
J = rng.integers(0, 4, size=(4,))
U = rng.integers(0, 5, size=(7,))
S = onp.sort(rng.uniform(-2, 2, size=6))
W = onp.array([onp.nan, onp.inf, -onp.inf, -0.0, 0.0, 1.5])

# (name, gluonkit function, numpy function, inputs)
TABLE = [(n, getattr(np, n), getattr(onp, n), args) for n, args in [
    ("equal", [F, G]), ("not_equal", [F, G]), ("less", [F, G]), ("less_equal", [F, G]),
    ("greater", [F, G]), ("greater_equal", [F, 0.5]),
    ("logical_and", [F > 0, G > 0]), ("logical_or", [F > 0, G > 0]),
    ("logical_xor", [F > 0, G > 0]), ("logical_not", [F > 0]),
    ("bitwise_and", [N, J]), ("bitwise_or", [N, J]), ("bitwise_xor", [N, J]),
    ("bitwise_invert", [N]), ("bitwise_left_shift", [N, J]), ("bitwise_right_shift", [N, J]),
    ("gcd", [N, J]), ("lcm", [N, J]),
    ("isnan", [W]), ("isinf", [W]), ("isfinite", [W]), ("signbit", [W]), ("isposinf", [W]),
    ("isneginf", [W]), ("nextafter", [F, G]), ("heaviside", [F, 0.5]),
    ("isclose", [F, F + 1e-9]), ("count_nonzero", [N]),
    ("argsort", [F]), ("argmax", [F]), ("argmin", [F]), ("nonzero", [N]),
    ("argwhere", [N]), ("flatnonzero", [N]), ("searchsorted", [S, G]),
    ("isin", [N, J]), ("bincount", [U]), ("digitize", [G, S]),
    ("all", [N]), ("any", [N > 7]),
]] + [
    ("floor_divide_int", np.floor_divide, onp.floor_divide, [N, J + 1]),
    ("remainder_int", np.remainder, onp.remainder, [N, J + 1]),
    ("argmax_keepdims", lambda x: np.argmax(x, axis=1, keepdims=True),
     lambda x: onp.argmax(x, axis=1, keepdims=True), [F]),
    ("argsort_descending_stable", lambda x: np.argsort(x, axis=None, descending=True),
     lambda x: onp.argsort(-x, axis=None, kind="stable"), [F]),
    ("argpartition_kth", lambda x: np.sort(np.take_along_axis(x, np.argpartition(x, 2), 1))[:, 2],
     lambda x: onp.sort(x)[:, 2], [F]),
    ("searchsorted_right_sorter",
     lambda a, v: np.searchsorted(a, v, side="right", sorter=np.argsort(a)),
     lambda a, v: onp.searchsorted(a, v, side="right", sorter=onp.argsort(a)), [G, F]),
    ("all_axis_keepdims", lambda x: np.all(x, axis=0, keepdims=True),
     lambda x: onp.all(x, axis=0, keepdims=True), [N]),
    ("any_axes", lambda x: np.any(x > 1, axis=(0, 1)), lambda x: onp.any(x > 1, axis=(0, 1)),
     [F]),
    ("count_nonzero_axis", lambda x: np.count_nonzero(x, axis=1),
     lambda x: onp.count_nonzero(x, axis=1), [N]),
    ("where_one_arg", np.where, onp.where, [N > 0]),
    ("unique_counts", lambda x: np.unique_counts(x).counts, lambda x: onp.unique_counts(x).counts,
     [U]),
    ("unique_inverse", lambda x: np.unique_inverse(x).inverse_indices,
     lambda x: onp.unique_inverse(x).inverse_indices, [N]),
    ("unique_all_indices", lambda x: np.unique_all(x).indices,
     lambda x: onp.unique_all(x).indices, [U]),
    # NumPy 2.3+ returns unique_values unsorted; the Array API leaves the order open.
    ("unique_values", lambda x: np.sort(np.unique_values(x)),
     lambda x: onp.sort(onp.unique_values(x)), [U]),
    ("unique_nan_distinct", np.unique_values, onp.unique_values,
     [onp.array([onp.nan, 1.0, onp.nan])]),
    ("unique_return_counts", lambda x: np.unique(x, return_counts=True)[1],
     lambda x: onp.unique(x, return_counts=True)[1], [U]),
    ("isin_invert", lambda a, b: np.isin(a, b, invert=True),
     lambda a, b: onp.isin(a, b, invert=True), [N, J]),
    ("histogram_counts", lambda x: np.histogram(x, bins=4)[0],
     lambda x: onp.histogram(x, bins=4)[0], [F]),
    ("histogram_edges_range", lambda x: np.histogram(x, bins=3, range=(-1, 1))[1],
     lambda x: onp.histogram(x, bins=3, range=(-1, 1))[1], [F]),
    ("histogram_weights_density",
     lambda x, w: np.histogram(x, bins=S, weights=w, density=True)[0],
     lambda x, w: onp.histogram(x, bins=S, weights=w, density=True)[0], [G, G + 3]),
    ("bincount_weights", lambda x, w: np.bincount(x, weights=w, minlength=9),
     lambda x, w: onp.bincount(x, weights=w, minlength=9), [U, U * 0.5]),
    ("nan_to_num_nonfinite", lambda x: np.nan_to_num(x, nan=-1.0),
     lambda x: onp.nan_to_num(x, nan=-1.0), [W]),
    ("sign_of_zero_and_nan", np.sign, onp.sign, [W]),
]


def _dev(a, device):
    return np.asarray(a, dtype=onp.asarray(a).dtype, device=device) if isinstance(
        a, onp.ndarray) else a


@pytest.mark.parametrize("name,op,ref,inputs", TABLE, ids=[t[0] for t in TABLE])
def test_matches_numpy(name, op, ref, inputs, device):
    got = op(*[_dev(a, device) for a in inputs])
    want = ref(*inputs)
    if isinstance(want, tuple):
        assert len(got) == len(want)
    else:
        got, want = [got], [want]
    for g, w in zip(got, want):
        assert g.device == device
        assert g.dtype == onp.asarray(w).dtype, (g.dtype, onp.asarray(w).dtype)
        onp.testing.assert_array_equal(g.asnumpy(), w)


@pytest.mark.parametrize("fn", [np.less, np.equal, lambda a, b: np.argsort(a + b),
                                lambda a, b: np.isin(a, b), lambda a, b: np.floor(a) * b])
def test_no_gradient_flows_through_comparisons_and_indices(fn):
    """Non-differentiable ops give outputs that record nothing (floor: a zero gradient)."""
    a = np.array(F, dtype="float64").attach_grad()
    b = np.array(G, dtype="float64")
    with gk.autograd.record():
        out = fn(a, b)
        total = out.sum() if out.dtype.kind == "f" else None
    if total is not None:
        total.backward()
        assert (a.grad.asnumpy() == 0).all()
    else:
        assert not out._requires_grad


def test_unique_all_fields_match_numpy():
    got, want = np.unique_all(np.array(N)), onp.unique_all(N)
    for field in ("values", "indices", "inverse_indices", "counts"):
        onp.testing.assert_array_equal(getattr(got, field).asnumpy(), getattr(want, field))


def test_nonzero_of_0d_says_what_to_do():
    with pytest.raises(ValueError, match="atleast_1d"):
        np.nonzero(np.array(1.0))


def test_factorizations_reconstruct_and_match_numpy(device):
    """svd, qr, eigh, pinv and matrix_rank: factors carry no gradient, so check them by what
    they must satisfy, and against NumPy where the result is unique."""
    a = rng.normal(size=(2, 4, 3))
    x = np.asarray(a, device=device)
    U, S, Vh = np.linalg.svd(x, full_matrices=False)
    onp.testing.assert_allclose((U * S[..., None, :] @ Vh).asnumpy(), a, atol=1e-12)
    onp.testing.assert_allclose(S.asnumpy(), onp.linalg.svd(a, compute_uv=False))
    Q, R = np.linalg.qr(x)
    onp.testing.assert_allclose((Q @ R).asnumpy(), a, atol=1e-12)
    onp.testing.assert_allclose(onp.abs(R.asnumpy()), onp.abs(onp.linalg.qr(a).R), atol=1e-12)
    sym = a[0].T @ a[0]
    w, V = np.linalg.eigh(np.asarray(sym, device=device))
    onp.testing.assert_allclose((V * w[None, :] @ V.T).asnumpy(), sym, atol=1e-12)
    onp.testing.assert_allclose(np.linalg.pinv(x).asnumpy(), onp.linalg.pinv(a), atol=1e-12)
    low = onp.outer(a[0, :, 0], a[0, 0, :])
    assert int(np.linalg.matrix_rank(np.asarray(low, device=device))) == 1
    assert not U._requires_grad and not Q._requires_grad


def test_complex_expm1_takes_the_array_api_values():
    inf, nan = onp.inf, onp.nan
    z = np.asarray([complex(-0.0, 0), complex(inf, 0), complex(-inf, inf), complex(inf, nan),
                    complex(nan, 0), 1e-9 + 1e-9j], dtype="complex128")
    got = np.expm1(z).asnumpy()
    onp.testing.assert_array_equal(got[:5].real, [0, inf, -1, inf, nan])
    onp.testing.assert_array_equal(got[:5].imag, [0, 0, 0, nan, 0])
    assert not onp.signbit(got[0].real)
    onp.testing.assert_allclose(got[5], onp.expm1(1e-9 + 1e-9j), rtol=1e-12)
