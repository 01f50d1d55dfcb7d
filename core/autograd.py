"""Define-by-run autograd: recording scopes, the Function base class and the backward walk.

Inside ``with record():`` every op whose inputs need a gradient records a Function node that keeps
what its backward reads; ``backward`` walks those nodes in reverse topological order, accumulates
gradients and drops each node's saved arrays as soon as its backward has run.
"""
from __future__ import annotations

import contextlib
import threading

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "Function", "backward", "grad", "GraphFreedError"]


class GraphFreedError(RuntimeError):
    """Backward reached a node whose saved arrays were already released."""


class _State(threading.local):
    recording = False
    training = False


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


class Function:
    """One differentiable op: ``forward`` and ``backward`` on raw numpy/cupy arrays.

    Subclasses take their non-array arguments as keyword arguments of ``__init__`` (stored by the
    default constructor), save what backward reads as attributes in ``forward``, and return one
    gradient per input from ``backward`` (``None`` where ``needs_input_grad`` is False).

    Example::

        class Exp(Function):
            def forward(self, x):
                self.y = np.exp(x)
                return self.y
            def backward(self, gy):
                return (gy * self.y,)
    """

    needs_input_grad: tuple = ()
    inputs: tuple = ()

    def __init__(self, **params):
        self.__dict__.update(params)

    def forward(self, *xs):
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def backward(self, gy):
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' raw arrays and record a node when a gradient is needed."""
        fn = cls.__new__(cls)
        if params:
            fn.__dict__.update(params)
        arr = _ndarray
        raws = [x._data if isinstance(x, arr) else x for x in inputs]
        y = arr._wrap(fn.forward(*raws))
        if _state.recording:
            needs = tuple(isinstance(x, arr) and x._requires_grad for x in inputs)
            if True in needs:
                fn.needs_input_grad = needs
                fn.inputs = inputs
                y._node = fn
                y._requires_grad = True
        return y

    def release(self):
        """Drop saved arrays and input references once backward has used them."""
        self.__dict__.clear()
        self.inputs = None


def _topological(heads):
    """Arrays produced by recorded ops, reachable from heads, outputs before inputs."""
    order, seen = [], set()
    stack = [(h, False) for h in heads if h._node is not None]
    while stack:
        arr, done = stack.pop()
        if done:
            order.append(arr)
            continue
        if id(arr) in seen:
            continue
        seen.add(id(arr))
        stack.append((arr, True))
        fn = arr._node
        if fn.inputs is None:
            raise GraphFreedError(
                "backward reached a part of the graph that an earlier backward already freed; "
                "pass retain_graph=True to the first backward to run backward twice")
        for x in fn.inputs:
            if getattr(x, "_node", None) is not None and id(x) not in seen:
                stack.append((x, False))
    order.reverse()
    return order


def _run_backward(heads, head_grads, retain_graph, variables=None):
    """Shared walk of backward() and grad(); returns {id(leaf): (leaf, gradient)}."""
    from .ndarray import ndarray

    pending = {}  # id(array) -> accumulated gradient (raw)
    leaves = {}
    for h, g in zip(heads, head_grads):
        if not h._requires_grad:
            raise ValueError("cannot differentiate an array that does not depend on any array with "
                             "attach_grad() recorded inside autograd.record()")
        raw = h._data
        xp = h._xp
        g = xp.ones_like(raw) if g is None else (g._data if isinstance(g, ndarray) else xp.asarray(g))
        if g.shape != raw.shape:
            raise ValueError(f"head gradient shape {g.shape} differs from head shape {raw.shape}")
        if h._node is None:
            leaves[id(h)] = (h, g)
        else:
            pending[id(h)] = pending[id(h)] + g if id(h) in pending else g
    wanted = None if variables is None else {id(v) for v in variables}
    for arr in _topological(heads):
        gy = pending.pop(id(arr), None)
        fn = arr._node
        if gy is None:
            continue
        gxs = fn.backward(gy)
        for x, gx in zip(fn.inputs, gxs):
            if gx is None or not isinstance(x, ndarray) or not x._requires_grad:
                continue
            assert gx.shape == x._data.shape, (type(fn).__name__, gx.shape, x._data.shape)
            key = id(x)
            if x._node is None or (wanted is not None and key in wanted):
                prev = leaves.get(key)
                leaves[key] = (x, gx if prev is None else prev[1] + gx)
            if x._node is not None:
                pending[key] = pending[key] + gx if key in pending else gx
        if not retain_graph:
            fn.release()
    return leaves


def backward(heads, head_grads=None, retain_graph: bool = False):
    """Accumulate d(heads)/d(leaf) into every leaf's ``.grad`` (per its grad_req)."""
    heads = list(heads) if isinstance(heads, (list, tuple)) else [heads]
    if head_grads is None:
        head_grads = [None] * len(heads)
    elif not isinstance(head_grads, (list, tuple)):
        head_grads = [head_grads]
    for leaf, g in _run_backward(heads, head_grads, retain_graph).values():
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
