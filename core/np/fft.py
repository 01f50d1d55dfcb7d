"""``gluonkit.np.fft``: discrete Fourier transforms (numpy.fft's names and arguments); each is
differentiable (its backward is the adjoint transform)."""
from __future__ import annotations

from ..ndarray import ndarray
from ..ops import fft as _fft
from ._creation import _on, asarray
from ._manip import _axes, roll

__all__ = ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft",
           "fft2", "ifft2", "rfft2", "irfft2", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = ("backward", "ortho", "forward")


def _apply(kind, x, s, axes, norm, inverse=False) -> ndarray:
    if norm is None:
        norm = "backward"
    if norm not in _NORMS:
        raise ValueError(f"fft: norm must be one of {_NORMS}, got {norm!r}")
    x = asarray(x)
    if axes is None:
        axes = tuple(range(x.ndim)) if s is None else tuple(range(x.ndim - len(s), x.ndim))
    axes = _axes(axes, x.ndim)
    s = None if s is None else tuple(int(n) for n in s)
    if s is None and kind == "c2r":
        s = tuple(x.shape[a] for a in axes[:-1]) + (2 * (x.shape[axes[-1]] - 1),)
    return _fft.FFT.apply(x, kind=kind, s=s, axes=axes, norm=norm, inverse=inverse)


def _one(n, axis):
    return None if n is None else (n,), (axis,)


def fft(x, /, n=None, axis: int = -1, norm=None) -> ndarray:
    """The 1-D discrete Fourier transform along axis (cropped or zero-padded to n)."""
    return _apply("c2c", x, *_one(n, axis), norm)


def ifft(x, /, n=None, axis: int = -1, norm=None) -> ndarray:
    """The inverse of fft."""
    return _apply("c2c", x, *_one(n, axis), norm, inverse=True)


def fftn(x, /, s=None, axes=None, norm=None) -> ndarray:
    """The n-D transform over axes (all by default)."""
    return _apply("c2c", x, s, axes, norm)


def ifftn(x, /, s=None, axes=None, norm=None) -> ndarray:
    """The inverse of fftn."""
    return _apply("c2c", x, s, axes, norm, inverse=True)


def fft2(x, /, s=None, axes=(-2, -1), norm=None) -> ndarray:
    """fftn over the last two axes."""
    return fftn(x, s, axes, norm)


def ifft2(x, /, s=None, axes=(-2, -1), norm=None) -> ndarray:
    """ifftn over the last two axes."""
    return ifftn(x, s, axes, norm)


def rfft(x, /, n=None, axis: int = -1, norm=None) -> ndarray:
    """The transform of real x: the n // 2 + 1 non-negative frequencies."""
    return _apply("r2c", x, *_one(n, axis), norm)


def irfft(x, /, n=None, axis: int = -1, norm=None) -> ndarray:
    """The inverse of rfft: a real signal of length n (default 2 * (len - 1))."""
    x = asarray(x)
    n = 2 * (x.shape[axis] - 1) if n is None else n
    return _apply("c2r", x, *_one(n, axis), norm)


def rfftn(x, /, s=None, axes=None, norm=None) -> ndarray:
    """The n-D transform of real x (the last axis halved)."""
    return _apply("r2c", x, s, axes, norm)


def irfftn(x, /, s=None, axes=None, norm=None) -> ndarray:
    """The inverse of rfftn: real output."""
    return _apply("c2r", x, s, axes, norm)


def rfft2(x, /, s=None, axes=(-2, -1), norm=None) -> ndarray:
    """rfftn over the last two axes."""
    return rfftn(x, s, axes, norm)


def irfft2(x, /, s=None, axes=(-2, -1), norm=None) -> ndarray:
    """irfftn over the last two axes."""
    return irfftn(x, s, axes, norm)


_DUAL = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def hfft(x, /, n=None, axis: int = -1, norm=None) -> ndarray:
    """The transform of a Hermitian-symmetric signal given by its first half: real output."""
    return irfft(asarray(x).conj(), n, axis, _DUAL[norm])


def ihfft(x, /, n=None, axis: int = -1, norm=None) -> ndarray:
    """The inverse of hfft."""
    return rfft(x, n, axis, _DUAL[norm]).conj()


def fftfreq(n: int, /, d: float = 1.0, *, dtype=None, device=None) -> ndarray:
    """The sample frequencies of an n-point transform with sample spacing d."""
    return _on(device, lambda xp: xp.fft.fftfreq(n, d).astype(dtype or "float32"))


def rfftfreq(n: int, /, d: float = 1.0, *, dtype=None, device=None) -> ndarray:
    """The sample frequencies of rfft (non-negative only)."""
    return _on(device, lambda xp: xp.fft.rfftfreq(n, d).astype(dtype or "float32"))


def _shift(x, axes, sign):
    x = asarray(x)
    axes = _axes(axes, x.ndim)
    return roll(x, tuple(sign * (x.shape[a] // 2) for a in axes), axes)


def fftshift(x, /, axes=None) -> ndarray:
    """x with the zero frequency moved to the centre."""
    return _shift(x, axes, 1)


def ifftshift(x, /, axes=None) -> ndarray:
    """The inverse of fftshift."""
    return _shift(x, axes, -1)


def __dir__():
    return __all__
