"""nvcc sources that compile gluonkit's kernels for sm_90 without a GPU.

- a ``.cu`` file is included and every name expression its ``RawTemplate`` lists is
  instantiated (taking a kernel template's address makes nvcc emit it);
- an ``Elementwise``/``Reduction`` recipe's C body is placed in a kernel shaped as CuPy's
  generated one (``i`` the output index, ``raw`` arguments as pointers, outputs as references
  to element ``i``, other inputs as values), with T = float, so a typo in a kernel body fails
  here rather than on the GPU.
"""
from __future__ import annotations

import re

_CTYPES = {"int32": "int", "int64": "long long", "bool": "bool", "float32": "float", "T": "T"}


def raw_template_source(path: str, expressions) -> str:
    refs = ", ".join(f"(void*)&{e}" for e in expressions)
    return f'#include "{path}"\nvoid* gk_instances[] = {{{refs}}};\n'


def _params(spec: str, output: bool) -> tuple:
    """(kernel parameters, per-element bindings) for a CuPy parameter list."""
    params, binds = [], []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        words = item.split()
        raw = words[0] == "raw"
        ctype, name = _CTYPES[words[-2]], words[-1]
        if raw:
            params.append(f"{'' if output else 'const '}{ctype}* {name}")
        elif output:
            params.append(f"{ctype}* {name}_")
            binds.append(f"{ctype}& {name} = {name}_[i];")
        else:  # an element of an input, or a scalar: a value of its type either way
            params.append(f"const {ctype} {name}")
    return params, binds


def elementwise_source(name: str, in_params: str, out_params: str, operation: str) -> str:
    pi, bi = _params(in_params, False)
    po, bo = _params(out_params, True)
    body = " ".join(bi + bo)
    return (f"template <typename T> __global__ void {name}({', '.join(pi + po)}) {{\n"
            f"  ptrdiff_t i = blockIdx.x * blockDim.x + threadIdx.x;\n  {body}\n  {operation}\n}}\n"
            f"void* {name}_instance = (void*)&{name}<float>;\n")


def reduction_source(name: str, in_params: str, out_params: str, map_expr: str,
                     reduce_expr: str, post_map_expr: str, identity: str, reduce_type: str) -> str:
    pi, bi = _params(in_params, False)
    po, bo = _params(out_params, True)
    reduce_expr = re.sub(r"\ba\b", "_a", re.sub(r"\bb\b", "_b", reduce_expr))
    post = re.sub(r"\ba\b", "_a", post_map_expr)
    return (f"template <typename T> __global__ void {name}({', '.join(pi + po)}) {{\n"
            f"  ptrdiff_t i = blockIdx.x * blockDim.x + threadIdx.x;\n  {' '.join(bi + bo)}\n"
            f"  {reduce_type} _a = {identity}, _b = ({map_expr});\n  _a = {reduce_expr};\n"
            f"  {post};\n}}\n"
            f"void* {name}_instance = (void*)&{name}<float>;\n")
