"""The zoo as a Markdown table, from the registry: what ``scripts/zoo.py table`` prints and the
README shows. Parameters and multiply-adds are measured on the built model (``nn.summary`` at
the entry's default input size), the top-1 is the published one of the reference weights."""
from __future__ import annotations

import json

from gluonkit import np
from gluonkit.nn.summary import summary

from .registry import get_model, list_models, model_entry

__all__ = ["zoo_table", "table_row", "read_benchmarks"]

_COLUMNS = ["model", "parameters", "GMACs", "input", "top-1 (published)", "source", "weights"]


def read_benchmarks(path: str) -> dict:
    """model -> ["<images/s> <workload> (<device>)", ...] from ``scripts/benchmark.py`` JSON
    lines (rows without a model, e.g. the ops workload, are ignored)."""
    out: dict = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not a JSON line of scripts/benchmark.py ({e})")
            if isinstance(row, dict) and row.get("model") and row.get("images_per_s"):
                out.setdefault(row["model"], []).append(
                    f"{row['images_per_s']:.3g} {row['workload']} ({row.get('device', '?')})")
    return out


def _weights(meta: dict) -> str:
    wf = meta["weights"].get("default")
    if wf is None:
        return "—"
    return "bundled" if wf.bundled else f"download ({wf.metadata.get('source', 'url')})"


def table_row(name: str, benchmarks: dict | None = None) -> str:
    """One Markdown row: the model built at its default size, measured; with ``benchmarks``
    (``read_benchmarks``) a last column of measured images/s."""
    meta = model_entry(name).metadata
    c, h, w = meta["input_size"]
    out = summary(get_model(name), np.zeros((1, c, h, w)), print_fn=None)
    top1 = "—" if meta["top1"] is None else f"{meta['top1']:.2f}"
    cells = [f"`{name}`", f"{out['trainable'] / 1e6:.2f}M", f"{out['macs'] / 1e9:.3g}",
             f"{h}x{w}", top1, meta["top1_source"] or "—", _weights(meta)]
    if benchmarks is not None:
        cells.append(", ".join(benchmarks.get(name, [])) or "—")
    return "| " + " | ".join(cells) + " |"


def zoo_table(names=None, benchmarks: dict | None = None) -> str:
    """The Markdown table of ``names`` (default: every registered model)."""
    names = list_models() if names is None else names
    columns = _COLUMNS + (["images/s"] if benchmarks is not None else [])
    head = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(head + [table_row(n, benchmarks) for n in names])
