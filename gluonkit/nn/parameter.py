"""``Parameter``: a named, lazily shaped array with its gradient and optimizer hints."""
from __future__ import annotations

import numpy as onp

import gluonkit as gk
from gluonkit.core import random as grandom

from . import init as initializers

__all__ = ["Parameter", "DeferredInitializationError", "shapes_compatible", "generation"]

_generation = 0


def generation() -> int:
    """A counter bumped whenever any parameter gets a new array, dtype, device or grad_req:
    hybridized blocks retrace when it moves (their graphs hold the old arrays' properties)."""
    return _generation


def _bump() -> None:
    global _generation
    _generation += 1

# Gluon's name rules: what an unnamed-init parameter gets whatever the block-level init is.
_ZERO_SUFFIXES = ("bias", "beta", "running_mean")
_ONE_SUFFIXES = ("gamma", "running_var")


class DeferredInitializationError(RuntimeError):
    """A parameter's shape is not known yet: it is set at the block's first forward."""


def shapes_compatible(declared, actual) -> bool:
    """True when ``actual`` fits ``declared``, where a 0 in ``declared`` matches any size."""
    declared, actual = tuple(declared), tuple(actual)
    return len(declared) == len(actual) and all(d in (0, a) for d, a in zip(declared, actual))


class Parameter:
    """A trainable array of a Block (or a buffer, such as running statistics: ``grad_req='null'``).

    A 0 in ``shape`` marks a dimension inferred at the first forward (Gluon's deferred init).
    ``lr_mult``/``wd_mult`` scale the optimizer's learning rate and weight decay for it.

    Example::

        self.weight = Parameter((64, 0), init=nn.init.Normal(0.01))   # in the block's __init__
    """

    def __init__(self, shape=None, dtype="float32", init=None, grad_req: str = "write",
                 lr_mult: float = 1.0, wd_mult: float = 1.0):
        self.name = ""
        self._shape = tuple(shape) if shape is not None else None
        self.dtype = onp.dtype(dtype)
        self.init = None if init is None else initializers.create(init)
        self._check_grad_req(grad_req)
        self._grad_req = grad_req
        self.lr_mult, self.wd_mult = lr_mult, wd_mult
        self._data = None
        self._deferred = None  # (initializer, device) waiting for the shape

    @staticmethod
    def _check_grad_req(req: str) -> None:
        if req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {req!r}")

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple | None:
        return self._data.shape if self._data is not None else self._shape

    @shape.setter
    def shape(self, new) -> None:
        new = tuple(new)
        if self._shape is not None and not shapes_compatible(self._shape, new):
            raise ValueError(f"parameter {self.name!r}: cannot change shape {self._shape} to {new}")
        self._shape = new

    def _known(self) -> bool:
        return self._shape is not None and all(n > 0 for n in self._shape)

    # ------------------------------------------------------------------ init
    def _choose_init(self, init) -> initializers.Initializer:
        """Own init, then Gluon's name rules (bias/beta 0, gamma 1), then ``init``, then Xavier."""
        if self.init is not None:
            return self.init
        if self.name.endswith(_ZERO_SUFFIXES):
            return initializers.Zero()
        if self.name.endswith(_ONE_SUFFIXES):
            return initializers.One()
        return initializers.create(init) if init is not None else initializers.Xavier()

    def initialize(self, init=None, device=None, force_reinit: bool = False) -> None:
        """Fill the parameter now, or at the first forward when its shape still has a 0."""
        if self._data is not None and not force_reinit:
            return
        chosen = self._choose_init(init)
        device = device or gk.current_device()
        if self._known():
            self._fill(chosen, device)
        else:
            self._data = None
            self._deferred = (chosen, device)

    def _fill(self, chosen: initializers.Initializer, device) -> None:
        # Drawn on the host in float64 from the CPU generator: the same values on every device.
        host = onp.empty(self._shape, dtype=onp.float64)
        chosen(host, grandom.generator(gk.cpu()))
        self._data = gk.np.array(host.astype(self.dtype), device=device)
        self._data.attach_grad(self._grad_req)
        self._deferred = None
        _bump()

    def _finish_deferred_init(self, shape) -> None:
        """Called by a layer at its first forward, once the input fixes the shape."""
        self.shape = shape
        if self._data is None:
            if self._deferred is None:
                raise DeferredInitializationError(
                    f"parameter {self.name!r} is not initialized: call net.initialize() first")
            self._fill(*self._deferred)

    # ------------------------------------------------------------------ access
    @property
    def is_initialized(self) -> bool:
        """True once the parameter holds an array (its shape is fully known)."""
        return self._data is not None

    def data(self) -> gk.ndarray:
        """The value as a gluonkit ndarray (the leaf that collects the gradient)."""
        if self._data is None:
            if self._deferred is not None:
                raise DeferredInitializationError(
                    f"parameter {self.name!r} has shape {self._shape}: its unknown dimensions are "
                    "set at the first forward; run the block once on an input first")
            raise RuntimeError(f"parameter {self.name!r} is not initialized: call "
                               "net.initialize() (or load_parameters) first")
        return self._data

    def grad(self) -> gk.ndarray:
        data = self.data()
        if data.grad is None:
            raise RuntimeError(f"parameter {self.name!r} has grad_req='null': it has no gradient")
        return data.grad

    def set_data(self, value) -> None:
        """Replace the value (numpy, cupy or gluonkit array); keeps the device and dtype.

        Setting an uninitialized parameter fixes its shape (0 dimensions included).
        """
        shape = tuple(value.shape) if hasattr(value, "shape") else onp.shape(value)
        if self._data is None:
            self.shape = shape
            device = self._deferred[1] if self._deferred else gk.current_device()
            self._data = gk.np.array(value, dtype=self.dtype, device=device)
            self._data.attach_grad(self._grad_req)
            self._deferred = None
            _bump()
            return
        if shape != self._data.shape:
            raise ValueError(f"parameter {self.name!r}: new value has shape {shape}, "
                             f"expected {self._data.shape}")
        new = gk.np.array(value, dtype=self.dtype, device=self._data.device)
        self._data.raw[...] = new.raw

    @property
    def grad_req(self) -> str:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        self._check_grad_req(req)
        self._grad_req = req
        if self._data is not None:
            self._data.attach_grad(req)
        _bump()

    def zero_grad(self) -> None:
        if self._data is not None and self._data.grad is not None:
            self._data.grad.raw[...] = 0

    def cast(self, dtype) -> None:
        """Convert to ``dtype``; the gradient buffer is recreated in the new dtype."""
        self.dtype = onp.dtype(dtype)
        if self._data is not None:
            self._data = gk.np.array(self._data, dtype=self.dtype)
            self._data.attach_grad(self._grad_req)
        _bump()

    def to_device(self, device) -> None:
        if self._deferred is not None:
            self._deferred = (self._deferred[0], device)
        if self._data is not None and self._data.device != device:
            self._data = gk.np.array(self._data, device=device)
            self._data.attach_grad(self._grad_req)
            _bump()

    def __repr__(self) -> str:
        extra = "" if self._grad_req == "write" else f", grad_req={self._grad_req!r}"
        return f"Parameter({self.name or '?'}, shape={self.shape}, dtype={self.dtype}{extra})"
