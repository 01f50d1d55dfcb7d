"""ONNX export: the block's traced graph (core/graph) written as an ONNX model.

``export(net, example, path)`` traces ``net`` in predict mode on ``example`` and translates node
by node: each core op has one translator below. ``onnx`` is an optional extra
(``pip install 'gluonkit[onnx]'``); onnxruntime runs the file.

Example::

    gluonkit.onnx.export(net, gk.np.zeros((1, 3, 224, 224)), "resnet50.onnx")
"""
from __future__ import annotations

import os

import numpy as onp

from gluonkit.core.graph import Graph
from gluonkit.core.ops.pool import pool_output_size
from gluonkit.utils.errors import UserError

__all__ = ["export", "to_onnx", "IR_VERSION", "OnnxExportError"]

# onnx 1.23 stamps IR version 14 on new models, which some onnxruntime releases refuse; opset 17
# needs IR 8, which every onnxruntime since 1.11 reads.
IR_VERSION = 8


class OnnxExportError(UserError, ValueError):
    """The graph holds something ONNX cannot express (the message says what)."""


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'gluonkit[onnx]' "
                          "(or pip install onnx onnxruntime)") from None
    return onnx


def export(net, example, path: str, opset: int = 17, dynamic_batch: bool = True) -> str:
    """Write ``net`` (traced on ``example``, predict mode) as an ONNX model at ``path``."""
    from gluonkit.nn.export import graph_of
    graph = graph_of(net, example)
    params = net.collect_params()
    arrays = {name: params[name].data().asnumpy() for name in graph.params}
    model = to_onnx(graph, arrays, type(net).__name__, opset, dynamic_batch)
    tmp = path + ".part"
    _onnx().save(model, tmp)
    os.replace(tmp, path)
    return path


def to_onnx(graph: Graph, params: dict, name: str = "gluonkit", opset: int = 17,
            dynamic_batch: bool = True):
    """An ``onnx.ModelProto`` for a traced graph; ``params`` (name -> NumPy array) become
    initializers."""
    onnx = _onnx()
    from onnx import helper, numpy_helper
    w = _Writer(graph, helper, numpy_helper)
    w.extra.update(params)
    for v, c in graph.constants.items():
        w.constant(v, c)
    for node in graph.nodes:
        translate = _TRANSLATORS.get(node.op)
        if translate is None:
            raise OnnxExportError(f"ONNX export has no translation for op {node.op!r} "
                                      f"(supported: {', '.join(sorted(_TRANSLATORS))})")
        translate(w, node, node.attrs)

    def info(v, label):
        shape, dtype = graph.specs[v]
        dims = (["N"] + list(shape[1:])) if dynamic_batch and shape else list(shape)
        return helper.make_tensor_value_info(label, helper.np_dtype_to_tensor_dtype(dtype), dims)

    inputs = [info(v, f"data{i}") for i, v in enumerate(graph.inputs)]
    outputs = [info(v, f"output{i}") for i, v in enumerate(graph.outputs)]
    nodes = [helper.make_node("Identity", [w.name(v)], [f"output{i}"])
             for i, v in enumerate(graph.outputs)]
    body = helper.make_graph(w.nodes + nodes, name, inputs, outputs, w.initializers())
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="gluonkit")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


