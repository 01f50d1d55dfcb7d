"""Per-op GPU time of a graph replay, from CUDA events recorded between the steps.

Host clocks only see launches on the GPU; an event recorded on the stream after each step and
read after one synchronisation gives each op kind's device time (METHOD.md: time with events).
"""
from __future__ import annotations

__all__ = ["event_profile"]

_new = object.__new__


def event_profile(executor, inputs: list, params: list) -> dict:
    """One replay of ``executor`` (raw CuPy inputs and params): ``{op: [calls, seconds]}``."""
    import cupy

    stream = cupy.cuda.get_current_stream()
    vals = executor.template.copy()
    for v, x in zip(executor.external, inputs + params):
        vals[v] = x
    events = [stream.record()]
    names = []
    for cls, attrs, ins, out, free in executor.steps:
        fn = _new(cls)
        fn.__dict__.update(attrs)
        vals[out] = fn.forward(*[None if i is None else vals[i] for i in ins])
        for f in free:
            vals[f] = None
        events.append(stream.record())
        names.append(cls.__name__)
    events[-1].synchronize()
    table: dict = {}
    for name, start, end in zip(names, events, events[1:]):
        entry = table.setdefault(name, [0, 0.0])
        entry[0] += 1
        entry[1] += cupy.cuda.get_elapsed_time(start, end) / 1e3  # milliseconds to seconds
    return table
