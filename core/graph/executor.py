"""Replay a traced graph: one loop over prepared steps, no block code, no per-op dispatch.

``Executor(graph)`` turns the nodes into steps once: the op class, its attributes, the slots of
its inputs, and the values whose last use it is (freed right after it runs). ``run`` replays
without autograd; ``run_recorded`` replays inside ``autograd.record()`` as *one* tape node whose
backward walks the saved steps in reverse, so gradients, ``grad_req='add'``, the Trainer and the
loss scaler see exactly what eager mode gives them.
"""
from __future__ import annotations

import time

from .. import alloc, autograd
from ..autograd import Function
from ..device import scope_of
from .ir import Graph

__all__ = ["Executor"]

_new = object.__new__


class Executor:
    """A graph prepared for replay. Inputs and parameters are passed per call (ndarrays)."""

    def __init__(self, graph: Graph, static_alloc: bool = False):
        self.graph = graph
        # Buffers reused across replays; outputs are copied out so the pool never escapes.
        self.pool = alloc.BufferPool() if static_alloc else None
        self.param_ids = list(graph.params.values())
        self.external = list(graph.inputs) + self.param_ids
        n = max(graph.specs, default=-1) + 1
        self.template = [None] * n
        for v, c in graph.constants.items():
            self.template[v] = c
        last_use = {}
        for i, node in enumerate(graph.nodes):
            for v in node.inputs:
                if v is not None:
                    last_use[v] = i
        keep = set(graph.outputs) | set(self.external) | set(graph.constants)
        frees = [[] for _ in graph.nodes]
        for v, i in last_use.items():
            if v not in keep:
                frees[i].append(v)
        self.steps = [(cls, node.attrs, node.inputs, node.output, frees[i])
                      for i, (node, cls) in enumerate(zip(graph.nodes, graph.op_classes()))]

    def __call__(self, inputs: list, params: list) -> list:
        """Outputs (ndarrays) for ndarray inputs and parameters; under ``autograd.record()``
        the replay is recorded for backward."""
        if autograd.is_recording():
            return self.run_recorded(inputs, params)
        wrap = autograd._ndarray._wrap
        return [wrap(y) for y in self.run([_raw(x) for x in inputs], [_raw(p) for p in params])]

    # ------------------------------------------------------------------ inference
    def run(self, inputs: list, params: list) -> list:
        """Raw outputs of the graph for raw ``inputs`` and ``params`` (no autograd)."""
        return self._outputs(self.run_steps(inputs, params))

    def run_steps(self, inputs: list, params: list, after_step=None) -> list:
        """The replay loop: every value slot after the last step (freed ones None).
        ``after_step(op_class)``, if given, runs after each step (profilers time with it)."""
        vals = self.template.copy()
        for v, x in zip(self.external, inputs + params):
            vals[v] = x
        with alloc.pooled(self.pool), scope_of(inputs + params):
            for cls, attrs, ins, out, free in self.steps:
                fn = _new(cls)
                fn.__dict__.update(attrs)
                vals[out] = fn.forward(*[None if i is None else vals[i] for i in ins])
                for f in free:
                    vals[f] = None
                if after_step is not None:
                    after_step(cls)
        return vals

    def profile(self, inputs: list, params: list, clock=time.perf_counter) -> dict:
        """One replay like ``run``, timing each step: ``{op: [calls, seconds]}``."""
        table, last = {}, [clock()]

        def tick(cls):
            now = clock()
            entry = table.setdefault(cls.__name__, [0, 0.0])
            entry[0] += 1
            entry[1] += now - last[0]
            last[0] = now

        self.run_steps(inputs, params, tick)
        return table

    def _outputs(self, vals: list) -> list:
        outs = [vals[v] for v in self.graph.outputs]
        return outs if self.pool is None else [y.copy() for y in outs]

    # ------------------------------------------------------------------ recorded
    def run_recorded(self, inputs: list, params: list) -> list:
        """Outputs as ndarrays attached to one tape node (``GraphFunction``)."""
        arr = autograd._ndarray
        externals = inputs + params
        needs = [isinstance(x, arr) and x._requires_grad for x in externals]
        if not any(needs):
            return [arr._wrap(y) for y in self.run([_raw(x) for x in inputs],
                                                   [_raw(p) for p in params])]
        fn = GraphFunction()
        ys = fn.forward_steps(self, [_raw(x) for x in externals], needs)
        fn.parents = tuple((x._node or x) if need else None for x, need in zip(externals, needs))
        fn.needs_input_grad = tuple(needs)
        fn.out_shape = tuple(y.shape for y in ys) if len(ys) > 1 else ys[0].shape
        outs = []
        for k, (v, y) in enumerate(zip(self.graph.outputs, ys)):
            out = arr._wrap(y)
            if fn.value_needs[v]:
                out._node = fn if len(ys) == 1 else _Select.link(fn, k, y.shape)
                out._requires_grad = True
            outs.append(out)
        return outs


