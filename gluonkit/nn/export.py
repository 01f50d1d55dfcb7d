"""``HybridBlock.export`` and ``SymbolBlock``: a traced graph on disk, run without its class.

Files: ``<prefix>-graph.json`` (the graph, format ``gluonkit-graph``, see core/graph/ir.py) and
``<prefix>.safetensors`` (the parameters by dotted name, plus array constants).
"""
from __future__ import annotations

import json
import os

import numpy as onp

import gluonkit as gk
from gluonkit import autograd
from gluonkit.core import ndarray
from gluonkit.core.graph import Executor, Graph, GraphFormatError, generalize_batch, optimize

from .block import HybridBlock, StateDictError
from .hybrid import restructure, trace_call
from .parameter import Parameter

__all__ = ["export_block", "SymbolBlock", "graph_of"]


def graph_of(block, example=None, training: bool = False) -> Graph:
    """A fresh trace of ``block`` on ``example`` (or the shape it last ran hybridized), made
    for running at any batch size."""
    name = type(block).__name__
    if example is None:
        cache = block._graphs
        last = cache.last_graph if cache is not None else None
        if last is None:
            raise ValueError(f"cannot export {name}: it has no traced graph yet. Call it once on "
                             "an example input after net.hybridize(), or pass example=x")
        params = block.collect_params()
        device = next(iter(params.values())).data().device if params else gk.cpu()
        example = tuple(gk.np.zeros(last.specs[v][0], dtype=last.specs[v][1], device=device)
                        for v in last.inputs)
    examples = example if isinstance(example, (tuple, list)) else (example,)
    params = block.collect_params()
    uninitialized = [n for n, p in params.items() if not p.is_initialized]
    if uninitialized:
        raise ValueError(f"cannot export {name}: parameters {uninitialized[:5]} are not "
                         "initialized; call net.initialize() and run it once on an example input")
    mode = autograd.train_mode() if training else autograd.predict_mode()
    with autograd.pause(), mode:
        graph, _ = trace_call(block, tuple(examples), {}, params)
    generalize_batch(graph)
    return graph


def export_block(block, path: str, example=None, training: bool = False) -> tuple[str, str]:
    from gluonkit.utils.io import atomic_save_safetensors
    graph = graph_of(block, example, training)
    params = block.collect_params()
    arrays = {name: params[name].data().asnumpy() for name in graph.params}
    arrays.update({k: onp.ascontiguousarray(v) for k, v in graph.array_constants().items()})
    graph_file, params_file = f"{path}-graph.json", f"{path}.safetensors"
    os.makedirs(os.path.dirname(os.path.abspath(graph_file)), exist_ok=True)
    atomic_save_safetensors(params_file, arrays, {"format": "gluonkit-graph-params"})
    tmp = graph_file + ".part"
    with open(tmp, "w") as f:
        f.write(graph.dumps())
    os.replace(tmp, graph_file)
    return graph_file, params_file


class SymbolBlock(HybridBlock):
    """A block that runs a graph file: no model class needed; its parameters train as usual.

    Example::

        net = SymbolBlock.imports("model-graph.json", "model.safetensors")
        y = net(x)
    """

    def __init__(self, graph: Graph, params: "dict[str, Parameter]"):
        super().__init__()
        object.__setattr__(self, "_graph", graph)
        object.__setattr__(self, "_symbol_params", dict(params))
        object.__setattr__(self, "_executors", {})

    @classmethod
    def imports(cls, graph_json: str, params_file: str, device=None) -> "SymbolBlock":
        """Load ``export``'s two files; parameters land on ``device`` (default: current)."""
        from safetensors.numpy import load_file
        for f in (graph_json, params_file):
            if not os.path.isfile(f):
                raise FileNotFoundError(f"SymbolBlock.imports: no file {f!r}")
        with open(graph_json) as f:
            try:
                doc = json.load(f)
            except json.JSONDecodeError as e:
                raise GraphFormatError(f"{graph_json} is not valid JSON: {e}") from None
        arrays = load_file(params_file)
        graph = Graph.from_json(doc, arrays)
        _check_params(graph, arrays, params_file)
        state = set(graph.state_names())
        device = device or gk.current_device()
        params = {}
        with gk.device(device):
            for name in graph.params:
                p = Parameter(arrays[name].shape, dtype=arrays[name].dtype,
                              grad_req="null" if name in state else "write")
                p.name = name.rsplit(".", 1)[-1]
                p.set_data(arrays[name])
                params[name] = p
        return cls(graph, params)

    def named_parameters(self, prefix: str = ""):
        return [(prefix + name, p) for name, p in self._symbol_params.items()]

    def hybridize(self, active: bool = True, **kwargs) -> "SymbolBlock":
        return self  # already a graph

    def forward(self, *xs):
        graph = self._graph
        if len(xs) != len(graph.inputs):
            raise ValueError(f"this graph takes {len(graph.inputs)} inputs, got {len(xs)}")
        for i, (x, v) in enumerate(zip(xs, graph.inputs)):
            shape, dtype = graph.specs[v]
            if not isinstance(x, ndarray) or tuple(x.shape[1:]) != tuple(shape[1:]) \
                    or x.ndim != len(shape):
                raise ValueError(f"input {i}: expected an array of shape (N, "
                                 f"{', '.join(map(str, shape[1:]))}), got "
                                 f"{getattr(x, 'shape', type(x).__name__)}")
        recording = autograd.is_recording()
        ex = self._executors.get(recording)
        if ex is None:
            ex = self._executors[recording] = Executor(
                optimize(graph, "train" if recording or graph.training else "predict"))
        data = [self._symbol_params[name].data() for name in ex.graph.params]
        return restructure(ex(list(xs), data), graph.structure)


def _check_params(graph: Graph, arrays: dict, params_file: str) -> None:
    names = [k for k in arrays if not k.startswith("__constant__.")]
    missing = [n for n in graph.params if n not in arrays]
    extra = [n for n in names if n not in graph.params]
    wrong = [f"{n}: file {arrays[n].shape} vs graph {graph.specs[v][0]}"
             for n, v in graph.params.items() if n in arrays
             and tuple(arrays[n].shape) != tuple(graph.specs[v][0])]
    problems = ([f"missing: {', '.join(missing)}"] if missing else []) + \
        ([f"unexpected: {', '.join(extra)}"] if extra else []) + \
        ([f"wrong shape: {'; '.join(wrong)}"] if wrong else [])
    if problems:
        raise StateDictError(f"{params_file} does not match the graph:\n  " +
                             "\n  ".join(problems))
