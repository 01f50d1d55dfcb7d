"""Index-valued and set ops: argsort, argpartition, searchsorted, argmax/argmin, nonzero, unique,
isin, all/any, count_nonzero, histogram, digitize, bincount.

None is differentiable (their outputs are indices, counts or booleans); sorted *values* are a
differentiable gather of the input at these indices (``TakeAlongAxis``).
"""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module


class Argsort(Function):
    """Indices that sort x along ``axis``; ``descending`` keeps equal elements in input order."""

    differentiable = False

    def forward(self, x):
        xp = get_array_module(x)
        kind = "stable" if self.stable else None
        if not self.descending:
            return xp.argsort(x, axis=self.axis, kind=kind)
        # NOTE: argsort(-x) fails for unsigned and bool dtypes; flip twice to stay stable.
        n = x.shape[self.axis]
        rev = xp.argsort(xp.flip(x, self.axis), axis=self.axis, kind=kind)
        return n - 1 - xp.flip(rev, self.axis)


class Argpartition(Function):
    differentiable = False

    def forward(self, x):
        return get_array_module(x).argpartition(x, self.kth, axis=self.axis)


class ArgReduce(Function):
    """argmax / argmin (``op``) along ``axis``, first occurrence, optionally keeping dims."""

    differentiable = False

    def forward(self, x):
        xp = get_array_module(x)
        fn = {"argmax": xp.argmax, "argmin": xp.argmin}[self.op]
        return xp.asarray(fn(x, axis=self.axis, keepdims=self.keepdims))


class AllAny(Function):
    """all / any (``op``) along ``axis``."""

    differentiable = False

    def forward(self, x):
        xp = get_array_module(x)
        fn = {"all": xp.all, "any": xp.any}[self.op]
        return xp.asarray(fn(x, axis=self.axis, keepdims=self.keepdims))


class CountNonzero(Function):
    differentiable = False

    def forward(self, x):
        xp = get_array_module(x)
        axis = self.axis
        if axis is None:
            axis = tuple(range(x.ndim))
        return xp.asarray((x != 0).sum(axis=axis, keepdims=self.keepdims))


class Searchsorted(Function):
    """Insertion points of x2 into the sorted 1-D x1 (or x1[sorter])."""

    differentiable = False

    def forward(self, x1, x2, sorter=None):
        xp = get_array_module(x1, x2)
        return xp.asarray(xp.searchsorted(x1, x2, side=self.side, sorter=sorter))


class Nonzero(Function):
    """The indices of nonzero elements as one (ndim, count) array; row i indexes axis i."""

    differentiable = False

    def forward(self, x):
        xp = get_array_module(x)
        if x.ndim == 0:
            raise ValueError("nonzero of a 0-d array is not defined; use atleast_1d(x) first")
        return xp.stack(xp.nonzero(x))


class Unique(Function):
    """One output of ``unique_all`` (``part``: values, indices, inverse or counts).

    NaNs count as distinct values (the Array API's ``equal_nan=False``); the inverse has x's
    shape."""

    differentiable = False

    def forward(self, x):
        xp = get_array_module(x)
        flat = x.reshape(-1)
        values, index, inverse, counts = xp.unique(flat, return_index=True, return_inverse=True,
                                                   return_counts=True, equal_nan=False)
        if self.part == "values":
            return values
        if self.part == "indices":
            return index
        if self.part == "inverse":
            return inverse.reshape(x.shape)
        return counts


class Isin(Function):
    differentiable = False

    def forward(self, x, test):
        return get_array_module(x, test).isin(x, test, invert=self.invert)


class Histogram(Function):
    """Counts (``part='counts'``) or bin edges of numpy.histogram; ``bins`` is an int attribute
    or an array input of edges."""

    differentiable = False

    def forward(self, a, bins, weights=None):
        xp = get_array_module(a, bins, weights)
        counts, edges = xp.histogram(a, bins=bins, range=self.range, density=self.density,
                                     weights=weights)
        return counts if self.part == "counts" else edges


class Digitize(Function):
    differentiable = False

    def forward(self, x, bins):
        return get_array_module(x, bins).digitize(x, bins, right=self.right)


class Bincount(Function):
    differentiable = False

    def forward(self, x, weights=None):
        xp = get_array_module(x, weights)
        return xp.bincount(x, weights=weights, minlength=self.minlength)
