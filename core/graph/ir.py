"""The graph a trace produces: values, op nodes, and its versioned JSON form.

A value is an integer id. The graph's inputs, parameters (by dotted name) and constants are
values; every node is ``(op, attrs, inputs, output)`` and is rebuilt from that alone: ``op`` names
a ``Function`` subclass (``autograd.OPS``), ``attrs`` are its static attributes, ``inputs`` are
value ids (``None`` for an absent optional input). Shapes and dtypes of every value are kept, so
passes, memory planning and the ONNX writer need no execution.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import math

import numpy

from .. import autograd

__all__ = ["Node", "Graph", "GraphFormatError", "FORMAT", "VERSION", "op_class"]

FORMAT = "gluonkit-graph"
VERSION = 1


class GraphFormatError(ValueError):
    """A graph file that this version cannot read, or that does not match its parameters."""


@dataclasses.dataclass
class Node:
    op: str
    attrs: dict
    inputs: list
    output: int


@dataclasses.dataclass
class Graph:
    """A traced forward: ``outputs`` of ``nodes`` applied to ``inputs``, ``params``, constants.

    ``specs`` maps every value id to ``(shape, dtype)``; ``structure`` says how the block
    returned its outputs (``'single'``, ``'tuple'`` or ``'list'``); ``training`` records the mode
    the trace ran in (batch norm with batch statistics, dropout on).
    """

    inputs: list
    params: dict
    constants: dict
    nodes: list
    outputs: list
    specs: dict
    structure: str = "single"
    training: bool = False

    def op_classes(self) -> list:
        return [op_class(n.op) for n in self.nodes]

    def state_names(self) -> list:
        """Parameters some node writes in place (batch norm's running statistics)."""
        by_id = {v: k for k, v in self.params.items()}
        out = []
        for node, cls in zip(self.nodes, self.op_classes()):
            out += [by_id[node.inputs[i]] for i in cls.mutates if node.inputs[i] in by_id]
        return out

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict:
        """A JSON-able dict; array constants are returned apart by ``array_constants``."""
        def spec(v):
            shape, dtype = self.specs[v]
            return {"shape": list(shape), "dtype": str(dtype)}

        consts = []
        for v, c in self.constants.items():
            entry = {"id": v}
            if isinstance(c, numpy.ndarray) or hasattr(c, "__cuda_array_interface__"):
                entry["array"] = f"__constant__.{v}"
            else:
                entry["value"] = _encode(c)
            consts.append(entry)
        return {
            "format": FORMAT, "version": VERSION, "training": self.training,
            "structure": self.structure,
            "inputs": [{"name": f"data{i}", "id": v, **spec(v)} for i, v in enumerate(self.inputs)],
            "params": [{"name": k, "id": v, **spec(v)} for k, v in self.params.items()],
            "constants": consts,
            "nodes": [{"op": n.op, "attrs": _encode(n.attrs), "inputs": n.inputs,
                       "output": n.output, **spec(n.output)} for n in self.nodes],
            "outputs": [{"name": f"output{i}", "id": v} for i, v in enumerate(self.outputs)],
        }

    def array_constants(self) -> dict:
        """``{'__constant__.<id>': array}`` for constants that are arrays."""
        return {f"__constant__.{v}": _host(c) for v, c in self.constants.items()
                if isinstance(c, numpy.ndarray) or hasattr(c, "__cuda_array_interface__")}

    @classmethod
    def from_json(cls, doc: dict, arrays: dict) -> "Graph":
        if doc.get("format") != FORMAT:
            raise GraphFormatError(f"not a gluonkit graph file (format {doc.get('format')!r})")
        if doc.get("version", 0) > VERSION:
            raise GraphFormatError(f"graph file version {doc['version']} is newer than this "
                                   f"gluonkit reads (version {VERSION}): upgrade gluonkit")
        specs = {}
        for entry in doc["inputs"] + doc["params"] + doc["nodes"]:
            specs[entry["id"] if "id" in entry else entry["output"]] = (
                tuple(entry["shape"]), numpy.dtype(entry["dtype"]))
        constants = {}
        for c in doc["constants"]:
            if "array" in c:
                if c["array"] not in arrays:
                    raise GraphFormatError(f"the parameter file lacks constant {c['array']!r}")
                constants[c["id"]] = arrays[c["array"]]
            else:
                constants[c["id"]] = _decode(c["value"])
            specs.setdefault(c["id"], (numpy.shape(constants[c["id"]]),
                                       numpy.asarray(constants[c["id"]]).dtype))
        nodes = []
        for n in doc["nodes"]:
            op_class(n["op"])  # fail now on an unknown op, not at the first call
            nodes.append(Node(n["op"], _decode(n["attrs"]), list(n["inputs"]), n["output"]))
        return cls(inputs=[i["id"] for i in doc["inputs"]],
                   params={p["name"]: p["id"] for p in doc["params"]},
                   constants=constants, nodes=nodes, outputs=[o["id"] for o in doc["outputs"]],
                   specs=specs, structure=doc.get("structure", "single"),
                   training=doc.get("training", False))

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1)


def op_class(name: str):
    """The Function subclass a node names; ops outside the core are imported by module."""
    cls = autograd.OPS.get(name)
    if cls is None and ":" in name:
        module, qualname = name.split(":", 1)
        try:
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            cls = obj
        except (ImportError, AttributeError) as e:
            raise GraphFormatError(f"graph op {name!r} cannot be imported: {e}") from None
    if cls is None:
        raise GraphFormatError(f"unknown graph op {name!r}: the file was written by a newer "
                               "gluonkit or uses an op this installation lacks")
    return cls


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, numpy.ndarray) else a


def _encode(v):
    """Attributes as JSON: tuples as lists, and ``{"__tag__": ...}`` objects for what JSON
    lacks (slices, Ellipsis, dtypes, non-finite floats)."""
    if isinstance(v, dict):
        return {k: _encode(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [_encode(x) for x in v]
    if isinstance(v, slice):
        return {"__slice__": [_encode(v.start), _encode(v.stop), _encode(v.step)]}
    if v is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(v, numpy.dtype) or (isinstance(v, type) and issubclass(v, numpy.generic)):
        return {"__dtype__": numpy.dtype(v).str}
    if isinstance(v, numpy.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return {"__float__": repr(v)}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"graph attribute {v!r} of type {type(v).__name__} has no JSON form")


def _decode(v):
    if isinstance(v, list):
        return tuple(_decode(x) for x in v)
    if isinstance(v, dict):
        if set(v) == {"__slice__"}:
            return slice(*(_decode(x) for x in v["__slice__"]))
        if set(v) == {"__ellipsis__"}:
            return Ellipsis
        if set(v) == {"__dtype__"}:
            return numpy.dtype(v["__dtype__"])
        if set(v) == {"__float__"}:
            return float(v["__float__"])
        return {k: _decode(x) for k, x in v.items()}
    return v
