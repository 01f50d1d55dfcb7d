"""``gluonkit.np.linalg``: NumPy's and the Array API's linear algebra.

Differentiable: inv, solve, det, slogdet's logabsdet, cholesky, eigvalsh, eigh, svdvals / svd's
S, the norms, matrix_power, and the products. No gradient (said by the op): svd's U and Vh, qr,
pinv, matrix_rank.
"""
from __future__ import annotations

from collections import namedtuple

from ..ndarray import ndarray
from ..ops import decomp
from ._creation import asarray, eye
from ._manip import _axes, diagonal as _diagonal, matrix_transpose, moveaxis
from ._math import abs as _abs, sqrt as _sqrt
from ._products import cross as _cross, matmul, outer, tensordot, vecdot
from ._reduce import count_nonzero as _count, max as _max, min as _min, sum as _sum

__all__ = ["cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "norm", "outer",
           "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot", "trace", "vecdot",
           "vector_norm", "EighResult", "QRResult", "SlogdetResult", "SVDResult"]

EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")
QRResult = namedtuple("QRResult", "Q R")
SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")
SVDResult = namedtuple("SVDResult", "U S Vh")


def _square(name: str, x) -> ndarray:
    x = asarray(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"linalg.{name}: needs (a stack of) square matrices, got shape {x.shape}")
    return x


def inv(x, /) -> ndarray:
    """The inverse of (a stack of) square matrices."""
    return decomp.Inv.apply(_square("inv", x))


def solve(x1, x2, /) -> ndarray:
    """The x with x1 @ x = x2; x2 is a vector when 1-D (batch axes broadcast)."""
    return decomp.Solve.apply(_square("solve", x1), asarray(x2))


def det(x, /) -> ndarray:
    """The determinant of (a stack of) square matrices; differentiable."""
    return decomp.Det.apply(_square("det", x))


def slogdet(x, /) -> SlogdetResult:
    """(sign, log|det|) of square matrices; log|det| is differentiable."""
    x = _square("slogdet", x)
    return SlogdetResult(decomp.SlogDet.apply(x, part="sign"),
                         decomp.SlogDet.apply(x, part="logabsdet"))


def cholesky(x, /, *, upper: bool = False) -> ndarray:
    """The Cholesky factor of symmetric positive-definite matrices (lower, or upper)."""
    L = decomp.Cholesky.apply(_square("cholesky", x))
    return matrix_transpose(L).conj() if upper else L


def eigvalsh(x, /) -> ndarray:
    """Eigenvalues of symmetric (Hermitian) matrices, ascending."""
    return decomp.EighValues.apply(_square("eigvalsh", x))


def eigh(x, /) -> EighResult:
    """Eigenvalues and eigenvectors of symmetric matrices, both differentiable (vectors: for
    distinct eigenvalues and a loss blind to each vector's sign)."""
    x = _square("eigh", x)
    return EighResult(decomp.EighValues.apply(x), decomp.EighVectors.apply(x))


def svdvals(x, /) -> ndarray:
    """Singular values, descending; differentiable."""
    return decomp.Svdvals.apply(asarray(x))


def svd(x, /, full_matrices: bool = True) -> SVDResult:
    """U, S, Vh with x = U diag(S) Vh; S is differentiable, U and Vh carry no gradient."""
    x = asarray(x)
    return SVDResult(decomp.Factor.apply(x, kind="svd", part="U", full_matrices=full_matrices),
                     svdvals(x),
                     decomp.Factor.apply(x, kind="svd", part="Vh", full_matrices=full_matrices))


def qr(x, /, mode: str = "reduced") -> QRResult:
    """Q, R with x = Q R (no gradient)."""
    x = asarray(x)
    return QRResult(decomp.Factor.apply(x, kind="qr", part="Q", mode=mode),
                    decomp.Factor.apply(x, kind="qr", part="R", mode=mode))


