"""Checkpoint importers: torchvision/timm files load directly into the matching zoo model.

``load_checkpoint`` reads ``.safetensors``, PyTorch ``.pth``/``.pt`` (without PyTorch, through a
restricted unpickler), GluonCV/MXNet ``.params`` (a bounds-checked reader, names mapped for the
model) and ``.npz``; ``to_gluonkit`` maps its names onto a model's: ``module.``
prefixes stripped, ``num_batches_tracked`` dropped, batch norm ``weight``/``bias`` renamed to
``gamma``/``beta``, and every mismatch reported at once.
"""
from __future__ import annotations

import re

import numpy as onp

from gluonkit.utils.io import atomic_save_safetensors

from .gluoncv_names import from_gluoncv
from .mxnet_ndarray import ParamsFormatError, load_ndarray_list
from .pth_reader import UnsafeCheckpointError, load_pth

__all__ = ["load_checkpoint", "to_gluonkit", "to_torch_names", "save_safetensors",
           "CheckpointMismatchError", "UnsafeCheckpointError", "ParamsFormatError"]


class CheckpointMismatchError(ValueError):
    """The checkpoint belongs to another architecture; the message lists the differences."""


def _unwrap(obj):
    for key in ("state_dict", "model", "model_state", "params"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            return _unwrap(obj[key])
    return obj


def load_checkpoint(path, model: str | None = None) -> dict:
    """name -> NumPy array from a .safetensors, .pth/.pt, .params or .npz file (never unpickles
    freely); ``model`` names the zoo model a GluonCV ``.params`` file is renamed for."""
    path = str(path)
    if path.endswith(".safetensors"):
        from safetensors.numpy import load_file
        state = load_file(path)
        if state and all(k.startswith(("model.", "optim.")) for k in state):
            # a gluonkit training checkpoint: keep the model's arrays
            state = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    elif path.endswith((".pth", ".pt", ".bin", ".ckpt")):
        state = _unwrap(load_pth(path))
    elif path.endswith(".params"):
        state = load_ndarray_list(path)
        state = from_gluoncv(state, model) if model else state
    elif path.endswith(".npz"):
        with onp.load(path, allow_pickle=False) as f:
            state = {k: f[k] for k in f.files}
    else:
        raise ValueError(f"unknown checkpoint format: {path} (use .safetensors, .pth/.pt, .params "
                         "or .npz)")
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict (found {type(state).__name__})")
    return {k: onp.asarray(v) for k, v in state.items() if hasattr(v, "shape")}


def _rename(name: str, target: dict) -> str:
    name = re.sub(r"^(module\.)+", "", name)
    for src, dst in ((".weight", ".gamma"), (".bias", ".beta")):
        if name.endswith(src):
            alt = name[:-len(src)] + dst
            if alt in target and name not in target:
                return alt
    return name


def to_gluonkit(state: dict, target: dict, skip: str | None = None, strict: bool = True) -> dict:
    """Rename ``state`` onto ``target`` (zoo name -> shape); raise one error on any mismatch.

    ``skip`` is a regex of target names not to load (e.g. ``'^fc\\.'`` for a new classifier).
    """
    skip_re = re.compile(skip) if skip else None
    out = {}
    for name, value in state.items():
        if name.endswith("num_batches_tracked"):
            continue
        new = _rename(name, target)
        if skip_re and skip_re.search(new):
            continue
        out[new] = value
    wanted = {n: s for n, s in target.items() if not (skip_re and skip_re.search(n))}
    missing = sorted(n for n in wanted if n not in out)
    unexpected = sorted(n for n in out if n not in wanted)
    wrong = sorted(f"{n}: checkpoint {tuple(out[n].shape)} vs model {tuple(wanted[n])}"
                   for n in wanted if n in out and tuple(out[n].shape) != tuple(wanted[n]))
    if strict and (missing or unexpected or wrong):
        parts = []
        for label, items in (("missing", missing), ("unexpected", unexpected),
                             ("wrong shape", wrong)):
            if items:
                shown = ", ".join(items[:20]) + (f" ... ({len(items)} in all)"
                                                 if len(items) > 20 else "")
                parts.append(f"{label}: {shown}")
        raise CheckpointMismatchError("the checkpoint does not match this model (another "
                                      "architecture?):\n  " + "\n  ".join(parts))
    return {n: v for n, v in out.items() if n in wanted}


def to_torch_names(state: dict) -> dict:
    """gluonkit names -> PyTorch names (gamma/beta back to weight/bias)."""
    out = {}
    for name, value in state.items():
        name = re.sub(r"\.gamma$", ".weight", re.sub(r"\.beta$", ".bias", name))
        out[name] = value
    return out


def save_safetensors(path, state: dict, metadata: dict | None = None) -> None:
    """Write a state dict as .safetensors (contiguous arrays, atomic rename)."""
    atomic_save_safetensors(str(path), state, metadata)
