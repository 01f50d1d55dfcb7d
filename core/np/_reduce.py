"""Reductions and statistics: sums, products, extremes, moments, order statistics, cumulative
sums and products, differences. Differentiable except the boolean ones (all, any)."""
from __future__ import annotations

import builtins
import math

import numpy

from ..ndarray import ndarray
from ..ops import reduce as rd, scan, sorting as so
from ._creation import asarray, full, ones
from ._dtypes import check_dtype
from ._manip import _axes, concat, moveaxis, reshape, take


def _out(name: str, out):
    if out is not None:
        raise TypeError(f"gluonkit.np.{name}: argument 'out' is not supported; assign the result")


def _axis_attr(axis, x: ndarray):
    """The axis attribute for a reduction op: None, or a tuple of non-negative ints."""
    return None if axis is None else _axes(axis, x.ndim)


def _cast_reduction(name: str, op, x, axis, dtype, out, keepdims):
    """A sum or product computed in, and returned as, ``dtype`` when one is given."""
    _out(name, out)
    x = asarray(x)
    if dtype is not None:
        x = x.astype(check_dtype(name, dtype), copy=False)
    out = op.apply(x, axis=_axis_attr(axis, x), keepdims=keepdims)
    return out if dtype is None or out.dtype == x.dtype else out.astype(x.dtype)


def sum(x, /, axis=None, dtype=None, out=None, keepdims: builtins.bool = False) -> ndarray:
    """The sum over axis (all by default); integers sum in the default integer dtype."""
    return _cast_reduction("sum", rd.Sum, x, axis, dtype, out, keepdims)


def prod(x, /, axis=None, dtype=None, out=None, keepdims: builtins.bool = False) -> ndarray:
    """The product over axis (all by default); the gradient is exact at zeros."""
    return _cast_reduction("prod", rd.Prod, x, axis, dtype, out, keepdims)


def mean(x, /, axis=None, dtype=None, out=None, keepdims: builtins.bool = False) -> ndarray:
    """The arithmetic mean over axis (all by default)."""
    _out("mean", out)
    x = asarray(x)
    if dtype is not None:
        x = x.astype(check_dtype("mean", dtype), copy=False)
    return rd.Mean.apply(x, axis=_axis_attr(axis, x), keepdims=keepdims)


def max(x, /, axis=None, out=None, keepdims: builtins.bool = False) -> ndarray:  # noqa: A001
    """The maximum over axis; ties share the gradient."""
    _out("max", out)
    x = asarray(x)
    return rd.Max.apply(x, axis=_axis_attr(axis, x), keepdims=keepdims)


def min(x, /, axis=None, out=None, keepdims: builtins.bool = False) -> ndarray:  # noqa: A001
    """The minimum over axis; ties share the gradient."""
    _out("min", out)
    x = asarray(x)
    return rd.Min.apply(x, axis=_axis_attr(axis, x), keepdims=keepdims)


amax, amin = max, min


def ptp(x, axis=None, keepdims: builtins.bool = False) -> ndarray:
    """max - min over axis."""
    return max(x, axis, keepdims=keepdims) - min(x, axis, keepdims=keepdims)


def var(x, /, axis=None, dtype=None, out=None, ddof: float = 0, keepdims: builtins.bool = False,
        *, correction: float | None = None) -> ndarray:
    """The variance over axis, dividing by N - correction (``ddof`` is NumPy's name for it)."""
    _out("var", out)
    x = asarray(x)
    if dtype is not None:
        x = x.astype(check_dtype("var", dtype), copy=False)
    c = ddof if correction is None else correction
    axes = _axes(axis, x.ndim)
    n = math.prod(x.shape[a] for a in axes)
    d = x - mean(x, axis=axes, keepdims=True)
    sq = (d * d.conj()).real if d.dtype.kind == "c" else d * d
    return sum(sq, axis=axes, keepdims=keepdims) / builtins.max(n - c, 0)


def std(x, /, axis=None, dtype=None, out=None, ddof: float = 0, keepdims: builtins.bool = False,
        *, correction: float | None = None) -> ndarray:
    """The standard deviation over axis (see ``var``)."""
    from ._math import sqrt
    return sqrt(var(x, axis, dtype, out, ddof, keepdims, correction=correction))


def average(x, axis=None, weights=None, returned: builtins.bool = False,
            keepdims: builtins.bool = False):
    """The (weighted) mean over axis; ``returned`` adds the sum of weights."""
    x = asarray(x)
    if weights is None:
        avg = mean(x, axis, keepdims=keepdims)
        total = asarray(x.size / avg.size, dtype=avg.dtype, device=x.device)
        return (avg, total) if returned else avg
    w = asarray(weights)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1:
            raise ValueError("average: 1-D weights need an axis; otherwise weights must have "
                             "x's shape")
        w = reshape(w, [-1 if i == _axes(axis, x.ndim)[0] else 1 for i in range(x.ndim)])
    total = sum(w * ones(x.shape, dtype=w.dtype, device=x.device), axis, keepdims=keepdims)
    avg = sum(x * w, axis, keepdims=keepdims) / total
    return (avg, total) if returned else avg


def cumsum(x, axis=None, dtype=None) -> ndarray:
    """Running sums along axis (None: of the flattened x)."""
    x = asarray(x)
    if axis is None:
        x, axis = reshape(x, -1), 0
    return scan.CumSum.apply(x, axis=_axes(axis, x.ndim)[0],
                             dtype=check_dtype("cumsum", dtype))


