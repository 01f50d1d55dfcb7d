"""Replays as CUDA graphs: a static-shape predict replay on the GPU, captured once, relaunched.

``hybridize(static_alloc=True, static_shape=True)`` wraps each cached ``Executor`` in a
``CudaGraphExecutor``. On GPU arrays, outside ``autograd.record()`` and for graphs without
stochastic ops, the first call runs the replay eagerly (kernels compile, cuBLAS handles exist),
the second captures it on a private stream (``cupy.cuda.Stream.begin_capture``), and every call
after copies the inputs into the captured input buffers, launches the graph and copies the
outputs out: one launch instead of one per op. Every buffer the capture touched stays owned
here, so CuPy's pool never hands one to other work. A parameter replaced by a new array (not
updated in place) changes the pointers the graph reads, so the graph is captured again.
Anything else (CPU, recording, a capture CUDA refuses) delegates to the wrapped executor.
"""
from __future__ import annotations

from .. import autograd
from .executor import Executor, _raw

__all__ = ["CudaGraphExecutor"]

_new = object.__new__


def _on_gpu(raws) -> bool:
    return bool(raws) and all(type(a).__module__.startswith("cupy") for a in raws)


class CudaGraphExecutor:
    """An ``Executor`` whose no-autograd GPU replays run as one captured CUDA graph."""

    def __init__(self, executor: Executor):
        self.executor = executor
        self.stochastic = any(cls.stochastic for cls, *_ in executor.steps)
        self.calls = 0
        self.captured = None  # (param pointers, graph, stream, static inputs, outputs, kept)
        self.failure: str | None = None  # why capture was refused, if it was

    def __getattr__(self, name):  # graph, profile, run_recorded, ...: the wrapped executor's
        return getattr(self.executor, name)

    def __call__(self, inputs: list, params: list) -> list:
        if autograd.is_recording():
            return self.executor(inputs, params)
        wrap = autograd._ndarray._wrap
        return [wrap(y) for y in self.run([_raw(x) for x in inputs], [_raw(p) for p in params])]

    def run(self, inputs: list, params: list) -> list:
        if self.stochastic or self.failure or not _on_gpu(inputs + params):
            return self.executor.run(inputs, params)
        self.calls += 1
        if self.calls == 1:  # warm-up: compilation and handle creation stay out of the capture
            return self.executor.run(inputs, params)
        key = tuple(p.data.ptr for p in params)
        if self.captured is None or self.captured[0] != key:
            try:
                self._capture(inputs, params, key)
            except Exception as e:  # e.g. an op that syncs with the host: replay eagerly
                self.failure = f"{type(e).__name__}: {e}"
                self.captured = None
                return self.executor.run(inputs, params)
        return self._launch(inputs)

    def _capture(self, inputs: list, params: list, key: tuple) -> None:
        import cupy

        with inputs[0].device:
            stream = cupy.cuda.Stream(non_blocking=True)
            static = [cupy.empty_like(x) for x in inputs]
            cupy.cuda.get_current_stream().synchronize()
            ex = self.executor
            vals = ex.template.copy()
            for v, x in zip(ex.external, static + params):
                vals[v] = x
            with stream:
                stream.begin_capture()
                try:
                    # NOTE: no value is freed while capturing: the graph owns every buffer
                    for cls, attrs, ins, out, _free in ex.steps:
                        fn = _new(cls)
                        fn.__dict__.update(attrs)
                        vals[out] = fn.forward(*[None if i is None else vals[i] for i in ins])
                finally:
                    graph = stream.end_capture()
            outputs = [vals[v] for v in ex.graph.outputs]
            self.captured = (key, graph, stream, static, outputs, vals)

    def _launch(self, inputs: list) -> list:
        import cupy

        _, graph, stream, static, outputs, _ = self.captured
        current = cupy.cuda.get_current_stream()
        stream.wait_event(current.record())  # inputs written by earlier work on this stream
        with stream:
            for buf, x in zip(static, inputs):
                cupy.copyto(buf, x)
            graph.launch(stream)
            outs = [y.copy() for y in outputs]  # the next launch overwrites the captured ones
        current.wait_event(stream.record())
        return outs
