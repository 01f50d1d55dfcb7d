"""``Block``: the base of every layer and model.

Children and parameters register themselves by attribute assignment (as in PyTorch), names are
dotted attribute paths (``layer1.0.conv1.weight``) so they match torchvision/timm checkpoints,
and Gluon's verbs (``initialize``, ``collect_params(select)``, ``save_parameters``) are kept.
"""
from __future__ import annotations

import re
from collections import OrderedDict

import numpy as onp

import gluonkit as gk

from gluonkit.core.graph import is_tracing

from .parameter import Parameter, shapes_compatible

__all__ = ["Block", "HybridBlock", "ParameterDict", "StateDictError"]


class StateDictError(ValueError):
    """Loaded arrays do not match the block: lists every missing, unexpected, wrong-shaped name."""


class ParameterDict(OrderedDict):
    """name -> Parameter, with helpers that act on all of them."""

    def setattr(self, name: str, value) -> None:
        """Set one attribute on every parameter, e.g. ``.setattr('wd_mult', 0)``."""
        for p in self.values():
            setattr(p, name, value)

    def initialize(self, init=None, device=None, force_reinit=False) -> None:
        for p in self.values():
            p.initialize(init, device, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        for p in self.values():
            p.zero_grad()


class Block:
    """Subclass, assign layers and Parameters in ``__init__``, write ``forward``.

    Buffers (batch norm's running statistics) are Parameters with ``grad_req='null'``: saved and
    loaded with the weights, never touched by a Trainer.

    Example::

        class MLP(nn.Block):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Dense(64, activation='relu')
                self.fc2 = nn.Dense(10)

            def forward(self, x):
                return self.fc2(self.fc1(x))
    """

    def __init__(self):
        object.__setattr__(self, "_children", OrderedDict())
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_graphs", None)  # a GraphCache once hybridized

    def __setattr__(self, name, value):
        if "_children" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                               "before assigning attributes")
        self._children.pop(name, None)
        self._params.pop(name, None)
        if isinstance(value, Block):
            self._children[name] = value
        elif isinstance(value, Parameter):
            self._params[name] = value
            value.name = value.name or name
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._children.pop(name, None)
        self._params.pop(name, None)
        object.__delattr__(self, name)

    def register_child(self, block: "Block", name: str) -> "Block":
        setattr(self, name, block)
        return block

    def __call__(self, *args, **kwargs):
        if self._graphs is not None and not is_tracing():
            return self._graphs(args, kwargs)
        forward = getattr(self, "forward", None)
        if forward is None:
            raise TypeError(f"{type(self).__name__} is a Block without a forward method; "
                            "define forward(self, x) in the subclass")
        return forward(*args, **kwargs)

    def hybridize(self, active: bool = True, **kwargs) -> "Block":
        """A plain Block runs its own code eagerly; hybridize its HybridBlock children."""
        for child in self.children():
            child.hybridize(active, **kwargs)
        return self

    # ------------------------------------------------------------------ traversal
    def named_children(self):
        return self._children.items()

    def children(self):
        return self._children.values()

    def named_parameters(self, prefix: str = ""):
        """(dotted name, Parameter) pairs, each parameter once."""
        seen = set()
        stack = [(prefix, self)]
        out = []
        while stack:
            pre, block = stack.pop(0)
            for name, p in block._params.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((pre + name, p))
            stack[0:0] = [(f"{pre}{name}.", child) for name, child in block._children.items()]
        return out

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """Parameters by dotted name; ``select`` is a regex matched against the whole name.

        Example: no weight decay on biases and batch norm::

            net.collect_params('.*gamma|.*beta|.*bias').setattr('wd_mult', 0)
        """
        pattern = re.compile(select) if select else None
        out = ParameterDict()
        for name, p in self.named_parameters():
            if pattern is None or pattern.fullmatch(name):
                out[name] = p
        return out

    def apply(self, fn) -> "Block":
        """Call fn on every descendant block, then on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ state
    def initialize(self, init=None, device=None, force_reinit: bool = False) -> "Block":
        """Initialize every parameter (a parameter's own init wins over ``init``).

        Parameters with a 0 in their shape are filled at the first forward.
        """
        self.collect_params().initialize(init, device, force_reinit)
        return self

    def zero_grad(self) -> None:
        self.collect_params().zero_grad()

    def cast(self, dtype) -> "Block":
        """Cast parameters (not running statistics of batch norm) to dtype."""
        for name, p in self.collect_params().items():
            if not name.endswith(("running_mean", "running_var")):
                p.cast(dtype)
        return self

    def to_device(self, device) -> "Block":
        for p in self.collect_params().values():
            p.to_device(device)
        return self

    def state_dict(self) -> "OrderedDict[str, onp.ndarray]":
        """Every parameter and buffer as a NumPy array, by dotted name."""
        return OrderedDict((name, p.data().asnumpy()) for name, p in self.collect_params().items())

    def load_state_dict(self, state: dict, strict: bool = True,
                        allow_missing: bool = False, ignore_extra: bool = False) -> None:
        """Copy arrays into the parameters; mismatches fail with one error naming all of them.

        ``strict=False`` is PyTorch's spelling of ``allow_missing=ignore_extra=True``.
        """
        params = self.collect_params()
        missing = [n for n in params if n not in state]
        extra = [n for n in state if n not in params]
        wrong = [f"{n}: file {tuple(onp.shape(state[n]))} vs model {params[n].shape}"
                 for n in params if n in state and params[n].shape is not None
                 and not shapes_compatible(params[n].shape, onp.shape(state[n]))]
        problems = []
        if missing and strict and not allow_missing:
            problems.append("missing: " + ", ".join(missing))
        if extra and strict and not ignore_extra:
            problems.append("unexpected: " + ", ".join(extra))
        if wrong:
            problems.append("wrong shape: " + "; ".join(wrong))
        if problems:
            raise StateDictError(f"cannot load parameters into {type(self).__name__}:\n  "
                                 + "\n  ".join(problems))
        for name, p in params.items():
            if name in state:
                p.set_data(state[name])

    def save_parameters(self, path: str) -> None:
        """Write every parameter and buffer to a ``.safetensors`` file (atomically)."""
        from gluonkit.utils.io import atomic_save_safetensors
        atomic_save_safetensors(path, self.state_dict(), {"format": "gluonkit"})

    def load_parameters(self, path: str, device=None, allow_missing: bool = False,
                        ignore_extra: bool = False) -> None:
        """Load a ``.safetensors`` file written by ``save_parameters`` (never unpickles)."""
        from safetensors.numpy import load_file
        if not str(path).endswith(".safetensors"):
            raise ValueError(f"load_parameters reads .safetensors files, got {path!r}; convert "
                             "PyTorch checkpoints with scripts/convert_weights.py")
        state = load_file(path)
        if device is None:
            self.load_state_dict(state, allow_missing=allow_missing, ignore_extra=ignore_extra)
            return
        self.to_device(device)
        with gk.device(device):  # parameters created by the load land on ``device`` too
            self.load_state_dict(state, allow_missing=allow_missing, ignore_extra=ignore_extra)

    # ------------------------------------------------------------------ printing
    def summary(self, *inputs, print_fn=print) -> dict:
        """Print each layer's output shape and parameters, and the totals (see nn.summary)."""
        from .summary import summary
        return summary(self, *inputs, print_fn=print_fn)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ")
                 for name, child in self._children.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(lines) + "\n)" if lines else ")")