class _Writer:
    """Names values, collects nodes and initializers."""

    def __init__(self, graph: Graph, helper, numpy_helper):
        self.g, self.helper, self.numpy_helper = graph, helper, numpy_helper
        self.nodes, self.extra, self._n = [], {}, 0
        self._names = {v: f"data{i}" for i, v in enumerate(graph.inputs)}
        self._names.update({v: k for k, v in graph.params.items()})

    def name(self, v) -> str:
        return self._names.setdefault(v, f"v{v}")

    def tmp(self) -> str:
        self._n += 1
        return f"t{self._n}"

    def const(self, value, dtype=None) -> str:
        """An initializer for a literal (shapes, axes, scalars)."""
        name = f"c{len(self.extra)}"
        self.extra[name] = onp.asarray(value, dtype=dtype)
        return name

    def constant(self, v, value) -> None:
        if not hasattr(value, "shape"):  # a Python scalar takes the dtype its use gives it
            return
        self.extra[self.name(v)] = onp.asarray(value.get() if hasattr(value, "get") else value)

    def arg(self, v, like=None) -> str:
        """The name of input ``v``; Python scalars become initializers of ``like``'s dtype."""
        if v is None:
            return ""
        c = self.g.constants.get(v)
        if c is not None and not hasattr(c, "shape"):
            dtype = self.g.specs[like][1] if like is not None else onp.asarray(c).dtype
            return self.const(c, dtype)
        return self.name(v)

    def add(self, op: str, inputs: list, output: str | int, **attrs) -> str:
        out = self.name(output) if isinstance(output, int) else output
        self.nodes.append(self.helper.make_node(op, inputs, [out], **attrs))
        return out

    def initializers(self) -> list:
        return [self.numpy_helper.from_array(a, name) for name, a in self.extra.items()]

    def spec(self, v):
        return self.g.specs[v]


def _elementwise(op):
    def translate(w, n, a):
        out = n.output
        w.add(op, [w.arg(v, out) for v in n.inputs], out)
    return translate


def _conv(w, n, a):
    x, W, *b = n.inputs
    p = a["padding"]
    w.add("Conv", [w.arg(x), w.arg(W)] + ([w.arg(b[0])] if b and b[0] is not None else []),
          n.output, strides=list(a["stride"]), pads=[p[0], p[1], p[0], p[1]],
          dilations=list(a["dilation"]), group=a["groups"])


def _batch_norm(w, n, a):
    if a["training"]:
        raise OnnxExportError("ONNX export writes predict-mode graphs; batch norm with batch "
                                  "statistics came from a train-mode trace")
    x, gamma, beta, mean, var, residual = (*n.inputs, None)[:6]  # older graphs: 5 inputs
    c = w.spec(x)[0][1]
    dtype = w.spec(x)[1]
    scale = w.arg(gamma) if gamma is not None else w.const(onp.ones(c), dtype)
    shift = w.arg(beta) if beta is not None else w.const(onp.zeros(c), dtype)
    relu, add = a["relu"], residual is not None  # the fused tail: + residual, then ReLU
    y = w.add("BatchNormalization", [w.arg(x), scale, shift, w.arg(mean), w.arg(var)],
              w.tmp() if relu or add else n.output, epsilon=float(a["eps"]))
    if add:
        y = w.add("Add", [y, w.arg(residual)], w.tmp() if relu else n.output)
    if relu:
        w.add("Relu", [y], n.output)


def _pool_attrs(w, n, a):
    (h, wd), k, s, p = w.spec(n.inputs[0])[0][2:], a["kernel"], a["stride"], a["padding"]
    floor = tuple(pool_output_size(size, kk, ss, pp, False)
                  for size, kk, ss, pp in zip((h, wd), k, s, p))
    return dict(kernel_shape=list(k), strides=list(s), pads=[p[0], p[1], p[0], p[1]],
                ceil_mode=int(tuple(a["out"]) != floor))


def _max_pool(w, n, a):
    w.add("MaxPool", [w.arg(n.inputs[0])], n.output, **_pool_attrs(w, n, a))


def _avg_pool(w, n, a):
    w.add("AveragePool", [w.arg(n.inputs[0])], n.output, **_pool_attrs(w, n, a),
          count_include_pad=int(a["count_include_pad"]))


