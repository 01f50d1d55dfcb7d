"""Graph passes run once per trace, before replay: fold, fuse, drop dead nodes.

``optimize(graph, mode)`` returns a new graph; the traced one (what ``export`` writes) is left
as it was. Passes that change what backward would need run only for replays that record no
gradient (``mode='predict'``):

- constant folding: a node whose inputs are all constants runs now, its output a constant;
- batch norm followed by ReLU, or by a residual ``Add`` and ReLU, becomes the fused
  ``batch_norm_relu`` (train and predict), as the zoo's layers (``act='relu'``) already call it;
- batch-norm folding: predict-mode ``BatchNorm`` after ``Conv2d`` becomes one ``ConvBN``, taking
  over the fused batch norm's residual and ReLU (or absorbing a following ``Add`` and ``Relu``);
- in-place ReLU / add+ReLU on buffers that a fresh-output op produced and nobody else reads;
- dead-node elimination.
"""
from __future__ import annotations

import dataclasses

from ..ops import fused as _fused  # noqa: F401  (registers the fused ops the passes emit)
from .ir import Graph, Node, op_class

__all__ = ["optimize", "generalize_batch", "copy"]

# Ops whose output is a new array (never a view of an input): safe to overwrite in place.
_FRESH = {"Conv2d", "ConvBN", "Linear", "BatchNorm", "Add", "Sub", "Mul", "Div", "Concatenate",
          "MatMul", "AddRelu"}


def optimize(graph: Graph, mode: str) -> Graph:
    """The graph to replay for ``mode``: 'train' (recorded) or 'predict' (no gradient)."""
    g = copy(graph)
    fold_constants(g)
    fuse_batch_norm_relu(g)
    if mode == "predict":
        fold_batch_norm(g)
        fuse_relu(g)
    eliminate_dead(g)
    return g


def copy(graph: Graph) -> Graph:
    """A copy whose node list, nodes and constants a pass may change freely."""
    nodes = [dataclasses.replace(n, attrs=dict(n.attrs), inputs=list(n.inputs))
             for n in graph.nodes]
    return dataclasses.replace(graph, nodes=nodes, constants=dict(graph.constants),
                               params=dict(graph.params), specs=dict(graph.specs))


def _uses(g: Graph) -> dict:
    uses = {}
    for n in g.nodes:
        for v in n.inputs:
            if v is not None:
                uses[v] = uses.get(v, 0) + 1
    for v in g.outputs:
        uses[v] = uses.get(v, 0) + 1
    return uses


def _producers(g: Graph) -> dict:
    return {n.output: n for n in g.nodes}


def fold_constants(g: Graph) -> None:
    kept = []
    for n in g.nodes:
        cls = op_class(n.op)
        if (n.inputs and all(v is None or v in g.constants for v in n.inputs)
                and not cls.stochastic and not cls.mutates):
            fn = cls.__new__(cls)
            fn.__dict__.update(n.attrs)
            g.constants[n.output] = fn.forward(*[None if v is None else g.constants[v]
                                                 for v in n.inputs])
        else:
            kept.append(n)
    g.nodes = kept


def fuse_batch_norm_relu(g: Graph) -> None:
    """BatchNorm -> Relu, and BatchNorm -> Add(., r) -> Relu, become batch norm with its fused
    residual and ReLU (forward and backward)."""
    for n in g.nodes:  # older graph files: batch norm with five inputs
        if n.op == "BatchNorm" and len(n.inputs) == 5:
            n.inputs.append(None)
    _absorb_residual(g, "BatchNorm", 5)
    uses, prod = _uses(g), _producers(g)
    drop = set()
    for n in g.nodes:
        bn = prod.get(n.inputs[0]) if n.op == "Relu" else None
        if bn is not None and bn.op == "BatchNorm" and not bn.attrs["relu"] \
                and uses[bn.output] == 1:
            bn.attrs = dict(bn.attrs, relu=True)
            bn.output = n.output
            drop.add(id(n))
    g.nodes = [n for n in g.nodes if id(n) not in drop]


