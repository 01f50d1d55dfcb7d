"""Products: matmul, dot, inner, outer, tensordot, vecdot, einsum, cross, kron, and polynomial
helpers (vander, polyval, polyfit); all differentiable."""
from __future__ import annotations

import string

from ..ndarray import ndarray
from ..ops import decomp, linalg as la
from ._creation import asarray, ones
from ._manip import _axes, broadcast_shapes, broadcast_to, moveaxis, reshape, stack


def matmul(x1, x2, /) -> ndarray:
    """The matrix product, batched and broadcasting over leading axes."""
    return la.MatMul.apply(asarray(x1), asarray(x2))


def dot(a, b) -> ndarray:
    """numpy.dot: scalars multiply, vectors and matrices use matmul, N-D sums a's last axis
    against b's second-to-last."""
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [max(b.ndim - 2, 0)]))


def vdot(a, b) -> ndarray:
    """The dot product of the flattened arrays, conjugating a."""
    a = reshape(asarray(a), -1)
    return einsum("i,i->", a.conj() if a.dtype.kind == "c" else a, reshape(asarray(b), -1))


def inner(a, b) -> ndarray:
    """The sum of products over the last axes of a and b."""
    a, b = asarray(a), asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def outer(x1, x2, /) -> ndarray:
    """The outer product of two vectors (inputs are flattened, as numpy.outer)."""
    return reshape(asarray(x1), (-1, 1)) * reshape(asarray(x2), (1, -1))


def tensordot(x1, x2, /, *, axes=2) -> ndarray:
    """Sum of products over the last ``axes`` axes of x1 and first of x2 (or two lists)."""
    x1, x2 = asarray(x1), asarray(x2)
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError("tensordot: axes must be a non-negative integer")
        a1, a2 = tuple(range(x1.ndim - axes, x1.ndim)), tuple(range(axes))
    else:
        a1, a2 = (_axes(a, x.ndim) for a, x in zip(axes, (x1, x2)))
    letters = iter(string.ascii_letters)
    s1 = [next(letters) for _ in range(x1.ndim)]
    s2 = [next(letters) for _ in range(x2.ndim)]
    for i, j in zip(a1, a2):
        s2[j] = s1[i]
    out = [c for i, c in enumerate(s1) if i not in a1] + \
        [c for j, c in enumerate(s2) if j not in a2]
    return einsum(f"{''.join(s1)},{''.join(s2)}->{''.join(out)}", x1, x2)


def vecdot(x1, x2, /, *, axis: int = -1) -> ndarray:
    """The dot product along axis, broadcasting the others, conjugating x1."""
    x1, x2 = asarray(x1), asarray(x2)
    if x1.shape[axis] != x2.shape[axis]:
        raise ValueError(f"vecdot: the contracted axis {axis} has lengths {x1.shape[axis]} and "
                         f"{x2.shape[axis]}")
    if x1.dtype.kind == "c":
        x1 = x1.conj()
    from ._reduce import sum
    prod = x1 * x2
    return sum(prod, axis=axis, dtype=prod.dtype)


def _expand_ellipsis(subscripts: str, operands) -> tuple[str, list]:
    """Explicit einsum subscripts without '...' and with broadcast operands."""
    subscripts = subscripts.replace(" ", "")
    ins, arrow, out = subscripts.partition("->")
    ins = ins.split(",")
    if len(ins) != len(operands):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(operands)} operands")
    used = set(subscripts)
    free = iter(c for c in string.ascii_letters if c not in used)
    nell = max([x.ndim - len(s.replace("...", "")) for s, x in zip(ins, operands)
                if "..." in s], default=0)
    ell = "".join(next(free) for _ in range(nell))
    if "..." in subscripts:
        shapes = [x.shape[s.index("..."):x.ndim - len(s) + s.index("...") + 3]
                  for s, x in zip(ins, operands) if "..." in s]
        batch = broadcast_shapes(*shapes)
        new = []
        for s, x in zip(ins, operands):
            if "..." in s:
                k = s.index("...")
                lead = x.shape[:k]
                tail = x.shape[x.ndim - (len(s) - k - 3):]
                n = x.ndim - len(s) + 3
                x = reshape(x, lead + (1,) * (nell - n) + x.shape[k:k + n] + tail)
                x = broadcast_to(x, lead + batch + tail)
            new.append(x)
        operands = new
        ins = [s.replace("...", ell) for s in ins]
    if not arrow:
        joined = "".join(ins)
        out = ell + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return ",".join(ins) + "->" + out, list(operands)


def einsum(subscripts: str, *operands) -> ndarray:
    """Einstein summation ('ij,jk->ik', 'ii' for a trace, implicit output and '...');
    differentiable in every operand.

    >>> np.einsum("ij,j->i", np.ones((2, 3)), np.arange(3.0))   # array([3., 3.])
    """
    operands = [asarray(x) for x in operands]
    spec, operands = _expand_ellipsis(subscripts, operands)
    return decomp.Einsum.apply(*operands, subscripts=spec)


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None) -> ndarray:
    """The cross product of 3-vectors along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(asarray(a), axisa, -1), moveaxis(asarray(b), axisb, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(f"cross: vectors must have 3 components, got {a.shape[-1]} and "
                         f"{b.shape[-1]}")
    a0, a1, a2 = (a[..., i] for i in range(3))
    b0, b1, b2 = (b[..., i] for i in range(3))
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


def kron(a, b) -> ndarray:
    """The Kronecker product of two arrays of equal rank."""
    a, b = asarray(a), asarray(b)
    if a.ndim != b.ndim:
        raise ValueError("kron: gluonkit supports operands of equal rank only")
    nd = a.ndim
    ea = reshape(a, [n for s in a.shape for n in (s, 1)])
    eb = reshape(b, [n for s in b.shape for n in (1, s)])
    return reshape(ea * eb, tuple(a.shape[i] * b.shape[i] for i in range(nd)))


def vander(x, N=None, increasing: bool = False) -> ndarray:
    """Columns x**(N-1), ..., x, 1 (or increasing powers)."""
    x = reshape(asarray(x), (-1, 1))
    N = x.shape[0] if N is None else N
    powers = asarray(list(range(N)) if increasing else list(range(N - 1, -1, -1)),
                     device=x.device)
    return x ** powers.astype(x.dtype)


def polyval(p, x) -> ndarray:
    """The polynomial with coefficients p (highest power first) at x, by Horner's rule."""
    p, x = asarray(p), asarray(x)
    y = p[0] * ones(x.shape, dtype=p.dtype, device=x.device)
    for i in range(1, p.shape[0]):
        y = y * x + p[i]
    return y


def polyfit(x, y, deg: int) -> ndarray:
    """Least-squares polynomial coefficients (highest power first), by the normal equations
    on a column-scaled Vandermonde matrix; differentiable in x and y."""
    from .linalg import solve
    A = vander(x, deg + 1)
    scale = (A * A).sum(axis=0) ** 0.5
    A = A / scale
    coef = solve(A.T @ A, A.T @ asarray(y))
    return (coef.T / scale).T
