"""``train.tensorboard: true``: the scalars of ``log.jsonl`` as TensorBoard event files.

Written through tensorboardX (an optional extra: ``pip install 'gluonkit[tensorboard]'``): a
maintained writer that needs neither TensorFlow nor PyTorch. Tags are the ``log.jsonl`` keys
(``train_loss``, ``val_top1``, ``lr``, ``images_per_s``...), the step is the epoch.
"""
from __future__ import annotations

import math
import os

from .config import ConfigError

__all__ = ["ScalarWriter"]


class ScalarWriter:
    """Writes each epoch's record under ``<output_dir>/tensorboard``."""

    def __init__(self, output_dir: str):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ConfigError("train.tensorboard: true needs tensorboardX: "
                              "pip install 'gluonkit[tensorboard]' (or tensorboardX)") from None
        self.folder = os.path.join(output_dir, "tensorboard")
        self._writer = SummaryWriter(self.folder)

    def write(self, record: dict) -> None:
        step = record["epoch"]
        for key, value in record.items():
            if key != "epoch" and isinstance(value, (int, float)) and math.isfinite(value):
                self._writer.add_scalar(key, value, step)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