def _adaptive_pool(w, n, a):
    (h, wd), (oh, ow) = w.spec(n.inputs[0])[0][2:], a["out"]
    if h % oh or wd % ow:
        raise OnnxExportError(f"adaptive average pooling {h}x{wd} -> {oh}x{ow} has unequal "
                                  "bins, which ONNX pooling cannot express")
    k = [h // oh, wd // ow]
    w.add("AveragePool", [w.arg(n.inputs[0])], n.output, kernel_shape=k, strides=k)


def _reshape(w, n, a):
    shape = list(a["shape"]) if isinstance(a["shape"], (tuple, list)) else [a["shape"]]
    if a.get("keep_batch"):
        shape[0] = 0  # ONNX: copy this dimension from the input
    w.add("Reshape", [w.arg(n.inputs[0]), w.const(shape, onp.int64)], n.output)


def _linear(w, n, a):
    x, W, *b = n.inputs
    bias = [w.arg(b[0])] if b and b[0] is not None else []
    if len(w.spec(x)[0]) == 2:
        w.add("Gemm", [w.arg(x), w.arg(W)] + bias, n.output, transB=1)
        return
    Wt = w.add("Transpose", [w.arg(W)], w.tmp(), perm=[1, 0])
    y = w.add("MatMul", [w.arg(x), Wt], w.tmp() if bias else n.output)
    if bias:
        w.add("Add", [y, bias[0]], n.output)


def _axes(a, ndim):
    axis = a.get("axis")
    if axis is None:
        return list(range(ndim))
    return [ax % ndim for ax in ((axis,) if isinstance(axis, int) else axis)]


def _reduce(op, axes_as_input):
    def translate(w, n, a):
        x = n.inputs[0]
        axes = _axes(a, len(w.spec(x)[0]))
        if axes_as_input:
            w.add(op, [w.arg(x), w.const(axes, onp.int64)], n.output,
                  keepdims=int(a["keepdims"]))
        else:
            w.add(op, [w.arg(x)], n.output, axes=axes, keepdims=int(a["keepdims"]))
    return translate


def _softmax(op):
    def translate(w, n, a):
        w.add(op, [w.arg(n.inputs[0])], n.output, axis=a["axis"])
    return translate


def _transpose(w, n, a):
    ndim = len(w.spec(n.inputs[0])[0])
    perm = list(a["axes"]) if a["axes"] is not None else list(range(ndim))[::-1]
    w.add("Transpose", [w.arg(n.inputs[0])], n.output, perm=perm)


def _concat(w, n, a):
    w.add("Concat", [w.arg(v) for v in n.inputs], n.output, axis=a["axis"])


def _identity(w, n, a):
    w.add("Identity", [w.arg(n.inputs[0])], n.output)


def _cast(w, n, a):
    from onnx import helper
    w.add("Cast", [w.arg(n.inputs[0])], n.output,
          to=helper.np_dtype_to_tensor_dtype(onp.dtype(a["dtype"])))


def _clip(w, n, a):
    dtype = w.spec(n.output)[1]
    lo = "" if a["a_min"] is None else w.const(a["a_min"], dtype)
    hi = "" if a["a_max"] is None else w.const(a["a_max"], dtype)
    w.add("Clip", [w.arg(n.inputs[0]), lo, hi], n.output)


def _broadcast(w, n, a):
    w.add("Expand", [w.arg(n.inputs[0]), w.const(list(a["shape"]), onp.int64)], n.output)


def _where(w, n, a):
    c, x, y = n.inputs
    cond = w.arg(c)
    if w.spec(c)[1] != onp.bool_:
        cond = w.add("Cast", [cond], w.tmp(), to=9)  # BOOL
    w.add("Where", [cond, w.arg(x, n.output), w.arg(y, n.output)], n.output)


def _pad(w, n, a):
    pads = [lo for lo, _ in a["pad_width"]] + [hi for _, hi in a["pad_width"]]
    w.add("Pad", [w.arg(n.inputs[0]), w.const(pads, onp.int64),
                  w.const(a["value"], w.spec(n.output)[1])], n.output, mode="constant")


def _getitem(w, n, a):
    """Basic indexing (ints, slices, None, one Ellipsis) as Slice + Squeeze + Unsqueeze."""
    if len(n.inputs) > 1:
        raise OnnxExportError("ONNX export supports basic indexing only (ints and slices)")
    shape = w.spec(n.inputs[0])[0]
    key = a["key"] if isinstance(a["key"], tuple) else (a["key"],)
    if Ellipsis in key:
        i = key.index(Ellipsis)
        fill = len(shape) - (len(key) - 1 - key.count(None))
        key = key[:i] + (slice(None),) * fill + key[i + 1:]
    starts, ends, axes, steps, squeeze, unsqueeze, dim = [], [], [], [], [], [], 0
    out_dim = 0
    for k in key:
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if isinstance(k, int):
            k = k % shape[dim]
            starts.append(k), ends.append(k + 1), axes.append(dim), steps.append(1)
            squeeze.append(dim)
        else:
            start, stop, step = k.indices(shape[dim])
            if (start, stop, step) != (0, shape[dim], 1):
                stop = stop if stop >= 0 else -shape[dim] - 1  # negative steps run past 0
                starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
            out_dim += 1
        dim += 1
    y = w.arg(n.inputs[0])
    i64 = onp.int64
    if axes:
        y = w.add("Slice", [y, w.const(starts, i64), w.const(ends, i64), w.const(axes, i64),
                            w.const(steps, i64)], w.tmp())
    if squeeze:
        y = w.add("Squeeze", [y, w.const(squeeze, i64)], w.tmp())
    if unsqueeze:
        y = w.add("Unsqueeze", [y, w.const(unsqueeze, i64)], w.tmp())
    w.add("Identity", [y], n.output)


_UFUNCS = {"less": "Less", "greater": "Greater", "equal": "Equal", "less_equal": "LessOrEqual",
           "greater_equal": "GreaterOrEqual"}
_LOGICAL = {"bitwise_and": "And", "bitwise_or": "Or", "bitwise_xor": "Xor", "invert": "Not",
            "logical_and": "And", "logical_or": "Or", "logical_xor": "Xor", "logical_not": "Not"}


def _ufunc(w, n, a):
    """Comparisons, logical ops, and bitwise ops on booleans."""
    name = a["op"]
    ins = [w.arg(v, next(u for u in n.inputs if u not in w.g.constants)) for v in n.inputs]
    if name in _UFUNCS:
        w.add(_UFUNCS[name], ins, n.output)
    elif name == "not_equal":
        w.add("Not", [w.add("Equal", ins, w.tmp())], n.output)
    elif name in _LOGICAL and w.spec(n.output)[1] == onp.bool_:
        w.add(_LOGICAL[name], ins, n.output)
    else:
        raise OnnxExportError(f"ONNX export has no translation for numpy.{name} on "
                              f"{w.spec(n.output)[1]} arrays")


_TRANSLATORS = {
    "Compare": _ufunc, "Logical": _ufunc, "Bitwise": _ufunc,
    "Conv2d": _conv, "BatchNorm": _batch_norm, "MaxPool2d": _max_pool, "AvgPool2d": _avg_pool,
    "GlobalAvgPool2d": _elementwise("GlobalAveragePool"), "AdaptiveAvgPool2d": _adaptive_pool,
    "Linear": _linear, "MatMul": _elementwise("MatMul"), "Reshape": _reshape,
    "Transpose": _transpose, "Concatenate": _concat, "BroadcastTo": _broadcast,
    "GetItem": _getitem, "Pad": _pad, "Where": _where, "Clip": _clip, "Cast": _cast,
    "Copy": _identity, "StopGradient": _identity,
    "Add": _elementwise("Add"), "Sub": _elementwise("Sub"), "Mul": _elementwise("Mul"),
    "Div": _elementwise("Div"), "Pow": _elementwise("Pow"), "Neg": _elementwise("Neg"),
    "Abs": _elementwise("Abs"), "Exp": _elementwise("Exp"), "Log": _elementwise("Log"),
    "Sqrt": _elementwise("Sqrt"), "Relu": _elementwise("Relu"),
    "Sigmoid": _elementwise("Sigmoid"), "Tanh": _elementwise("Tanh"),
    "Maximum": _elementwise("Max"), "Minimum": _elementwise("Min"),
    "Sum": _reduce("ReduceSum", True), "Mean": _reduce("ReduceMean", False),
    "Max": _reduce("ReduceMax", False), "Min": _reduce("ReduceMin", False),
    "Prod": _reduce("ReduceProd", False),
    "Softmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
}
