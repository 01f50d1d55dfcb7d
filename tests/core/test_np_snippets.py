"""NumPy-written code run unchanged through gluonkit.np (only the module differs) and compared
with NumPy's results; then the same code differentiated."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np as gnp


def softmax(np, x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def kmeans_step(np, X, C):
    """One Lloyd iteration: assign each point to its nearest centre, move centres to means."""
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=-1)
    labels = np.argmin(d2, axis=1)
    centres = np.array([X[labels == k].mean(axis=0) for k in range(C.shape[0])])
    inertia = np.take_along_axis(d2, labels[:, None], axis=1).sum()
    return labels, centres, inertia


def polynomial_fit(np, x, y, deg=3):
    coef = np.polyfit(x, y, deg)
    A = np.vander(x, deg + 1)
    residual = np.linalg.norm(A @ coef - y)
    return coef, np.polyval(coef, np.linspace(-1.0, 1.0, 5)), residual


def statistics(np, x):
    q = np.percentile(x, [25, 50, 75], axis=0)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    order = np.argsort(x[:, 0])
    return q, np.cumsum(np.sort(z, axis=0), axis=0), order, np.einsum("ij,ij->j", z, z)


rng = onp.random.default_rng(3)
X = onp.concatenate([rng.normal(0, 0.3, (10, 2)), rng.normal(2, 0.3, (10, 2))])
XS = onp.linspace(-1, 1, 12)
YS = 0.5 * XS ** 3 - XS + 0.2 + rng.normal(0, 0.01, 12)

CASES = [
    ("softmax", softmax, [rng.normal(size=(4, 5))]),
    ("kmeans_step", kmeans_step, [X, X[[0, 15]]]),
    ("polynomial_fit", polynomial_fit, [XS, YS]),
    ("statistics", statistics, [rng.normal(size=(8, 3))]),
]


def _flat(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_numpy_snippet_runs_unchanged(name, fn, inputs, device):
    want = _flat(fn(onp, *inputs))
    got = _flat(fn(gnp, *[gnp.asarray(a, device=device) for a in inputs]))
    for g, w in zip(got, want):
        assert g.device == device
        onp.testing.assert_allclose(g.asnumpy(), w, rtol=1e-6, atol=1e-9)


def test_snippets_differentiate(device):
    """The same NumPy code gives gradients: softmax's rows sum to 1 (gradient 0), k-means'
    inertia moves the centres toward their points, the fit's residual goes to the data."""
    x = gnp.asarray(rng.normal(size=(3, 4)), device=device).attach_grad()
    C = gnp.asarray(X[[0, 15]], device=device).attach_grad()
    ys = gnp.asarray(YS, device=device).attach_grad()
    with gk.autograd.record():
        total = softmax(gnp, x).sum()
        inertia = kmeans_step(gnp, gnp.asarray(X, device=device), C)[2]
        residual = polynomial_fit(gnp, gnp.asarray(XS, device=device), ys)[2]
    total.backward()
    inertia.backward()
    residual.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), 0, atol=1e-12)
    labels = kmeans_step(onp, X, X[[0, 15]])[0]
    expected = onp.stack([2 * (X[[0, 15]][k] - X[labels == k]).sum(0) for k in range(2)])
    onp.testing.assert_allclose(C.grad.asnumpy(), expected, rtol=1e-9)
    A = onp.vander(XS, 4)
    r = A @ onp.polyfit(XS, YS, 3) - YS
    onp.testing.assert_allclose(ys.grad.asnumpy(), -r / onp.linalg.norm(r), atol=1e-6)
