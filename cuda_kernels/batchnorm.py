"""Batch norm (+ReLU) forward and backward passes as single CuPy kernels.

Replace the per-term passes of ``core/ops/batchnorm.py`` (its NumPy formulas stay the reference):

    xhat = (x - mean) * invstd;  y = max(gamma * xhat + beta, 0 if relu)     -> bn_fwd
    g = gy * (y > 0 if relu);  gbeta = sum(g);  ggamma = sum(g * xhat)       -> bn_grad_sums
    gx = gamma * invstd * (g - gbeta / n - xhat * ggamma / n)                 -> bn_bwd

Per-channel vectors are passed shaped (1, C, 1, 1) and broadcast by CuPy. Sums accumulate in
float32 (float16/bfloat16 inputs under mixed precision too).
"""
from __future__ import annotations

from .build import Elementwise, Reduction

__all__ = ["bn_fwd", "bn_grad_sums", "bn_bwd"]

bn_fwd = Elementwise(
    "T x, T mean, T invstd, T gamma, T beta, bool relu", "T xhat, T y",
    "xhat = (x - mean) * invstd;"
    "T v = gamma * xhat + beta;"
    "y = (relu && v < T(0)) ? T(0) : v;",
    "bn_fwd")


def _sums(relu: bool) -> tuple:
    """sum(g) and sum(g * xhat) reductions; with ReLU, g is gy masked by the saved y > 0."""
    g = "(y > T(0) ? (float)gy : 0.f)" if relu else "(float)gy"
    tag = "_relu" if relu else ""
    return (Reduction("T gy, T y", "T gbeta", g, "a + b", "gbeta = (T)a", "0.f",
                      "bn_grad_sum" + tag),
            Reduction("T gy, T y, T xhat", "T ggamma", f"{g} * (float)xhat", "a + b",
                      "ggamma = (T)a", "0.f", "bn_grad_xhat_sum" + tag))


_SUMS = {relu: _sums(relu) for relu in (False, True)}


def bn_grad_sums(gy, y, xhat, axis: tuple, relu: bool) -> tuple:
    """(gbeta, ggamma) over ``axis``; ``y`` is the saved output (read only with ``relu``)."""
    if gy.dtype.itemsize == 8:  # float64 keeps float64 sums (the kernels accumulate in float32)
        g = gy * (y > 0) if relu else gy
        return g.sum(axis=axis), (g * xhat).sum(axis=axis)
    total, weighted = _SUMS[relu]
    return total(gy, y, axis=axis), weighted(gy, y, xhat, axis=axis)

bn_bwd = Elementwise(
    "T gy, T y, T xhat, T scale, T gbeta_n, T ggamma_n, bool relu", "T gx",
    "T g = (relu && !(y > T(0))) ? T(0) : gy;"
    "gx = scale * (g - gbeta_n - xhat * ggamma_n);",
    "bn_bwd")
