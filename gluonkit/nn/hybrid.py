"""The graph cache behind ``HybridBlock.hybridize()``: trace once per input signature, replay.

A call's signature is (input shapes, dtypes, devices, which inputs need a gradient, train/predict
mode, recording, the Python arguments, the parameters' generation). The first call with a new
signature runs eagerly while the core's tracer writes the ops down; later calls with it replay the
graph (``gluonkit.core.graph.Executor``). Casting, moving or re-initialising a parameter, or
changing its ``grad_req``, bumps the generation and so retraces.
"""
from __future__ import annotations

from collections import OrderedDict

from gluonkit import autograd
from gluonkit.core import ndarray
from gluonkit.core.graph import Executor, TraceError, optimize, trace
from gluonkit.core.graph.cuda_graph import CudaGraphExecutor

from . import parameter

__all__ = ["GraphCache"]


class GraphCache:
    """Traced graphs of one block, by call signature (at most ``size``, least recent dropped)."""

    def __init__(self, block, static_alloc: bool = False, static_shape: bool = False,
                 size: int = 8):
        self.block, self.static_alloc, self.static_shape = block, static_alloc, static_shape
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.last_graph = None  # the most recent raw (unoptimized) trace, for export

    def __call__(self, args: tuple, kwargs: dict):
        key = self._signature(args, kwargs)
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            return self._replay(entry, args)
        params = self.block.collect_params()
        if not all(p.is_initialized for p in params.values()):
            # NOTE: deferred shapes are fixed by the first eager call; trace the next one.
            return self.block.forward(*args, **kwargs)
        graph, out = trace_call(self.block, args, kwargs, params)
        self.last_graph = graph
        mode = "train" if graph.training else "predict"
        executor = Executor(optimize(graph, mode), static_alloc=self.static_alloc)
        if self.static_alloc and self.static_shape:  # on the GPU: predict replays as CUDA graphs
            executor = CudaGraphExecutor(executor)
        self.entries[key] = (executor, [params[name] for name in executor.graph.params],
                             graph.structure)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return out

    def lookup(self, args: tuple, kwargs: dict):
        """(executor, parameters) cached for this call's signature."""
        entry = self.entries.get(self._signature(args, kwargs))
        if entry is None:
            raise KeyError("no graph is cached for these arguments in this mode: call the block "
                           "with them once first")
        return entry[0], entry[1]

    def _signature(self, args: tuple, kwargs: dict):
        spec = tuple((a.shape, a.dtype.str, a.device, a.requires_grad)
                     if isinstance(a, ndarray) else ("static", repr(a)) for a in args)
        extra = tuple(sorted((k, repr(v)) for k, v in kwargs.items()))
        return (spec, extra, autograd.is_training(), autograd.is_recording(),
                parameter.generation())

    def _replay(self, entry, args: tuple):
        executor, params, structure = entry
        arrays = [a for a in args if isinstance(a, ndarray)]
        return restructure(executor(arrays, [p.data() for p in params]), structure)


def trace_call(block, args: tuple, kwargs: dict, params: dict):
    """Run ``block.forward`` once under the tracer; returns (graph, the call's real output)."""
    name = type(block).__name__
    with trace(name, {k: p.data() for k, p in params.items()}) as tracer:
        for a in args:
            if isinstance(a, ndarray):
                tracer.add_input(a)
        out = block.forward(*args, **kwargs)
        outs, structure = flatten_outputs(out, name)
        graph = tracer.finish(outs, structure, autograd.is_training())
    return graph, out


def flatten_outputs(out, owner: str):
    if isinstance(out, ndarray):
        return [out], "single"
    if isinstance(out, (tuple, list)) and all(isinstance(o, ndarray) for o in out):
        return list(out), type(out).__name__
    raise TraceError(f"{owner}.forward returned {type(out).__name__}; a hybridized block must "
                     "return an array or a tuple/list of arrays")


def restructure(outs: list, structure: str):
    if structure == "single":
        return outs[0]
    return tuple(outs) if structure == "tuple" else list(outs)
