"""train.dtype=bfloat16: float32 master weights and no loss scaling (bfloat16 has float32's
exponent range)."""
from __future__ import annotations

import numpy as onp
import pytest

from gluonkit.train import fit
from gluonkit.train.checkpoint import load_checkpoint

from .test_engine import lenet_config

pytest.importorskip("ml_dtypes")


def test_bfloat16_trains_with_master_weights(tmp_path):
    cfg = lenet_config(tmp_path, "train.dtype=bfloat16", "train.epochs=1",
                       "train.max_steps_per_epoch=3")
    record = fit(cfg, log=lambda *_: None)
    model, optim, meta = load_checkpoint(str(tmp_path / "last.safetensors"))
    assert onp.isfinite(record["train_loss"])
    assert model["conv1.weight"].dtype.name == "bfloat16"
    assert optim["conv1.weight/master"].dtype == onp.float32
    assert not meta.get("loss_scaler")