def _raw(x):
    return getattr(x, "_data", x)


class GraphFunction(Function):
    """A whole replayed graph as one node of the autograd tape."""

    def forward(self, *xs):
        raise TypeError("GraphFunction runs through Executor.run_recorded")

    def forward_steps(self, ex: Executor, externals: list, needs: list) -> list:
        vals = ex.template.copy()
        value_needs = [False] * len(vals)
        for v, x, need in zip(ex.external, externals, needs):
            vals[v] = x
            value_needs[v] = need
        tape = []
        with alloc.pooled(ex.pool), scope_of(externals):
            self._run(ex, vals, value_needs, tape)
        self.tape, self.value_needs, self.external = tape, value_needs, ex.external
        self.outputs = ex.graph.outputs
        return ex._outputs(vals)

    @staticmethod
    def _run(ex: Executor, vals: list, value_needs: list, tape: list) -> None:
        for cls, attrs, ins, out, free in ex.steps:
            fn = _new(cls)
            fn.__dict__.update(attrs)
            need = tuple(i is not None and value_needs[i] for i in ins)
            recorded = cls.differentiable and True in need
            if recorded:
                fn.needs_input_grad = need
            y = fn.forward(*[None if i is None else vals[i] for i in ins])
            vals[out] = y
            if recorded:
                value_needs[out] = True
                tape.append((fn, ins, out))
            for f in free:
                vals[f] = None

    def saved_arrays(self):
        return [a for fn, _, _ in self.tape or () for a in fn.saved_arrays()]

    def backward(self, gy):
        grads = {}
        heads = gy.parts if isinstance(gy, OutputGrads) else (gy,)
        for v, g in zip(self.outputs, heads):
            if g is not None:
                grads[v] = grads[v] + g if v in grads else g
        for fn, ins, out in reversed(self.tape):
            g = grads.pop(out, None)
            if g is None:
                continue
            for i, gx in zip(ins, fn.backward(g)):
                if gx is not None and i is not None:
                    grads[i] = grads[i] + gx if i in grads else gx
            fn.release()
        self.tape = None
        return tuple(grads.get(v) if need else None
                     for v, need in zip(self.external, self.needs_input_grad))


class OutputGrads:
    """The gradients of a multi-output node's outputs (``None`` where none arrived)."""

    def __init__(self, parts: tuple, shapes: tuple):
        self.parts, self.shape = parts, shapes

    def __add__(self, other: "OutputGrads") -> "OutputGrads":
        parts = tuple(b if a is None else a if b is None else a + b
                      for a, b in zip(self.parts, other.parts))
        return OutputGrads(parts, self.shape)


class _Select(Function):
    """Output ``k`` of a multi-output GraphFunction, as its own tape node."""

    def forward(self, *xs):
        raise TypeError("_Select is linked by Executor.run_recorded")

    @classmethod
    def link(cls, parent: GraphFunction, k: int, shape: tuple) -> "_Select":
        fn = _new(cls)
        fn.k, fn.shapes = k, parent.out_shape
        fn.parents, fn.needs_input_grad, fn.out_shape = (parent,), (True,), shape
        return fn

    def backward(self, gy):
        parts = [None] * len(self.shapes)
        parts[self.k] = gy
        return (OutputGrads(tuple(parts), self.shapes),)
