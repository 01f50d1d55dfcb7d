"""Define-by-run autograd: recording scopes, the Function base class and the backward walk.

Inside ``with record():`` every op whose inputs need a gradient records a Function node that keeps
what its backward reads; ``backward`` walks those nodes in reverse topological order, accumulates
gradients and drops each node's saved arrays as soon as its backward has run.
"""
from __future__ import annotations

import abc
import contextlib
import threading

from .device import scope_of

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "Function", "backward", "grad", "GraphFreedError", "saved_bytes"]


class GraphFreedError(RuntimeError):
    """Backward reached a node whose saved arrays were already released."""


class _State(threading.local):
    recording = False
    training = False
    tracer = None  # the graph tracer (core/graph/tracer.py) while a block is being traced


_state = _State()


@contextlib.contextmanager
def _scope(recording, training):
    prev = (_state.recording, _state.training)
    if recording is not None:
        _state.recording = recording
    if training is not None:
        _state.training = training
    try:
        yield
    finally:
        _state.recording, _state.training = prev


def record(train_mode: bool = True):
    """Record ops for backward; layers use batch statistics and dropout when train_mode."""
    return _scope(True, train_mode)


def pause(train_mode: bool = False):
    """Stop recording inside a ``record()`` scope."""
    return _scope(False, train_mode)


def train_mode():
    """Training behaviour (batch statistics, dropout) without changing recording."""
    return _scope(None, True)


def predict_mode():
    """Inference behaviour without changing recording."""
    return _scope(None, False)


def is_recording() -> bool:
    return _state.recording


def is_training() -> bool:
    return _state.training


_ndarray = None  # set by core/ndarray.py once the class exists (it imports this module)

OPS: dict = {}  # op name -> Function subclass: how a graph file names its ops


def op_name(cls) -> str:
    """The name a graph node uses for an op class: the class name for core ops, else
    ``module:qualname`` (an op defined outside the core is found again by import)."""
    if cls.__module__.startswith("gluonkit.core."):
        return cls.__name__
    return f"{cls.__module__}:{cls.__qualname__}"


class Function(metaclass=abc.ABCMeta):
    """One op: ``forward`` and ``backward`` on raw numpy/cupy arrays, called through ``apply``.

    The declared form every op has, so that a graph node is ``(op, attrs, inputs, output)``:

    - positional arguments of ``apply`` are the *array inputs* (ndarray, raw array, Python scalar
      or None); keyword arguments are *static attributes*: plain values (int, float, bool, str,
      None, tuples/lists of them, a dtype) that ``apply`` sets on the instance before forward;
    - ``mutates``: indices of array inputs that forward writes in place (state, such as batch
      norm's running statistics: MXNet's auxiliary states);
    - ``stochastic``: forward draws from the device generator on every call (dropout);
    - ``differentiable = False``: never recorded for backward (comparisons, argmax, indices).

    Forward saves what backward reads as attributes and returns one raw array; backward returns
    one gradient per input (``None`` where ``needs_input_grad`` is False).

    Example::

        class Exp(Function):
            def forward(self, x):
                self.y = np.exp(x)
                return self.y
            def backward(self, gy):
                return (gy * self.y,)

        y = Exp.apply(x)
    """

    needs_input_grad: tuple = ()
    parents: tuple = ()
    differentiable: bool = True
    stochastic: bool = False
    mutates: tuple = ()

    @abc.abstractmethod
    def forward(self, *xs):
        """The op on raw arrays; save what backward reads as attributes."""

    def backward(self, gy):
        raise TypeError(f"{type(self).__name__} has no backward: it is not differentiable")

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        OPS.setdefault(op_name(cls), cls)

    @classmethod
    def apply(cls, *inputs, **attrs):
        """Run forward on the inputs' raw arrays and record a node when a gradient is needed."""
        fn = cls.__new__(cls)
        if attrs:
            fn.__dict__.update(attrs)
        arr = _ndarray
        raws = [x._data if isinstance(x, arr) else x for x in inputs]
        needs = None
        if _state.recording and cls.differentiable:
            needs = tuple(isinstance(x, arr) and x._requires_grad for x in inputs)
            if True in needs:
                # forward may read needs_input_grad to save only what backward will use
                fn.needs_input_grad = needs
            else:
                needs = None
        with scope_of(raws):  # an op on gpu(1) arrays allocates and launches on device 1
            y = arr._wrap(fn.forward(*raws))
        if needs is not None:
            # NOTE: keep the producing node (or the leaf), never an intermediate array:
            # an input's data stays alive only if forward saved it for backward.
            fn.parents = tuple((x._node or x) if need else None for x, need in zip(inputs, needs))
            fn.out_shape = y._data.shape
            y._node = fn
            y._requires_grad = True
        if _state.tracer is not None:
            _state.tracer.record(cls, attrs, inputs, y)
        return y

    def saved_arrays(self):
        """The arrays this node keeps for its backward (for memory accounting)."""
        return [v for v in vars(self).values() if hasattr(v, "nbytes")]

    def release(self):
        """Drop saved arrays and parent links once backward has used them."""
        self.__dict__.clear()
        self.parents = None


