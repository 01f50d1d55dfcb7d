"""What a run shows while it trains: a bar per epoch in a terminal, one line per epoch always.

The bar (tqdm) is drawn only when asked (``train.progress: true``) or, by default, when stderr
is a terminal: a log piped to a file or CI gets the per-epoch lines and no carriage-return
frames. The full record of each epoch goes to ``log.jsonl``, not to the screen.
"""
from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["show_bars", "epoch_bar", "epoch_line", "final_line"]


def show_bars(progress: bool | None) -> bool:
    """``train.progress``: True/False, or None for 'when stderr is a terminal'."""
    if progress is None:
        return sys.stderr.isatty()
    return progress


def epoch_bar(total: int, epoch: int, epochs: int, enabled: bool) -> tqdm:
    """One bar for one epoch; it stays on screen when the epoch ends."""
    return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", disable=not enabled, leave=True,
                dynamic_ncols=True, file=sys.stderr)


def epoch_line(record: dict, epochs: int) -> str:
    """'epoch 3/30  loss 0.412  top-1 97.9%  top-5 99.9%  3,350 img/s  lr 0.0123'."""
    parts = [f"epoch {record['epoch']}/{epochs}", f"loss {record['train_loss']:.3f}"]
    if "val_top1" in record:
        parts.append(f"top-1 {100 * record['val_top1']:.1f}%")
    if "val_top5" in record:
        parts.append(f"top-5 {100 * record['val_top5']:.1f}%")
    speed = record["images_per_s"]
    parts += [f"{speed:,.0f} img/s" if speed >= 100 else f"{speed:.3g} img/s",
              f"lr {record['lr']:.3g}"]
    return "  ".join(parts)


def final_line(record: dict, what: str) -> str:
    """'fine-tuned lenet: best val top-1 98.1% (epoch 27), last 97.9% (epoch 30); in runs/x'."""
    where = f"; checkpoints and log in {record['output_dir']}" if "output_dir" in record else ""
    if "val_top1" not in record:
        return f"{what}: no evaluation ran{where}"
    top5 = f", top-5 {100 * record['val_top5']:.1f}%" if "val_top5" in record else ""
    best = ""
    if "best_epoch" in record:
        best = (f"best val top-1 {100 * record['best_val_top1']:.1f}% (epoch "
                f"{record['best_epoch']}), ")
    return (f"{what}: {best}last {100 * record['val_top1']:.1f}%{top5} (epoch "
            f"{record['epoch']}){where}")
