"""Small fused elementwise kernels: the graph's fused chains and the split-attention softmax.

Each replaces a NumPy formula kept beside it as the reference:

    add_relu(a, b)            = maximum(a + b, 0)                 (core/ops/fused.py AddRelu)
    softmax_axis(x, r, inner) = softmax over a short middle axis  (core/ops/softmax.py Softmax)
    softmax_axis_bwd          = y * (gy - sum(gy * y, axis))

The split-attention softmax of ResNeSt runs over the radix axis (length 2 or 4) of a
(N, groups, radix, C / groups) tensor: each output element loops over its radix neighbours,
so one pass replaces max, subtract, exp, sum and divide.
"""
from __future__ import annotations

from .build import Elementwise

__all__ = ["add_relu", "softmax_axis", "softmax_axis_bwd", "MAX_SOFTMAX_AXIS"]

MAX_SOFTMAX_AXIS = 16  # longer axes are faster with CuPy's reductions

add_relu = Elementwise("T a, T b", "T y", "T v = a + b; y = v > T(0) ? v : T(0);", "add_relu")

# i = (outer * r + k) * inner + j; the neighbours along the axis are base + m * inner.
softmax_axis = Elementwise(
    "raw T x, int32 r, int32 inner", "T y",
    "long long j = i % inner, base = (i / inner / r) * r * inner + j;"
    "float m = (float)x[base];"
    "for (int k = 1; k < r; ++k) m = fmaxf(m, (float)x[base + k * inner]);"
    "float s = 0.f;"
    "for (int k = 0; k < r; ++k) s += expf((float)x[base + k * inner] - m);"
    "y = (T)(expf((float)x[i] - m) / s);",
    "softmax_axis")

softmax_axis_bwd = Elementwise(
    "raw T y, raw T gy, int32 r, int32 inner", "T gx",
    "long long j = i % inner, base = (i / inner / r) * r * inner + j;"
    "float s = 0.f;"
    "for (int k = 0; k < r; ++k) s += (float)gy[base + k * inner] * (float)y[base + k * inner];"
    "gx = (T)((float)y[i] * ((float)gy[i] - s));",
    "softmax_axis_bwd")
