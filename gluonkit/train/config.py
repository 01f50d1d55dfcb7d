"""Typed training configs loaded from YAML, with ``base:`` inheritance and ``--set`` overrides.

    cfg = load_config("configs/resnet50.yaml", ["optim.lr_per_256=0.2", "train.epochs=3"])

Unknown keys and wrongly typed values fail before training, naming the key's path, the closest
valid key and the expected type.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import typing
from dataclasses import dataclass, field
from typing import Literal, Optional, Union

import yaml

from gluonkit.utils.errors import UserError

__all__ = ["Config", "ConfigError", "load_config", "config_from_dict", "config_to_dict"]


class ConfigError(UserError, ValueError):
    """A recipe that cannot be run as written."""


@dataclass
class ModelConfig:
    name: str = "lenet"
    classes: int = 10
    pretrained: Union[bool, str] = False
    kwargs: dict = field(default_factory=dict)
    sync_bn: bool = False


@dataclass
class DataConfig:
    dataset: Literal["mnist", "fashion_mnist", "cifar10", "cifar100", "imagenet",
                     "folder"] = "mnist"
    root: Optional[str] = None
    synthetic: bool = False
    synthetic_size: int = 256
    image_size: int = 224
    crop_ratio: float = 0.875
    augment: bool = True
    num_workers: int = 0
    download: bool = False
    val_split: float = 0.2


@dataclass
class OptimConfig:
    name: Literal["sgd", "nag", "adam", "adamw", "rmsprop"] = "sgd"
    lr_per_256: float = 0.1
    momentum: float = 0.9
    wd: float = 1e-4
    no_bias_decay: bool = False
    clip_gradient: Optional[float] = None


@dataclass
class ScheduleConfig:
    name: Literal["cosine", "step", "poly", "constant"] = "cosine"
    warmup_epochs: float = 0.0
    warmup_begin_lr: float = 0.0
    step_epochs: list = field(default_factory=lambda: [30, 60, 90])
    step_factor: float = 0.1
    power: float = 2.0
    final_lr: float = 0.0


@dataclass
class LossConfig:
    label_smoothing: float = 0.0
    # Weight of each auxiliary head's loss for models built with model.kwargs.aux_logits: true;
    # null: the published one (GoogLeNet 0.3 per head, Inception v3 0.4).
    aux_weight: Optional[float] = None


@dataclass
class TricksConfig:
    last_gamma: bool = False
    mixup_alpha: float = 0.0
    mixup_off_epochs: int = 0
    cutmix_alpha: float = 0.0
    teacher: Optional[str] = None
    teacher_pretrained: Union[bool, str] = True
    temperature: float = 1.0
    hard_weight: float = 0.5


@dataclass
class FinetuneConfig:
    backbone_lr_mult: float = 1.0
    freeze_backbone: bool = False
    freeze_bn: bool = False
    # A small folder gets at least this many optimizer steps (more epochs), 0: train.epochs only;
    # not applied when train.max_steps_per_epoch caps the run.
    min_steps: int = 0


@dataclass
class TrainConfig:
    epochs: int = 1
    batch_size: int = 128
    # 'cpu', 'gpu', 'gpu:N', or 'auto': a GPU if there is one, else the CPU in float32.
    device: str = "cpu"
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"  # 16-bit: float32 master weights
    seed: int = 0
    # null: a new folder per run, runs/<model>-<dataset>-<date>-<time>.
    output_dir: Optional[str] = None
    distributed: Union[bool, Literal["mpi", "nccl"]] = False  # true: nccl on GPUs, else mpi
    max_steps_per_epoch: Optional[int] = None
    # 'keep': every image trains each epoch (a short last batch); 'discard' drops the short
    # last batch (a different few images each shuffled epoch; the run says how many).
    last_batch: Literal["keep", "discard"] = "keep"
    # null: a progress bar per epoch in a terminal, only the per-epoch lines when piped.
    progress: Optional[bool] = None
    tensorboard: bool = False
    hybridize: bool = True  # run the model through traced graphs (same results, less overhead)
    # Threads of the BLAS library (OpenBLAS) while training; null keeps its default (all cores).
    # 1 for a small model: its GEMMs gain nothing from a second thread, and the idle thread's
    # spinning takes a core from everything else (ruinous on a shared machine).
    blas_threads: Optional[int] = None


@dataclass
class EvalConfig:
    batch_size: int = 256
    every_epochs: int = 1
    max_steps: Optional[int] = None


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    tricks: TricksConfig = field(default_factory=TricksConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    recipe: Optional[str] = None  # the YAML file's name, set by load_config (plot titles)


# ---------------------------------------------------------------------- reading YAML
def _read_yaml(path: str, seen: tuple = ()) -> dict:
    path = os.path.abspath(path)
    if path in seen:
        raise ConfigError(f"config inheritance loops: {' -> '.join(seen + (path,))}")
    if not os.path.exists(path):
        raise ConfigError(f"config file not found: {path}")
    with open(path) as f:
        try:
            raw = yaml.safe_load(f) or {}
        except yaml.YAMLError as e:
            raise ConfigError(_yaml_problem(path, e)) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of sections, "
                          f"got {type(raw).__name__}")
    base = raw.pop("base", None)
    if base is None:
        return raw
    parent = _read_yaml(os.path.join(os.path.dirname(path), base), seen + (path,))
    return _merge(parent, raw)


def _yaml_problem(where: str, e: yaml.YAMLError, position: bool = True) -> str:
    """'file:line:column: what' from a YAML parser error."""
    mark = getattr(e, "problem_mark", None) if position else None
    at = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark is not None else where
    what = " ".join(str(x) for x in (getattr(e, "context", None), getattr(e, "problem", None))
                    if x) or str(e)
    return f"{at}: malformed YAML: {what}"


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _apply_override(tree: dict, item: str) -> None:
    if "=" not in item:
        raise ConfigError(f"override {item!r} must look like section.key=value")
    key, value = item.split("=", 1)
    parts = key.strip().split(".")
    node = tree
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {key!r}: {p!r} is not a section")
    try:
        node[parts[-1]] = yaml.safe_load(value)
    except yaml.YAMLError as e:
        raise ConfigError(_yaml_problem(f"override {item!r}", e, position=False)) from None


# ---------------------------------------------------------------------- typing
def _type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is Union:
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    return {type(None): "null"}.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(value, tp, path: str):
    origin = typing.get_origin(tp)
    if origin is Literal:
        if value in typing.get_args(tp):
            return value
    elif origin is Union:
        for arg in typing.get_args(tp):
            try:
                return _coerce(value, arg, path)
            except ConfigError:
                continue
    elif tp is type(None):
        if value is None:
            return None
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp in (str, list, dict):
        if isinstance(value, tp):
            return value
    raise ConfigError(f"{path}: expected {_type_name(tp)}, got {value!r}")


def _build(cls, data, path: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f"; did you mean {(path + '.' if path else '') + close[0]!r}?" if close else ""
            raise ConfigError(f"unknown config key {where!r}{hint} "
                              f"(valid keys here: {', '.join(fields)})")
        tp = hints[key]
        if dataclasses.is_dataclass(tp):
            kwargs[key] = _build(tp, value or {}, where)
        else:
            kwargs[key] = _coerce(value, tp, where)
    return cls(**kwargs)


def config_from_dict(tree: dict) -> Config:
    """A validated Config from a nested dict (zoo model names included)."""
    cfg = _build(Config, tree, "")
    _check_model_names(cfg)
    return cfg


def _check_model_names(cfg: Config) -> None:
    """An unknown model or teacher name fails now, with the closest names, not after loading."""
    from gluonkit.model_zoo import model_entry
    from gluonkit.model_zoo.registry import UnknownModelError

    for where, name in (("model.name", cfg.model.name), ("tricks.teacher", cfg.tricks.teacher)):
        if name is None:
            continue
        try:
            model_entry(name)
        except UnknownModelError as e:
            raise ConfigError(f"{where}: {e}") from None


def config_to_dict(cfg: Config) -> dict:
    return dataclasses.asdict(cfg)


def load_config(path: str, overrides: list[str] | None = None) -> Config:
    """Read a YAML recipe (following ``base:``), apply ``key=value`` overrides, validate."""
    tree = _read_yaml(path)
    for item in overrides or []:
        _apply_override(tree, item)
    tree["recipe"] = os.path.basename(path)
    return config_from_dict(tree)
