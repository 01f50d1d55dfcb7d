"""Where a run writes: ``train.output_dir``, or a new folder per run so no run replaces another."""
from __future__ import annotations

import os
import time

from .config import Config, ConfigError

__all__ = ["resolve_output_dir", "dataset_name"]


def dataset_name(cfg: Config) -> str:
    """The dataset's name, or a folder dataset's folder name."""
    if cfg.data.dataset == "folder" and cfg.data.root:
        return os.path.basename(os.path.normpath(os.path.expanduser(cfg.data.root)))
    return cfg.data.dataset


def resolve_output_dir(cfg: Config, resume: bool = False, root: str = "runs") -> str:
    """``train.output_dir`` if set, else ``runs/<model>-<dataset>-<YYYYmmdd-HHMMSS>`` (with a
    counter if that exists already), created."""
    if cfg.train.output_dir:
        os.makedirs(cfg.train.output_dir, exist_ok=True)
        return cfg.train.output_dir
    if resume:
        raise ConfigError("--resume needs the run's folder: set train.output_dir (each run "
                          "without it gets a new folder)")
    base = os.path.join(root, f"{cfg.model.name}-{dataset_name(cfg)}-"
                              f"{time.strftime('%Y%m%d-%H%M%S')}")
    path, n = base, 1
    while True:
        try:
            os.makedirs(path)  # fails if it exists: two runs never share a folder
            return path
        except FileExistsError:
            n += 1
            path = f"{base}-{n}"
