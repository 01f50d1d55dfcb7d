"""SGD/NAG/Adam/AdamW for all parameters of a step in one launch (``multi_tensor.cu``).

Replaces the per-parameter loop of ``Optimizer.update`` (gluonkit/optim/optimizer.py), whose
NumPy formulas stay the reference. A parameter qualifies when it is on the GPU, its gradient has
its dtype (float32, float16 or bfloat16) and its state is float32 (a float32 weight, or a
float32 master copy of a float16/bfloat16 one); the others go back to the loop.
"""
from __future__ import annotations

import math

import numpy

from .build import RawTemplate, check_launch, ctype

__all__ = ["OPS", "op_code", "chunk_table", "update", "CHUNK", "BLOCK"]

CHUNK = 16384  # elements per block
BLOCK = 512
OPS = {"SGD": 0, "NAG": 1, "Adam": 2, "AdamW": 3}

_kernels = RawTemplate("multi_tensor.cu", ("multi_tensor_update",),
                       ("float", "__half", "__nv_bfloat16"))


def op_code(optimizer) -> int | None:
    """The kernel's op for an optimizer instance, or None if it has no fused update."""
    name = type(optimizer).__name__
    if name in ("SGD", "NAG"):
        # NAG without momentum is plain SGD (and keeps no momentum state)
        name = "NAG" if optimizer.nesterov and optimizer.momentum else "SGD"
    return OPS.get(name)


def chunk_table(sizes, chunk: int = CHUNK):
    """(tensor index, start) of every chunk: a tensor of n elements has ceil(n / chunk) chunks."""
    sizes = numpy.asarray(sizes, dtype=numpy.int64)
    counts = -(-sizes // chunk)
    tensor = numpy.repeat(numpy.arange(len(sizes), dtype=numpy.int32), counts)
    first = numpy.cumsum(counts) - counts
    start = (numpy.arange(counts.sum(), dtype=numpy.int64) - numpy.repeat(first, counts)) * chunk
    return tensor, start


def _fusable(entry) -> bool:
    w, g, state = entry[0], entry[1], entry[2]
    keep = state.get("master", w)
    return (type(w).__module__.startswith("cupy") and g.dtype == w.dtype
            and w.flags.c_contiguous and g.flags.c_contiguous
            and keep.dtype == numpy.float32 and w.dtype.itemsize in (2, 4)
            and all(state[s].dtype == numpy.float32 for s in ("mom", "mean", "var") if s in state))


def update(optimizer, entries: list) -> list:
    """Apply one step to the fusable (weight, grad, state, lr_mult, wd_mult) entries in one
    launch per (device, dtype); return the entries left for the per-parameter loop."""
    op = op_code(optimizer)
    if op is None:
        return entries
    rest, groups = [], {}
    for e in entries:
        if _fusable(e):
            groups.setdefault((e[0].device.id, e[0].dtype), []).append(e)
        else:
            rest.append(e)
    for (device_id, dtype), group in groups.items():
        _launch(optimizer, op, device_id, dtype, group)
    return rest


def _corrections(optimizer, op: int, group: list) -> list:
    """Adam's per-parameter bias correction (advancing each parameter's step counter)."""
    if op < OPS["Adam"]:
        return [1.0] * len(group)
    out = []
    for e in group:
        e[2]["t"] += 1
        t = e[2]["t"]
        out.append(math.sqrt(1 - optimizer.beta2 ** t) / (1 - optimizer.beta1 ** t))
    return out


def _launch(optimizer, op: int, device_id: int, dtype, group: list) -> None:
    import cupy

    lr, wd = optimizer.learning_rate, optimizer.wd
    with cupy.cuda.Device(device_id):
        n = len(group)
        ptrs = numpy.zeros((5, n), numpy.uint64)
        for k, (w, g, state, _, _) in enumerate(group):
            master = state.get("master")
            s0 = state.get("mom", state.get("mean"))
            s1 = state.get("var")
            for row, a in enumerate((w, g, master, s0, s1)):
                if a is not None:
                    check_launch("multi_tensor_update", {}, ("param", a))
                    ptrs[row, k] = a.data.ptr
        sizes = numpy.array([e[0].size for e in group], numpy.int64)
        tensor, start = chunk_table(sizes)
        host = {"lr": [lr * e[3] for e in group], "wd": [wd * e[4] for e in group],
                "corr": _corrections(optimizer, op, group)}
        dev = {k: cupy.asarray(numpy.asarray(v, numpy.float32)) for k, v in host.items()}
        clip = optimizer.clip_gradient or 0.0
        kernel = _kernels.get("multi_tensor_update", ctype(dtype))
        f32 = numpy.float32
        kernel((len(tensor),), (BLOCK,),
               (cupy.asarray(ptrs.ravel()), numpy.int32(n), cupy.asarray(sizes),
                cupy.asarray(tensor), cupy.asarray(start), numpy.int64(CHUNK),
                dev["lr"], dev["wd"], dev["corr"], numpy.int32(op),
                f32(getattr(optimizer, "momentum", 0.0)), f32(getattr(optimizer, "beta1", 0.0)),
                f32(getattr(optimizer, "beta2", 0.0)), f32(getattr(optimizer, "epsilon", 0.0)),
                f32(optimizer.rescale_grad), f32(clip)))