def pinv(x, /, *, rtol=None) -> ndarray:
    """The Moore-Penrose pseudo-inverse (no gradient); singular values below rtol * the
    largest count as zero (default: eps * max(M, N))."""
    x = asarray(x)
    if rtol is None:
        import numpy
        rtol = max(x.shape[-2:]) * float(numpy.finfo(x.dtype).eps)
    return decomp.Factor.apply(x, kind="pinv", rtol=float(rtol))


def matrix_rank(x, /, *, rtol=None) -> ndarray:
    """The number of singular values above rtol * the largest (default: eps * max(M, N))."""
    x = asarray(x)
    s = svdvals(x)
    if rtol is None:
        import numpy
        rtol = max(x.shape[-2:]) * numpy.finfo(s.dtype).eps
    return _count(s > _max(s, axis=-1, keepdims=True) * rtol, axis=-1)


def matrix_power(x, n: int, /) -> ndarray:
    """x raised to the integer n by repeated squaring (negative n: of the inverse)."""
    x = _square("matrix_power", x)
    if n < 0:
        x, n = inv(x), -n
    out = eye(x.shape[-1], dtype=x.dtype, device=x.device)
    out = out if x.ndim == 2 else out.broadcast_to(x.shape)
    base = x
    while n:
        if n & 1:
            out = matmul(out, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return out


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2) -> ndarray:  # noqa: A002
    """The p-norm over axis (all elements by default); ord inf/-inf: max/min of |x|."""
    a = _abs(asarray(x))
    if ord == float("inf"):
        return _max(a, axis=axis, keepdims=keepdims)
    if ord == -float("inf"):
        return _min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return _sum((a != 0).astype(a.dtype), axis=axis, keepdims=keepdims)
    if ord == 2:
        return _sqrt(_sum(a * a, axis=axis, keepdims=keepdims))
    if ord == 1:
        return _sum(a, axis=axis, keepdims=keepdims)
    return _sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro") -> ndarray:  # noqa: A002
    """A norm of the last two axes: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf."""
    x = asarray(x)
    inf = float("inf")
    if ord == "fro":
        out = vector_norm(x, axis=(-2, -1))
    elif ord == "nuc":
        out = _sum(svdvals(x), axis=-1)
    elif ord in (2, -2):
        out = (_max if ord == 2 else _min)(svdvals(x), axis=-1)
    elif ord in (1, -1, inf, -inf):
        sums = _sum(_abs(x), axis=-2 if ord in (1, -1) else -1)
        out = (_max if ord > 0 else _min)(sums, axis=-1)
    else:
        raise ValueError(f"matrix_norm: unsupported ord {ord!r}")
    return out.reshape(out.shape + (1, 1)) if keepdims else out


def norm(x, ord=None, axis=None, keepdims: bool = False) -> ndarray:  # noqa: A002
    """numpy.linalg.norm: the 2-norm of a vector / Frobenius of a matrix / over the axes."""
    x = asarray(x)
    if axis is None and ord is None:
        return vector_norm(x, keepdims=keepdims)
    axes = _axes(tuple(range(x.ndim)) if axis is None else axis, x.ndim)
    if len(axes) == 1:
        return vector_norm(x, axis=axes, keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axes) != 2:
        raise ValueError(f"norm: axis must name one or two axes, got {axis}")
    moved = moveaxis(x, axes, (-2, -1))
    out = matrix_norm(moved, ord="fro" if ord is None else ord)
    if keepdims:
        shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        out = out.reshape(shape)
    return out


def trace(x, /, *, offset: int = 0, dtype=None) -> ndarray:
    """The sum of the offset diagonal of the last two axes (the Array API's linalg.trace)."""
    return _sum(_diagonal(x, offset, -2, -1), axis=-1, dtype=dtype)


def diagonal(x, /, *, offset: int = 0) -> ndarray:
    """The offset diagonal of the last two axes."""
    return _diagonal(x, offset, -2, -1)


def cross(x1, x2, /, *, axis: int = -1) -> ndarray:
    """The cross product of 3-vectors along axis."""
    return _cross(x1, x2, axis=axis)


def __dir__():
    return __all__
