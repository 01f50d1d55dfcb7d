"""Helpers for op tests: central finite differences in float64 through the public API."""
import numpy as onp

import gluonkit as gk


def numeric_grads(f, arrays, eps=1e-6):
    """d sum(f(*arrays) * w) / d array for each array, w a fixed random weighting."""
    arrays = [onp.array(a, dtype=onp.float64) for a in arrays]
    out = onp.asarray(f(*arrays))
    w = onp.random.default_rng(0).standard_normal(out.shape)
    grads = []
    for a in arrays:
        g = onp.zeros_like(a)
        it = onp.nditer(a, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = a[i]
            a[i] = old + eps
            hi = (onp.asarray(f(*arrays)) * w).sum()
            a[i] = old - eps
            lo = (onp.asarray(f(*arrays)) * w).sum()
            a[i] = old
            g[i] = (hi - lo) / (2 * eps)
        grads.append(g)
    return grads, w


def check_grads(op, arrays, device=None, rtol=1e-5, atol=1e-6):
    """Compare gluonkit's backward of ``op`` (taking ndarrays) with finite differences."""
    device = device or gk.cpu()

    def run(*raw):
        with gk.autograd.pause():
            return op(*[gk.np.array(r, dtype="float64", device=device) for r in raw]).asnumpy()

    expected, w = numeric_grads(run, arrays)
    xs = [gk.np.array(onp.asarray(a, dtype=onp.float64), dtype="float64", device=device)
          for a in arrays]
    for x in xs:
        x.attach_grad()
    with gk.autograd.record():
        y = op(*xs)
    y.backward(gk.np.array(w, dtype="float64", device=device))
    for i, (x, g) in enumerate(zip(xs, expected)):
        onp.testing.assert_allclose(x.grad.asnumpy(), g, rtol=rtol, atol=atol,
                                    err_msg=f"gradient of input {i}")
