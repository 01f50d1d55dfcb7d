"""Training checkpoints: one ``.safetensors`` file holding model, optimizer and RNG state.

Arrays go in as tensors with prefixes (``model.``, ``optim.``); everything else (epoch, step,
resolved config, RNG state, optimizer meta) as JSON in the safetensors metadata, and the
dataset's class names under ``class_names`` (``get_model(name, pretrained=path)`` restores them).
Writes go to a temporary file that is renamed over the target only once complete, so a crash at
any moment leaves the previous checkpoint whole.
"""
from __future__ import annotations

import json
import os

from safetensors import safe_open

from gluonkit.model_zoo.class_names import CLASS_NAMES_KEY
from gluonkit.utils.errors import UserError
from gluonkit.utils.io import atomic_save_safetensors

from .data_setup import class_names

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointNotFoundError"]


class CheckpointNotFoundError(UserError, FileNotFoundError):
    """A checkpoint path (``--checkpoint``, ``--resume``) that does not exist."""


def save_checkpoint(path: str, model_state: dict, optim_state: dict, meta: dict) -> None:
    """Save model and optimizer arrays plus JSON-able ``meta`` atomically."""
    arrays = {f"model.{k}": v for k, v in model_state.items()}
    arrays.update({f"optim.{k}": v for k, v in optim_state.items()})
    extra = {"gluonkit": json.dumps(meta)}
    names = class_names(meta.get("config") or {})
    if names:
        extra[CLASS_NAMES_KEY] = json.dumps(names)
    atomic_save_safetensors(path, arrays, extra)


def load_checkpoint(path: str) -> tuple[dict, dict, dict]:
    """(model_state, optim_state, meta) from a checkpoint written by ``save_checkpoint``."""
    if not os.path.exists(path):
        raise CheckpointNotFoundError(f"checkpoint not found: {path}")
    with safe_open(path, framework="numpy") as f:  # one read: metadata and tensors
        meta = json.loads((f.metadata() or {}).get("gluonkit", "{}"))
        arrays = {k: f.get_tensor(k) for k in f.keys()}
    model = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
    optim = {k[len("optim."):]: v for k, v in arrays.items() if k.startswith("optim.")}
    return model, optim, meta
