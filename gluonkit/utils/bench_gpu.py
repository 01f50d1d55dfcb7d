"""Per-op GPU time of a graph replay, from CUDA events recorded between the steps.

Host clocks only see launches on the GPU; an event recorded on the stream after each step and
read after one synchronisation gives each op kind's device time.
"""
from __future__ import annotations

__all__ = ["event_profile"]


def event_profile(executor, inputs: list, params: list) -> dict:
    """One replay of ``executor`` (raw CuPy inputs and params): ``{op: [calls, seconds]}``."""
    import cupy

    stream = cupy.cuda.get_current_stream()
    events = [stream.record()]
    names = []

    def mark(cls):
        events.append(stream.record())
        names.append(cls.__name__)

    executor.run_steps(inputs, params, mark)
    events[-1].synchronize()
    table: dict = {}
    for name, start, end in zip(names, events, events[1:]):
        entry = table.setdefault(name, [0, 0.0])
        entry[0] += 1
        entry[1] += cupy.cuda.get_elapsed_time(start, end) / 1e3  # milliseconds to seconds
    return table
