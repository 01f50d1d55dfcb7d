"""Sorting, searching and sets. Sorted and partitioned *values* are differentiable (a gather of
x at the sorting indices); indices, counts and membership are not."""
from __future__ import annotations

import builtins
from collections import namedtuple

from ..ndarray import ndarray
from ..ops import manip, shape as sh, sorting as so
from ._creation import asarray
from ._manip import _axes, reshape

UniqueAllResult = namedtuple("UniqueAllResult", "values indices inverse_indices counts")
UniqueCountsResult = namedtuple("UniqueCountsResult", "values counts")
UniqueInverseResult = namedtuple("UniqueInverseResult", "values inverse_indices")


def _flat_or(x, axis):
    x = asarray(x)
    return (reshape(x, -1), 0) if axis is None else (x, _axes(axis, x.ndim)[0])


def argsort(x, /, axis: int | None = -1, kind=None, order=None, *,
            descending: builtins.bool = False, stable: builtins.bool = True) -> ndarray:
    """Indices that sort x along axis (stable; ``descending`` keeps ties in input order)."""
    if order is not None:
        raise TypeError("gluonkit.np.argsort: argument 'order' (structured arrays) is not "
                        "supported")
    x, axis = _flat_or(x, axis)
    return so.Argsort.apply(x, axis=axis, descending=descending,
                            stable=builtins.bool(stable or kind == "stable"))


def sort(x, /, axis: int | None = -1, kind=None, order=None, *,
         descending: builtins.bool = False, stable: builtins.bool = True) -> ndarray:
    """x sorted along axis (NaNs last); differentiable: the gradient follows each value."""
    x, axis = _flat_or(x, axis)
    idx = argsort(x, axis, kind, order, descending=descending, stable=stable)
    return manip.TakeAlongAxis.apply(x, idx, axis=axis)


def argpartition(x, kth, axis: int | None = -1) -> ndarray:
    """Indices that partition x around its kth element (no gradient)."""
    x, axis = _flat_or(x, axis)
    kth = tuple(kth) if isinstance(kth, (list, tuple)) else int(kth)
    return so.Argpartition.apply(x, kth=kth, axis=axis)


def partition(x, kth, axis: int | None = -1) -> ndarray:
    """x rearranged so the kth element is in sorted position; differentiable."""
    x, axis = _flat_or(x, axis)
    return manip.TakeAlongAxis.apply(x, argpartition(x, kth, axis), axis=axis)


def argmax(x, /, axis=None, out=None, *, keepdims: builtins.bool = False) -> ndarray:
    """The index of the first maximum along axis (of the flattened x by default)."""
    x = asarray(x)
    return so.ArgReduce.apply(x, op="argmax", axis=None if axis is None else
                              _axes(axis, x.ndim)[0], keepdims=keepdims)


def argmin(x, /, axis=None, out=None, *, keepdims: builtins.bool = False) -> ndarray:
    """The index of the first minimum along axis (of the flattened x by default)."""
    x = asarray(x)
    return so.ArgReduce.apply(x, op="argmin", axis=None if axis is None else
                              _axes(axis, x.ndim)[0], keepdims=keepdims)


def searchsorted(x1, x2, /, side: str = "left", sorter=None) -> ndarray:
    """Where x2's values would be inserted into the sorted 1-D x1 to keep it sorted."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    x1 = asarray(x1)
    return so.Searchsorted.apply(x1, asarray(x2, device=x1.device), sorter, side=side)


def nonzero(x, /) -> tuple:
    """The indices of x's nonzero elements, one int64 array per axis."""
    idx = so.Nonzero.apply(asarray(x))
    return tuple(sh.GetItem.apply(idx, key=i) for i in range(idx.shape[0]))


def argwhere(x) -> ndarray:
    """The indices of nonzero elements, one row per element."""
    x = asarray(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    return so.Nonzero.apply(x).T


def flatnonzero(x) -> ndarray:
    """The indices of nonzero elements of the flattened x."""
    return nonzero(reshape(x, -1))[0]


def _unique(x, part: str) -> ndarray:
    return so.Unique.apply(asarray(x), part=part)


def unique_values(x, /) -> ndarray:
    """The distinct values of x, sorted (each NaN distinct)."""
    return _unique(x, "values")


def unique_counts(x, /) -> UniqueCountsResult:
    """The distinct values of x and how often each occurs."""
    return UniqueCountsResult(_unique(x, "values"), _unique(x, "counts"))


def unique_inverse(x, /) -> UniqueInverseResult:
    """The distinct values and, for each element of x, the index of its value (x's shape)."""
    return UniqueInverseResult(_unique(x, "values"), _unique(x, "inverse"))


def unique_all(x, /) -> UniqueAllResult:
    """Values, first indices, inverse indices and counts of x's distinct values."""
    return UniqueAllResult(*(_unique(x, p) for p in ("values", "indices", "inverse", "counts")))


def unique(ar, return_index: builtins.bool = False, return_inverse: builtins.bool = False,
           return_counts: builtins.bool = False, axis=None):
    """numpy.unique over the flattened array (``axis`` is not supported)."""
    if axis is not None:
        raise TypeError("gluonkit.np.unique: argument 'axis' is not supported")
    out = [_unique(ar, "values")]
    out += [_unique(ar, "indices")] if return_index else []
    out += [_unique(ar, "inverse")] if return_inverse else []
    out += [_unique(ar, "counts")] if return_counts else []
    return out[0] if len(out) == 1 else tuple(out)


def isin(element, test_elements, /, *, invert: builtins.bool = False) -> ndarray:
    """Whether each element is in test_elements (bool, element's shape)."""
    element = asarray(element)
    return so.Isin.apply(element, asarray(test_elements, device=element.device), invert=invert)


def bincount(x, weights=None, minlength: int = 0) -> ndarray:
    """How often each non-negative integer occurs in x (or the summed weights)."""
    return so.Bincount.apply(asarray(x), weights, minlength=minlength)


def histogram(a, bins=10, range=None, density: builtins.bool = False,  # noqa: A002
              weights=None) -> tuple:
    """(counts, bin_edges) of a, as numpy.histogram (no gradient)."""
    a = asarray(a)
    rng = None if range is None else tuple(float(v) for v in range)
    bins = bins if isinstance(bins, int) else asarray(bins, device=a.device)
    return tuple(so.Histogram.apply(a, bins, weights, part=p, range=rng, density=density)
                 for p in ("counts", "edges"))


def digitize(x, bins, right: builtins.bool = False) -> ndarray:
    """The index of the bin of bins each element of x falls in."""
    x = asarray(x)
    return so.Digitize.apply(x, asarray(bins, device=x.device), right=right)
