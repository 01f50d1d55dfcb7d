"""Crash-safe file writing: a temporary file in the same folder, fsync, then an atomic rename."""
from __future__ import annotations

import os
import tempfile

import numpy as onp
from safetensors.numpy import save_file

__all__ = ["atomic_save_safetensors"]


def atomic_save_safetensors(path: str, arrays: dict, metadata: dict | None = None) -> None:
    """Write arrays (made contiguous) to ``path``; a crash mid-write leaves the old file whole."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # NOTE: safetensors writes wrong data for non-contiguous arrays without an error.
    arrays = {k: onp.ascontiguousarray(v) for k, v in arrays.items()}
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    os.close(fd)
    try:
        save_file(arrays, tmp, metadata={k: str(v) for k, v in (metadata or {}).items()})
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
