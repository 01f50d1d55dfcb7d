"""Graph capture: trace the ops of one call into a graph, optimize it, replay it, save it.

- ``tracer``: the hook on the op door (``Function.apply``) that records nodes;
- ``ir``: the graph and its versioned JSON form;
- ``passes``: constant and batch-norm folding, ReLU/add fusion, dead-node elimination;
- ``executor``: replay with or without autograd.

``gluonkit.nn.HybridBlock.hybridize()`` asks for traces and replays; ``gluonkit.onnx``
translates the same graph.
"""
from .executor import Executor
from .ir import FORMAT, VERSION, Graph, GraphFormatError, Node, op_class
from .passes import generalize_batch, optimize
from .tracer import TraceError, check_host_read, is_tracing, trace

__all__ = ["Executor", "Graph", "GraphFormatError", "Node", "FORMAT", "VERSION", "op_class",
           "optimize", "generalize_batch", "trace", "TraceError", "is_tracing",
           "check_host_read"]
