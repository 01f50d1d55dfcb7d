"""Linear algebra beyond matmul: einsum, inverse, solve, determinants, Cholesky, eigenvalues and
eigenvectors and singular values (differentiable), and the factorizations that carry no
gradient here (SVD factors, QR, pseudo-inverse)."""
from __future__ import annotations

from ..autograd import Function
from ..device import get_array_module
from .elementwise import real_if, unbroadcast


def _mT(a):
    return a.swapaxes(-1, -2)


def _conj(xp, a):
    return xp.conj(a) if a.dtype.kind == "c" else a


def _einsum_grad(xp, sub: str, x, out: str, others: list, gy):
    """d/d(operand with subscripts sub) of einsum, given gy and the (subscripts, operand) of the
    others: an einsum into sub's letters, broadcast over letters only sub has, and written onto
    the diagonal where sub repeats a letter ('ii->': a trace)."""
    seen = set(out).union(*[set(s) for s, _ in others])
    letters = "".join(dict.fromkeys(sub))  # unique, in order
    size = dict(zip(sub, x.shape))
    spec = ",".join([out] + [s for s, _ in others]) + "->" + "".join(
        c for c in letters if c in seen)
    g = xp.einsum(spec, gy, *[_conj(xp, o) for _, o in others], optimize=len(others) > 1)
    g = xp.broadcast_to(g.reshape([size[c] if c in seen else 1 for c in letters]),
                        [size[c] for c in letters])
    if len(letters) == len(sub):
        return g
    grids = xp.ix_(*[xp.arange(size[c]) for c in letters])
    gx = xp.zeros(x.shape, g.dtype)
    gx[tuple(grids[letters.index(c)] for c in sub)] = g
    return gx


class Einsum(Function):
    """xp.einsum with explicit subscripts (``'ij,jk->ik'``, no ellipsis: np.einsum expands it);
    the gradient of each operand is again an einsum (``_einsum_grad``)."""

    def forward(self, *xs):
        self.xs = xs
        return get_array_module(*xs).einsum(self.subscripts, *xs, optimize=len(xs) > 2)

    def backward(self, gy):
        xp = get_array_module(gy)
        ins, out = self.subscripts.split("->")
        ins = ins.split(",")
        subs = list(zip(ins, self.xs))
        return tuple(
            real_if(_einsum_grad(xp, sub, x, out, subs[:i] + subs[i + 1:], gy), x.dtype.kind)
            if need else None
            for i, ((sub, x), need) in enumerate(zip(subs, self.needs_input_grad)))


class Inv(Function):
    def forward(self, a):
        self.y = get_array_module(a).linalg.inv(a)
        return self.y

    def backward(self, gy):
        yh = _conj(get_array_module(gy), _mT(self.y))
        return (-(yh @ gy @ yh),)


class Solve(Function):
    """x with a @ x = b; b is a vector when 1-D, else a (batch of) matrix."""

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.a, self.sb = a, b.shape
        self.x = xp.linalg.solve(a, b)
        return self.x

    def backward(self, gy):
        xp = get_array_module(gy)
        na, nb = self.needs_input_grad
        ah = _conj(xp, _mT(self.a))
        vector = len(self.sb) == 1
        # NOTE: a batched gy of a vector b is a stack of vectors, not a matrix: solve columns.
        gb = xp.linalg.solve(ah, gy[..., None])[..., 0] if vector else xp.linalg.solve(ah, gy)
        ga = None
        if na:
            xh = _conj(xp, self.x)
            ga = -(gb[..., :, None] * xh[..., None, :] if vector else gb @ _mT(xh))
            ga = unbroadcast(ga, self.a.shape)
        return ga, (unbroadcast(gb, self.sb) if nb else None)