def _topological(heads):
    """Recorded nodes reachable from heads, each before the nodes that produced its inputs."""
    order, seen = [], set()
    stack = [(h._node, False) for h in heads if h._node is not None]
    while stack:
        fn, done = stack.pop()
        if done:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn.parents is None:
            raise GraphFreedError(
                "backward reached a part of the graph that an earlier backward already freed; "
                "pass retain_graph=True to the first backward to run backward twice")
        stack.append((fn, True))
        stack.extend((p, False) for p in fn.parents
                     if isinstance(p, Function) and id(p) not in seen)
    order.reverse()
    return order


def _run_backward(heads, head_grads, retain_graph, variables=None):
    """Shared walk of backward() and grad(); returns {id(array): (array, gradient)} for the
    leaves reached and for ``variables``."""
    from .ndarray import ndarray

    pending = {}  # id(node) -> gradient of its output (raw)
    found = {}  # id(leaf or variable) -> (array, gradient)
    for h, g in zip(heads, head_grads):
        if not h._requires_grad:
            raise ValueError("cannot differentiate an array that does not depend on any array with "
                             "attach_grad() recorded inside autograd.record()")
        raw = h._data
        g = h._xp.ones_like(raw) if g is None else (g._data if isinstance(g, ndarray)
                                                    else h._xp.asarray(g))
        if g.shape != raw.shape:
            raise ValueError(f"head gradient shape {g.shape} differs from head shape {raw.shape}")
        key, table = (id(h._node), pending) if h._node is not None else (id(h), None)
        if table is None:
            prev = found.get(key)
            found[key] = (h, g if prev is None else prev[1] + g)
        else:
            pending[key] = pending[key] + g if key in pending else g
    watched = {id(v._node): v for v in (variables or []) if v._node is not None}
    for fn in _topological(heads):
        gy = pending.pop(id(fn), None)
        if gy is None:
            continue
        if id(fn) in watched:
            v = watched[id(fn)]
            found[id(v)] = (v, gy)
        with scope_of((gy,)):
            gxs = fn.backward(gy)
        for parent, gx in zip(fn.parents, gxs):
            if gx is None or parent is None:
                continue
            if isinstance(parent, Function):
                assert gx.shape == parent.out_shape, (type(fn).__name__, gx.shape,
                                                      parent.out_shape)
                key = id(parent)
                pending[key] = pending[key] + gx if key in pending else gx
            else:
                assert gx.shape == parent._data.shape, (type(fn).__name__, gx.shape,
                                                        parent._data.shape)
                prev = found.get(id(parent))
                found[id(parent)] = (parent, gx if prev is None else prev[1] + gx)
        if not retain_graph:
            fn.release()
    return found


def saved_bytes(head) -> int:
    """Bytes of the arrays that the recorded graph below ``head`` saved for its backward."""
    seen, total = set(), 0
    stack = [head._node] if head._node is not None else []
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for a in fn.saved_arrays():
            if id(a) not in seen:
                seen.add(id(a))
                total += a.nbytes
        stack.extend(p for p in fn.parents or () if isinstance(p, Function))
    return total


def backward(heads, head_grads=None, retain_graph: bool = False):
    """Accumulate d(heads)/d(leaf) into every leaf's ``.grad`` (per its grad_req)."""
    heads = list(heads) if isinstance(heads, (list, tuple)) else [heads]
    if head_grads is None:
        head_grads = [None] * len(heads)
    elif not isinstance(head_grads, (list, tuple)):
        head_grads = [head_grads]
    for leaf, g in _run_backward(heads, head_grads, retain_graph).values():
        if leaf._node is None:
            leaf._accumulate_grad(g)


def grad(heads, variables, head_grads=None, retain_graph: bool = False,
         create_graph: bool = False):
    """Gradients of heads with respect to variables, returned rather than stored in ``.grad``.

    ``create_graph=True`` (higher-order gradients) is not available: backward formulas run on raw
    arrays, so their results cannot be differentiated again.
    """
    from .ndarray import ndarray

    if create_graph:
        raise ValueError("create_graph=True is not supported: gluonkit computes first-order "
                         "gradients only; compute a second derivative by finite differences")
    heads = list(heads) if isinstance(heads, (list, tuple)) else [heads]
    single = not isinstance(variables, (list, tuple))
    variables = [variables] if single else list(variables)
    if head_grads is None:
        head_grads = [None] * len(heads)
    elif not isinstance(head_grads, (list, tuple)):
        head_grads = [head_grads]
    found = _run_backward(heads, head_grads, retain_graph, variables)
    out = []
    for v in variables:
        g = found.get(id(v))
        out.append(ndarray._wrap(v._xp.zeros_like(v._data) if g is None else g[1]))
    return out[0] if single else out