class HybridBlock(Block):
    """A block that can be traced into a graph and replayed: every layer and zoo model.

    ``forward`` is written imperatively, as for a Block; ``hybridize()`` switches calls to
    traced graphs (one per input signature) and ``export(prefix)`` writes the graph and weights
    that ``SymbolBlock.imports`` runs without this class.

    Example::

        net.hybridize()
        y = net(x)                       # traces, then returns the eager result
        y = net(x)                       # replays the graph
        net.export("model")              # model-graph.json + model.safetensors
    """

    def hybridize(self, active: bool = True, static_alloc: bool = False,
                  static_shape: bool = False, cache_size: int = 8) -> "HybridBlock":
        """Trace calls into graphs (``active=False``: back to eager).

        Children are hybridized too; inside this block's trace they are part of its graph.
        ``static_alloc``: replays reuse their buffers across calls (a pool per graph).
        Graphs are always kept per input shape (a new shape traces a new graph); with
        ``static_shape`` too, predict-mode replays on a GPU run as captured CUDA graphs.
        """
        from .hybrid import GraphCache
        graphs = GraphCache(self, static_alloc, static_shape, cache_size) if active else None
        object.__setattr__(self, "_graphs", graphs)
        for child in self.children():
            child.hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                            cache_size=cache_size)
        return self

    def graph_executor(self, *args, **kwargs):
        """(executor, parameters) of the cached graph a call with these arguments replays,
        for profiling (``Executor.profile``); the block must be hybridized and called once."""
        if self._graphs is None:
            raise ValueError(f"{type(self).__name__} is not hybridized: call hybridize() first")
        return self._graphs.lookup(args, kwargs)

    def export(self, path: str, example=None, training: bool = False) -> tuple[str, str]:
        """Write ``path-graph.json`` and ``path.safetensors``; returns the two file names.

        The graph is traced in predict mode (``training=True``: train mode) on ``example`` or,
        if none is given, on an input of the shape the hybridized block last ran.
        """
        from .export import export_block
        return export_block(self, path, example, training)