class Det(Function):
    """det(a); d det / d a = det * inv(a)^T (a must be invertible for the gradient)."""

    def forward(self, a):
        self.a = a
        self.y = get_array_module(a).linalg.det(a)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        g = (gy * _conj(xp, self.y))[..., None, None]
        return (g * _conj(xp, _mT(xp.linalg.inv(self.a))),)


class SlogDet(Function):
    """``part='logabsdet'`` (differentiable: inv(a)^T) or ``part='sign'`` (zero gradient)."""

    def forward(self, a):
        self.a = a
        sign, logabs = get_array_module(a).linalg.slogdet(a)
        return logabs if self.part == "logabsdet" else sign

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.part == "sign":
            return (xp.zeros(self.a.shape, self.a.dtype),)
        return (gy[..., None, None] * _conj(xp, _mT(xp.linalg.inv(self.a))),)


class Cholesky(Function):
    """The lower factor L of a symmetric positive-definite a (its lower triangle is read).

    Backward (Murray 2016): phi(L^H gL) with phi = lower triangle, halved diagonal, then
    L^-H ... L^-1 and the symmetric part."""

    def forward(self, a):
        self.L = get_array_module(a).linalg.cholesky(a)
        return self.L

    def backward(self, gy):
        xp = get_array_module(gy)
        L = self.L
        p = xp.tril(_conj(xp, _mT(L)) @ gy)
        p = p - 0.5 * xp.eye(L.shape[-1], dtype=L.dtype) * p
        linv = xp.linalg.inv(L)
        s = _conj(xp, _mT(linv)) @ p @ linv
        return (0.5 * (s + _conj(xp, _mT(s))),)


class EighValues(Function):
    """Eigenvalues of a symmetric a (ascending; lower triangle read); ga = V diag(gw) V^H."""

    def forward(self, a):
        w, self.v = get_array_module(a).linalg.eigh(a)
        return w

    def backward(self, gy):
        xp = get_array_module(gy)
        return ((self.v * gy[..., None, :]) @ _conj(xp, _mT(self.v)),)


class EighVectors(Function):
    """Eigenvectors of a symmetric a (columns, for ascending eigenvalues).

    Backward (PyTorch's linalg_eigh_backward): V ((V^H gV - (V^H gV)^H) / 2 / E) V^H with
    E_ij = w_j - w_i; it needs distinct eigenvalues and a loss that ignores each column's sign."""

    def forward(self, a):
        self.w, self.v = get_array_module(a).linalg.eigh(a)
        return self.v

    def backward(self, gy):
        xp = get_array_module(gy)
        v, w = self.v, self.w
        vh = _conj(xp, _mT(v))
        inner = vh @ gy
        skew = (inner - _conj(xp, _mT(inner))) / 2
        gap = w[..., None, :] - w[..., :, None]
        diag = xp.eye(w.shape[-1], dtype=bool)
        return (v @ xp.where(diag, 0, skew / xp.where(diag, 1, gap)) @ vh,)


class Svdvals(Function):
    """Singular values (descending); ga = U diag(gs) V^H with the reduced factors."""

    def forward(self, a):
        self.u, s, self.vh = get_array_module(a).linalg.svd(a, full_matrices=False)
        return s

    def backward(self, gy):
        return ((self.u * gy[..., None, :]) @ self.vh,)


class Factor(Function):
    """One factor of a factorization, with no gradient: ``kind`` 'svd' (parts 'U', 'Vh';
    ``full_matrices``), 'qr' (parts 'Q', 'R'; ``mode``) or 'pinv' (``rtol``)."""

    differentiable = False

    def forward(self, a):
        la = get_array_module(a).linalg
        if self.kind == "svd":
            u, _, vh = la.svd(a, full_matrices=self.full_matrices)
            return u if self.part == "U" else vh
        if self.kind == "qr":
            q, r = la.qr(a, mode=self.mode)
            return q if self.part == "Q" else r
        return la.pinv(a, rcond=self.rtol)  # CuPy knows rcond only; numpy 2 keeps it
