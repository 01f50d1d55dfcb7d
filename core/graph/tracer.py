"""The tracer: a hook on the op door (``Function.apply``) that writes each call down as a node.

While a trace is active the ops still run eagerly (the traced call returns real results); every
``apply`` also appends ``(op, attrs, inputs, output)``. An input array is resolved to the value
that produced it, a graph input, a named parameter, or else a constant captured by value.
Reading an array's value on the host during a trace is an error: the graph would freeze
whichever branch that value chose.
"""
from __future__ import annotations

import contextlib
import weakref

from .. import autograd
from .ir import Graph, Node

__all__ = ["Tracer", "TraceError", "trace", "is_tracing", "check_host_read"]


class TraceError(RuntimeError):
    """Something a graph cannot capture happened while tracing a block."""


class Tracer:
    """Records the ops of one call. ``params`` maps parameter arrays' ids to their names."""

    def __init__(self, owner: str, params: dict):
        self.owner = owner
        self._param_arrays = params  # id(ndarray) -> (name, ndarray)
        # id(ndarray or raw array) -> (weak reference, value id): weak, so a trace holds no
        # more memory than the eager run it shadows; the reference proves the id is not reused.
        self._ids: dict = {}
        self.inputs: list = []
        self.params: dict = {}
        self.constants: dict = {}
        self.specs: dict = {}
        self.nodes: list = []

    def _new_value(self, x, raw) -> int:
        v = len(self.specs)
        self.specs[v] = (tuple(raw.shape), raw.dtype)
        self._bind(x, v)
        if raw is not x:
            self._bind(raw, v)
        return v

    def _bind(self, obj, v: int) -> None:
        try:
            ref = weakref.ref(obj)
        except TypeError:  # NumPy scalars (0-d results) take no weak reference; they are tiny
            ref = _Strong(obj)
        self._ids[id(obj)] = (ref, v)

    def _lookup(self, obj):
        entry = self._ids.get(id(obj))
        return entry[1] if entry is not None and entry[0]() is obj else None

    def add_input(self, x) -> int:
        v = self._new_value(x, x._data)
        self.inputs.append(v)
        return v

    def value_of(self, x):
        """The value id for an op input: traced value, parameter or (new) constant."""
        if x is None:
            return None
        v = self._lookup(x)
        if v is not None:
            return v
        raw = getattr(x, "_data", x)
        v = self._lookup(raw) if hasattr(raw, "shape") else None
        if v is not None:
            return v
        entry = self._param_arrays.get(id(x))
        if entry is not None:
            v = self._new_value(x, raw)
            self.params[entry[0]] = v
            return v
        if not hasattr(raw, "shape"):  # a Python scalar
            v = len(self.specs)
            self.specs[v] = ((), _scalar_dtype(raw))
            self.constants[v] = raw
            return v
        v = self._new_value(x, raw)
        self.constants[v] = raw
        return v

    def record(self, cls, attrs: dict, inputs: tuple, y) -> None:
        ins = [self.value_of(x) for x in inputs]
        out = self._new_value(y, y._data)
        self.nodes.append(Node(autograd.op_name(cls), dict(attrs), ins, out))

    def alias(self, target, source) -> None:
        """``target`` now holds ``source``'s value (an in-place write traced as a new value)."""
        v = self.value_of(source)
        self._bind(target, v)
        self._bind(target._data, v)

    def is_traced(self, x) -> bool:
        return self._lookup(x) is not None or id(x) in self._param_arrays

    def finish(self, outputs, structure: str, training: bool) -> Graph:
        outs = [self.value_of(y) for y in outputs]
        return Graph(inputs=self.inputs, params=self.params, constants=self.constants,
                     nodes=self.nodes, outputs=outs, specs=self.specs, structure=structure,
                     training=training)


@contextlib.contextmanager
def trace(owner: str, params: dict):
    """Trace the ops run inside the block; yields the Tracer.

    ``params``: ``{dotted name: ndarray}`` of the block's parameters.
    """
    if autograd._state.tracer is not None:
        raise TraceError(f"{owner}: a trace is already running (blocks inside a traced block "
                         "run as part of its graph)")
    tracer = Tracer(owner, {id(a): (name, a) for name, a in params.items()})
    autograd._state.tracer = tracer
    try:
        yield tracer
    finally:
        autograd._state.tracer = None


def is_tracing() -> bool:
    return autograd._state.tracer is not None


def check_host_read(x, what: str) -> None:
    """Raise when a traced array's value is read on the host (``x.item()``, ``bool(x)``...)."""
    tracer = autograd._state.tracer
    if tracer is not None and tracer.is_traced(x):
        raise TraceError(
            f"{tracer.owner}: {what} reads an array's value on the host while the block is "
            "being traced (hybridize); the graph would freeze the branch that value chose. "
            "Compute it with array ops (np.where, np.maximum, ...) or call hybridize(False).")


class _Strong:
    """A strong reference with the call interface of ``weakref.ref``."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        return self.obj


def _scalar_dtype(v):
    import numpy
    return numpy.asarray(v).dtype