def cumprod(x, axis=None, dtype=None) -> ndarray:
    """Running products along axis (None: of the flattened x); exact gradient at zeros."""
    x = asarray(x)
    if axis is None:
        x, axis = reshape(x, -1), 0
    return scan.CumProd.apply(x, axis=_axes(axis, x.ndim)[0],
                              dtype=check_dtype("cumprod", dtype))


def _cumulative(fn, x, axis, dtype, include_initial, initial):
    x = asarray(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError("cumulative functions need axis= for arrays of more than one "
                             "dimension")
        axis = 0
    out = fn(x, axis, dtype)
    if include_initial:
        axis = _axes(axis, x.ndim)[0]
        shape = out.shape[:axis] + (1,) + out.shape[axis + 1:]
        start = full(shape, initial, dtype=out.dtype, device=out.device)
        out = concat([start, out], axis=axis)
    return out


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial: builtins.bool = False):
    """Running sums along axis; ``include_initial`` starts with a 0 (Array API)."""
    return _cumulative(cumsum, x, axis, dtype, include_initial, 0)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial: builtins.bool = False):
    """Running products along axis; ``include_initial`` starts with a 1 (Array API)."""
    return _cumulative(cumprod, x, axis, dtype, include_initial, 1)


def _edge(extra, x: ndarray, axis: int) -> ndarray:
    """prepend/append for diff: an array, or a scalar spread over x's other axes."""
    e = asarray(extra, device=x.device)
    return e.broadcast_to(x.shape[:axis] + (1,) + x.shape[axis + 1:]) if e.ndim == 0 else e


def diff(x, /, n: int = 1, axis: int = -1, prepend=None, append=None) -> ndarray:
    """The n-th forward difference along axis, after joining prepend and append."""
    x = asarray(x)
    axis = _axes(axis, x.ndim)[0]
    parts = [x]
    if prepend is not None:
        parts.insert(0, _edge(prepend, x, axis))
    if append is not None:
        parts.append(_edge(append, x, axis))
    if len(parts) > 1:
        x = concat(parts, axis=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x


def all(x, /, axis=None, keepdims: builtins.bool = False) -> ndarray:  # noqa: A001
    """Whether every element along axis is nonzero (bool, no gradient)."""
    x = asarray(x)
    return so.AllAny.apply(x, op="all", axis=_axis_attr(axis, x), keepdims=keepdims)


def any(x, /, axis=None, keepdims: builtins.bool = False) -> ndarray:  # noqa: A001
    """Whether some element along axis is nonzero (bool, no gradient)."""
    x = asarray(x)
    return so.AllAny.apply(x, op="any", axis=_axis_attr(axis, x), keepdims=keepdims)


def count_nonzero(x, /, axis=None, *, keepdims: builtins.bool = False) -> ndarray:
    """The number of nonzero elements along axis (int64)."""
    x = asarray(x)
    return so.CountNonzero.apply(x, axis=_axis_attr(axis, x), keepdims=keepdims)


def quantile(x, q, axis=None, keepdims: builtins.bool = False, method: str = "linear"):
    """The q-th quantiles (q in [0, 1], a float or a list) along axis, interpolating linearly
    between order statistics; differentiable in x (the gradient goes to the two neighbours)."""
    from ._search import sort
    if method != "linear":
        raise ValueError(f"quantile: only method='linear' is supported, got {method!r}")
    x = asarray(x)
    qs = numpy.asarray(q.asnumpy() if isinstance(q, ndarray) else q, dtype=numpy.float64)
    if ((qs < 0) | (qs > 1)).any():
        raise ValueError("quantile: q must lie in [0, 1]")
    axes = _axes(axis, x.ndim)
    keep = [a for a in range(x.ndim) if a not in axes]
    flat = reshape(moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim))),
                   [x.shape[a] for a in keep] + [-1])
    s = sort(flat, axis=-1)
    n = s.shape[-1]
    pos = qs.reshape(-1) * (n - 1)
    lo = numpy.floor(pos).astype(numpy.int64)
    hi = numpy.minimum(lo + 1, n - 1)
    frac = (pos - lo).astype(s.dtype if s.dtype.kind == "f" else numpy.float64)
    a, b = take(s, lo, axis=-1), take(s, hi, axis=-1)
    out = a + (b - a) * asarray(frac, device=s.device)
    out = moveaxis(out, -1, 0)  # (len(q), *kept)
    if keepdims:
        out = reshape(out, (-1,) + tuple(1 if i in axes else n_ for i, n_ in enumerate(x.shape)))
    return reshape(out, out.shape[1:]) if qs.ndim == 0 else out


def percentile(x, q, axis=None, keepdims: builtins.bool = False, method: str = "linear"):
    """The q-th percentiles (q in [0, 100]) along axis; see ``quantile``."""
    qs = numpy.asarray(q.asnumpy() if isinstance(q, ndarray) else q, dtype=numpy.float64)
    return quantile(x, qs / 100, axis, keepdims, method)


def median(x, axis=None, keepdims: builtins.bool = False) -> ndarray:
    """The median along axis (the mean of the two middle values for even lengths)."""
    return quantile(x, 0.5, axis, keepdims)
