"""Build CUDA kernels on first use and cache them per device (CuPy caches per dtype).

Nothing here imports CuPy at import time: a kernel is declared as a recipe (``Elementwise``,
``Reduction``, ``RawTemplate``) and turned into a CuPy kernel object the first time it is called.
``cupy.ElementwiseKernel``/``ReductionKernel`` then compile once per dtype signature and device;
a ``.cu`` file goes through ``cupy.RawModule(name_expressions=...)``, loaded once per device.
"""
from __future__ import annotations

import functools
import pathlib

import numpy

__all__ = ["Elementwise", "Reduction", "RawTemplate", "check_launch", "source", "nvcc_options",
           "RAW_TEMPLATES"]

HERE = pathlib.Path(__file__).resolve().parent

# NVRTC options for every .cu: C++17 and fast math off (results must match the NumPy reference).
nvcc_options = ("--std=c++17",)

RAW_TEMPLATES: dict = {}  # file name -> the name expressions its RawTemplate instantiates


def source(file: str) -> str:
    """The text of a ``.cu`` file shipped in this package."""
    return (HERE / file).read_text()


def _cupy():
    import cupy
    return cupy


class Elementwise:
    """A ``cupy.ElementwiseKernel`` built on its first call; arguments as CuPy's."""

    def __init__(self, in_params: str, out_params: str, operation: str, name: str,
                 preamble: str = ""):
        self.args = (in_params, out_params, operation, name)
        self.preamble = preamble
        self._kernel = None

    def __call__(self, *args, **kw):
        if self._kernel is None:
            self._kernel = _cupy().ElementwiseKernel(*self.args, preamble=self.preamble)
        return self._kernel(*args, **kw)


class Reduction:
    """A ``cupy.ReductionKernel`` built on its first call; arguments as CuPy's."""

    def __init__(self, in_params: str, out_params: str, map_expr: str, reduce_expr: str,
                 post_map_expr: str, identity: str, name: str, reduce_type: str = "float"):
        self.args = (in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name,
                     reduce_type)
        self._kernel = None

    def __call__(self, *args, **kw):
        if self._kernel is None:
            i, o, m, r, p, ident, name, rt = self.args
            self._kernel = _cupy().ReductionKernel(i, o, m, r, p, ident, name, reduce_type=rt)
        return self._kernel(*args, **kw)


class RawTemplate:
    """Templated kernels of one ``.cu`` file, instantiated for ``dtypes`` (C type names).

    ``get(name, ctype)`` returns the ``cupy.RawKernel`` for ``name<ctype>`` on the current
    device, compiling the module the first time that device asks.
    """

    def __init__(self, file: str, names: tuple, ctypes: tuple):
        self.file = file
        self.expressions = tuple(f"{n}<{t}>" for n in names for t in ctypes)
        RAW_TEMPLATES[file] = self.expressions

    def get(self, name: str, ctype: str):
        cupy = _cupy()
        module = _module(self.file, self.expressions, cupy.cuda.Device().id)
        return module.get_function(f"{name}<{ctype}>")


@functools.lru_cache(maxsize=None)
def _module(file: str, expressions: tuple, device_id: int):
    """One RawModule per (file, device): modules are per CUDA context."""
    cupy = _cupy()
    with cupy.cuda.Device(device_id):
        return cupy.RawModule(code=source(file), options=nvcc_options,
                              name_expressions=list(expressions))


_CTYPES = {numpy.dtype("float32"): "float", numpy.dtype("float64"): "double"}


def ctype(dtype) -> str:
    """The C type name a RawTemplate is instantiated with for ``dtype``."""
    dt = numpy.dtype(dtype)
    if dt.name == "bfloat16":
        return "__nv_bfloat16"
    if dt == numpy.float16:
        return "__half"
    if dt not in _CTYPES:
        raise TypeError(f"no CUDA kernel is instantiated for dtype {dt}")
    return _CTYPES[dt]


def check_launch(kernel: str, dtypes: dict, *arrays) -> None:
    """Raise before a RawKernel launch unless every array is C-contiguous and of its dtype.

    A RawKernel reads raw pointers: a strided view or a wrong dtype would be read as garbage.
    ``dtypes`` maps an argument name to the dtype it must have; ``arrays`` are (name, array).
    """
    for name, a in arrays:
        if not a.flags.c_contiguous:
            raise ValueError(f"{kernel}: argument {name!r} must be C-contiguous (got strides "
                             f"{a.strides} for shape {a.shape}); pass xp.ascontiguousarray(...)")
        want = dtypes.get(name)
        if want is not None and a.dtype != numpy.dtype(want):
            raise TypeError(f"{kernel}: argument {name!r} must be {numpy.dtype(want)}, got "
                            f"{a.dtype}")