def fold_batch_norm(g: Graph) -> None:
    uses, prod = _uses(g), _producers(g)
    nodes = []
    for n in g.nodes:
        conv = prod.get(n.inputs[0]) if n.op == "BatchNorm" else None
        if (conv is not None and conv.op == "Conv2d" and not n.attrs["training"]
                and uses[conv.output] == 1):
            x, W, *b = conv.inputs
            attrs = {k: conv.attrs[k] for k in ("stride", "padding", "dilation", "groups")}
            attrs.update(eps=n.attrs["eps"], relu=n.attrs["relu"])
            # gamma, beta, mean, var, residual: the fused batch norm's tail carries over
            fused = Node("ConvBN", attrs, [x, W, b[0] if b else None, *n.inputs[1:6]], n.output)
            nodes.remove(conv)
            nodes.append(fused)
            continue
        nodes.append(n)
    g.nodes = nodes
    _absorb_residual(g, "ConvBN", 7)


def _absorb_residual(g: Graph, op: str, slot: int) -> None:
    """``op`` -> Add(., r) -> Relu becomes one ``op`` with r as input ``slot`` and relu."""
    uses, prod = _uses(g), _producers(g)
    drop = set()
    for n in g.nodes:
        if n.op != "Relu":
            continue
        add = prod.get(n.inputs[0])
        if add is None or add.op != "Add" or uses[add.output] != 1:
            continue
        for k in (0, 1):
            src = prod.get(add.inputs[k])
            other = add.inputs[1 - k]
            if (src is not None and src.op == op and not src.attrs["relu"]
                    and src.inputs[slot] is None and uses[src.output] == 1
                    and g.specs[other] == g.specs[src.output]):
                src.inputs[slot] = other
                src.attrs = dict(src.attrs, relu=True)
                src.output = n.output
                drop.update((id(add), id(n)))
                break
    g.nodes = [n for n in g.nodes if id(n) not in drop]
    _reorder(g)


def fuse_relu(g: Graph) -> None:
    """Relu on a fresh, single-use buffer runs in place; Add -> Relu becomes AddRelu."""
    uses, prod = _uses(g), _producers(g)
    external = set(g.inputs) | set(g.params.values()) | set(g.constants)
    drop = set()
    for n in g.nodes:
        if n.op != "Relu":
            continue
        src = prod.get(n.inputs[0])
        if src is None or uses[src.output] != 1:
            continue
        if src.op == "ConvBN" and not src.attrs["relu"]:
            src.attrs = dict(src.attrs, relu=True)
            src.output = n.output
            drop.add(id(n))
        elif src.op == "Add":
            a, b = src.inputs
            fresh_a = a not in external and uses.get(a) == 1 and prod.get(a) is not None \
                and prod[a].op in _FRESH and g.specs[a] == g.specs[n.output]
            n.op, n.attrs, n.inputs = "AddRelu", {"into_a": fresh_a}, [a, b]
            drop.add(id(src))
        elif src.op in _FRESH:
            n.op, n.attrs = "ReluInplace", {}
    g.nodes = [n for n in g.nodes if id(n) not in drop]
    _reorder(g)


def eliminate_dead(g: Graph) -> None:
    live = set(g.outputs)
    kept = []
    for n in reversed(g.nodes):
        if n.output in live or op_class(n.op).mutates:
            kept.append(n)
            live.update(v for v in n.inputs if v is not None)
    g.nodes = kept[::-1]
    g.constants = {v: c for v, c in g.constants.items() if v in live}


def _reorder(g: Graph) -> None:
    """Topological order again after a fusion moved a node's output."""
    ready = set(g.inputs) | set(g.params.values()) | set(g.constants)
    pending, out = list(g.nodes), []
    while pending:
        rest = []
        for n in pending:
            if all(v is None or v in ready for v in n.inputs):
                out.append(n)
                ready.add(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise RuntimeError("graph pass left a cycle")
        pending = rest
    g.nodes = out


def generalize_batch(g: Graph) -> None:
    """Let reshapes that keep the leading (batch) axis follow the input's batch size."""
    if not g.inputs:
        return
    batch = g.specs[g.inputs[0]][0][0] if g.specs[g.inputs[0]][0] else None
    for n in g.nodes:
        if n.op == "Reshape" and n.attrs["shape"] and n.attrs["shape"][0] == batch \
                and g.specs[n.inputs[0]][0][:1] == (batch,):
            n.attrs = dict(n.attrs, keep_batch=True)
