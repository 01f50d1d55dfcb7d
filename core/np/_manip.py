"""Shape and arrangement: reshape, transpose, axes, joining, splitting, flipping, tiling,
gathers and diagonals; all differentiable."""
from __future__ import annotations

import builtins
import math

from ..ndarray import ndarray
from ..ops import manip, shape as sh
from ._creation import asarray


def _axes(axis, ndim: int) -> tuple:
    """axis (int, tuple or None for all) as a tuple of non-negative ints, checked."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise IndexError(f"axis {a} is out of bounds for an array of dimension {ndim}")
    out = tuple(a % builtins.max(ndim, 1) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return out


def reshape(x, /, shape=None, *, copy=None, newshape=None, order: str = "C") -> ndarray:
    """x with a new shape (one entry may be -1); ``copy=True`` returns a copy."""
    if order != "C":
        raise ValueError(f"reshape: only order='C' is supported, got {order!r}")
    shape = newshape if shape is None else shape
    x = asarray(x)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if copy is False and not x._data.flags.c_contiguous and x.size > 1:
        raise ValueError("reshape: copy=False but this array cannot be reshaped without a copy")
    out = sh.Reshape.apply(x, shape=shape)
    return out.copy() if copy else out


def ravel(x, /) -> ndarray:
    """x flattened to 1-D."""
    return reshape(x, -1)


def transpose(x, /, axes=None) -> ndarray:
    """x with its axes permuted (reversed by default)."""
    x = asarray(x)
    return sh.Transpose.apply(x, axes=None if axes is None else _axes(axes, x.ndim))


def permute_dims(x, /, axes) -> ndarray:
    """x with its axes permuted: output axis i is input axis axes[i]."""
    x = asarray(x)
    axes = _axes(axes, x.ndim)
    if len(axes) != x.ndim:
        raise ValueError(f"permute_dims: axes {axes} must list all {x.ndim} axes")
    return sh.Transpose.apply(x, axes=axes)


def matrix_transpose(x, /) -> ndarray:
    """x with its last two axes swapped."""
    return swapaxes(x, -1, -2)


def swapaxes(x, axis1: int, axis2: int, /) -> ndarray:
    """x with axes axis1 and axis2 exchanged."""
    x = asarray(x)
    (a,), (b,) = _axes(axis1, x.ndim), _axes(axis2, x.ndim)
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return sh.Transpose.apply(x, axes=tuple(axes))


def moveaxis(x, source, destination, /) -> ndarray:
    """x with axes ``source`` moved to positions ``destination`` (others keep their order)."""
    x = asarray(x)
    src, dst = _axes(source, x.ndim), _axes(destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination need the same number of axes")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return sh.Transpose.apply(x, axes=tuple(order))


def expand_dims(x, /, axis=0) -> ndarray:
    """x with new axes of length 1 at ``axis`` (an int or a tuple) of the result."""
    x = asarray(x)
    axes = _axes(axis, x.ndim + (1 if isinstance(axis, int) else len(axis)))
    shape = iter(x.shape)
    n = x.ndim + len(axes)
    return sh.Reshape.apply(x, shape=tuple(1 if i in axes else next(shape) for i in range(n)))


def squeeze(x, /, axis=None) -> ndarray:
    """x without its length-1 axes (all of them, or those in ``axis``, which must be 1)."""
    x = asarray(x)
    axes = tuple(i for i, n in enumerate(x.shape) if n == 1) if axis is None \
        else _axes(axis, x.ndim)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has length {x.shape[a]}, not 1")
    return sh.Reshape.apply(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in axes))


def broadcast_shapes(*shapes) -> tuple:
    """The shape these shapes broadcast to (ValueError when they do not)."""
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-ndim, 0):
        sizes = {s[i] for s in shapes if len(s) >= -i} - {1}
        if len(sizes) > 1:
            raise ValueError(f"shapes {shapes} do not broadcast (axis {i}: sizes {sorted(sizes)})")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_to(x, /, shape) -> ndarray:
    """x broadcast to shape (a read-only view; the gradient sums back)."""
    x = asarray(x)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return sh.BroadcastTo.apply(x, shape=shape)


def broadcast_arrays(*arrays) -> list:
    """The arrays broadcast against each other (a list, as numpy 2 and the Array API)."""
    arrays = [asarray(a) for a in arrays]
    shape = broadcast_shapes(*[a.shape for a in arrays])
    return [a if a.shape == shape else broadcast_to(a, shape) for a in arrays]


def atleast_1d(*arys):
    """Each array with at least one axis."""
    out = [asarray(a) if asarray(a).ndim >= 1 else reshape(a, (1,)) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    """Each array with at least two axes (new ones in front)."""
    out = [a if a.ndim >= 2 else reshape(a, (1,) * (2 - a.ndim) + a.shape)
           for a in map(asarray, arys)]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    """Each array with at least three axes (NumPy's placement: (1, n, 1) for a vector)."""
    def lift(a):
        if a.ndim == 0:
            return reshape(a, (1, 1, 1))
        if a.ndim == 1:
            return reshape(a, (1, a.shape[0], 1))
        return reshape(a, a.shape + (1,)) if a.ndim == 2 else a
    out = [lift(asarray(a)) for a in arys]
    return out[0] if len(out) == 1 else out


# ---------------------------------------------------------------------- joining, splitting
def concat(arrays, /, *, axis: int | None = 0) -> ndarray:
    """The arrays joined along an existing axis (None: flattened first)."""
    arrays = [asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("concat needs at least one array")
    if axis is None:
        arrays, axis = [reshape(a, -1) for a in arrays], 0
    return sh.Concatenate.apply(*arrays, axis=_axes(axis, arrays[0].ndim)[0])


def concatenate(arrays, axis: int | None = 0) -> ndarray:
    """numpy.concatenate: the arrays joined along axis (None: flattened)."""
    return concat(arrays, axis=axis)


def stack(arrays, /, axis: int = 0) -> ndarray:
    """The arrays (all one shape) joined along a new axis."""
    arrays = [asarray(a) for a in arrays]
    if not arrays:
        raise ValueError("stack needs at least one array")
    axis = _axes(axis, arrays[0].ndim + 1)[0]
    return concat([expand_dims(a, axis) for a in arrays], axis=axis)


def vstack(tup) -> ndarray:
    """The arrays joined along the first axis (vectors become rows)."""
    return concat(atleast_2d(*tup) if len(tup) > 1 else [atleast_2d(*tup)], axis=0)


def hstack(tup) -> ndarray:
    """The arrays joined along the second axis (vectors: the first)."""
    arrays = [asarray(a) for a in tup]
    return concat(arrays, axis=0 if arrays[0].ndim == 1 else 1)


def dstack(tup) -> ndarray:
    """The arrays joined along the third axis."""
    return concat(atleast_3d(*tup) if len(tup) > 1 else [atleast_3d(*tup)], axis=2)


def column_stack(tup) -> ndarray:
    """Vectors as columns, joined with 2-D arrays along axis 1."""
    return concat([a if a.ndim >= 2 else reshape(a, (-1, 1)) for a in map(asarray, tup)],
                  axis=1)


def unstack(x, /, *, axis: int = 0) -> tuple:
    """The slices of x along axis, as a tuple of arrays."""
    x = asarray(x)
    axis = _axes(axis, x.ndim)[0]
    lead = (slice(None),) * axis
    return tuple(x[lead + (i,)] for i in range(x.shape[axis]))


def array_split(x, indices_or_sections, axis: int = 0) -> list:
    """x cut along axis into sections (an int: sizes as even as possible) or at indices."""
    x = asarray(x)
    axis = _axes(axis, x.ndim)[0]
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        cuts = [builtins.sum(sizes[:i]) for i in range(1, k)]
    else:
        cuts = [int(c) for c in indices_or_sections]
    bounds = [0] + cuts + [n]
    lead = (slice(None),) * axis
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def split(x, indices_or_sections, axis: int = 0) -> list:
    """x cut along axis into equal sections (an int that must divide its length) or at indices."""
    x = asarray(x)
    if isinstance(indices_or_sections, int) and x.shape[axis] % indices_or_sections:
        raise ValueError(f"split: length {x.shape[axis]} on axis {axis} does not divide into "
                         f"{indices_or_sections} equal parts; use array_split")
    return array_split(x, indices_or_sections, axis)


def vsplit(x, sections):
    """split along axis 0."""
    return split(x, sections, 0)


def hsplit(x, sections):
    """split along axis 1 (axis 0 for vectors)."""
    return split(x, sections, 1 if asarray(x).ndim > 1 else 0)


# ---------------------------------------------------------------------- rearranging
def flip(x, /, axis=None) -> ndarray:
    """x with the order of elements reversed along axis (all axes by default)."""
    x = asarray(x)
    return manip.Flip.apply(x, axis=_axes(axis, x.ndim))


def fliplr(x) -> ndarray:
    """x flipped left to right (axis 1)."""
    return flip(x, 1)


def flipud(x) -> ndarray:
    """x flipped upside down (axis 0)."""
    return flip(x, 0)


def roll(x, /, shift, axis=None) -> ndarray:
    """x shifted cyclically along axis (None: the flattened array, reshaped back)."""
    x = asarray(x)
    shift = tuple(int(s) for s in shift) if isinstance(shift, (tuple, list)) else int(shift)
    axis = axis if axis is None or isinstance(axis, int) else tuple(axis)
    return manip.Roll.apply(x, shift=shift, axis=axis)


def repeat(x, repeats, /, axis: int | None = None) -> ndarray:
    """Each element repeated ``repeats`` times (an int or one count per element) along axis."""
    x = asarray(x)
    counts = repeats._data if isinstance(repeats, ndarray) else repeats
    return manip.Repeat.apply(x, counts, axis=None if axis is None else _axes(axis, x.ndim)[0])


def tile(x, repetitions, /) -> ndarray:
    """x repeated ``repetitions`` times along each axis."""
    reps = (repetitions,) if isinstance(repetitions, int) else tuple(repetitions)
    return manip.Tile.apply(asarray(x), reps=reps)


def take(x, indices, /, axis: int | None = None) -> ndarray:
    """x's elements at indices along axis (None: of the flattened x); differentiable in x."""
    x = asarray(x)
    idx = asarray(indices, device=x.device)
    return manip.Take.apply(x, idx, axis=None if axis is None else _axes(axis, x.ndim)[0])


def take_along_axis(x, indices, /, axis: int = -1) -> ndarray:
    """x gathered at indices shaped like x (as returned by argsort); differentiable in x."""
    x = asarray(x)
    if axis is None:
        x, axis = reshape(x, -1), 0
    return manip.TakeAlongAxis.apply(x, asarray(indices, device=x.device),
                                     axis=_axes(axis, x.ndim)[0])


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> ndarray:
    """The ``offset`` diagonal of x over (axis1, axis2), as the last axis."""
    x = asarray(x)
    a1, a2 = _axes((axis1, axis2), x.ndim)
    return manip.Diagonal.apply(x, offset=offset, axis1=a1, axis2=a2)


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None) -> ndarray:
    """The sum of a diagonal of x (NumPy's axes: the first two)."""
    from ._reduce import sum
    return sum(diagonal(x, offset, axis1, axis2), axis=-1, dtype=dtype)


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> ndarray:
    """x padded with constant_values; ``pad_width`` as in numpy.pad."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    import numpy
    x = asarray(x)
    width = numpy.broadcast_to(numpy.asarray(pad_width, dtype=int), (x.ndim, 2))
    return sh.Pad.apply(x, pad_width=tuple(map(tuple, width.tolist())), value=constant_values)


def ndim(x) -> int:
    """The number of axes of x."""
    return asarray(x).ndim


def shape(x) -> tuple:
    """The shape of x."""
    return asarray(x).shape


def size(x) -> int:
    """The number of elements of x."""
    return math.prod(asarray(x).shape)
