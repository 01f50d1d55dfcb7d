"""``Parameter``: a named, lazily shaped array with its gradient and optimizer hints."""
from __future__ import annotations

import numpy as onp

import gluonkit as gk
from gluonkit.core import random as grandom

from . import init as initializers

__all__ = ["Parameter", "DeferredInitializationError"]


class DeferredInitializationError(RuntimeError):
    """A parameter's shape is not known yet: it is set at the block's first forward."""


class Parameter:
    """A trainable (or buffer, ``grad_req='null'``) array of a Block.

    A 0 in ``shape`` marks a dimension inferred at the first forward (Gluon's deferred init).
    ``lr_mult``/``wd_mult`` scale the optimizer's learning rate and weight decay for it.
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
    def _check_grad_req(req):
        if req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {req!r}")

    # ------------------------------------------------------------------ shape
    @property
    def shape(self):
        return self._data.shape if self._data is not None else self._shape

    @shape.setter
    def shape(self, new):
        new = tuple(new)
        old = self._shape
        if old is not None and (len(old) != len(new) or
                                any(o not in (0, n) for o, n in zip(old, new))):
            raise ValueError(f"parameter {self.name!r}: cannot change shape {old} to {new}")
        self._shape = new

    def _known(self) -> bool:
        return self._shape is not None and all(n > 0 for n in self._shape)

    # ------------------------------------------------------------------ init
    def initialize(self, init=None, device=None, default_init=None, force_reinit=False):
        """Fill the parameter: its own ``init`` wins, then ``init``, then ``default_init``."""
        if self._data is not None and not force_reinit:
            return
        chosen = self.init or (initializers.create(init) if init is not None else None) \
            or default_init or initializers.Xavier()
        device = device or gk.current_device()
        if not self._known():
            self._deferred = (chosen, device)
            return
        self._fill(chosen, device)

    def _fill(self, chosen, device):
        host = onp.empty(self._shape, dtype=onp.float64)
        chosen(host, grandom.generator(gk.cpu()))
        self._data = gk.np.array(host.astype(self.dtype), device=device)
        self._data.attach_grad(self._grad_req)
        self._deferred = None

    def _finish_deferred_init(self, shape):
        """Called by a layer at its first forward, once the input fixes the shape."""
        self.shape = shape
        if self._data is None:
            if self._deferred is None:
                raise DeferredInitializationError(
                    f"parameter {self.name!r} is not initialized: call net.initialize() first")
            self._fill(*self._deferred)

    # ------------------------------------------------------------------ access
    def data(self, device=None):
        """The value as a gluonkit ndarray (the leaf that collects the gradient)."""
        if self._data is None:
            if self._deferred is not None:
                raise DeferredInitializationError(
                    f"parameter {self.name!r} has shape {self._shape}: its unknown dimensions are "
                    "set at the first forward; run the block once on an input first")
            raise RuntimeError(f"parameter {self.name!r} is not initialized: call "
                               "net.initialize() (or load_parameters) first")
        return self._data

    def grad(self, device=None):
        data = self.data()
        if data._grad is None:
            raise RuntimeError(f"parameter {self.name!r} has grad_req='null': it has no gradient")
        return data.grad

    def set_data(self, value) -> None:
        """Replace the value (shape must match once known); keeps device and dtype."""
        raw = value.asnumpy() if isinstance(value, gk.ndarray) else onp.asarray(value)
        if self._data is None:
            self.shape = raw.shape
            device = self._deferred[1] if self._deferred else gk.current_device()
            self._data = gk.np.array(raw.astype(self.dtype), device=device)
            self._data.attach_grad(self._grad_req)
            self._deferred = None
            return
        if raw.shape != self._data.shape:
            raise ValueError(f"parameter {self.name!r}: new value has shape {raw.shape}, "
                             f"expected {self._data.shape}")
        xp = self._data._xp
        self._data._data[...] = xp.asarray(raw, dtype=self._data.dtype)

    @property
    def grad_req(self) -> str:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str):
        self._check_grad_req(req)
        self._grad_req = req
        if self._data is not None:
            self._data.attach_grad(req)

    def zero_grad(self) -> None:
        if self._data is not None and self._data._grad is not None:
            self._data._grad[...] = 0

    def cast(self, dtype) -> None:
        self.dtype = onp.dtype(dtype)
        if self._data is not None:
            self._data = gk.np.array(self._data._data.astype(self.dtype), device=self._data.device)
            self._data.attach_grad(self._grad_req)

    def to_device(self, device) -> None:
        if self._deferred is not None:
            self._deferred = (self._deferred[0], device)
        if self._data is not None and self._data.device != device:
            self._data = gk.np.array(self._data, device=device)
            self._data.attach_grad(self._grad_req)

    def __repr__(self):
        extra = "" if self._grad_req == "write" else f", grad_req={self._grad_req!r}"
        return f"Parameter({self.name or '?'}, shape={self.shape}, dtype={self.dtype}{extra})"
