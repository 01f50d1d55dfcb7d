"""``register_model`` / ``get_model`` / ``list_models``: one builder for every family.

A family file decorates small entry points with ``@register_model(**metadata)``; ``get_model``
builds, initializes, loads pretrained weights and resets the classifier in one place.
"""
from __future__ import annotations

import difflib
import fnmatch
import os

import gluonkit as gk
from gluonkit.utils.errors import UserError

__all__ = ["register_model", "get_model", "list_models", "model_entry", "ModelEntry",
           "UnknownModelError", "WeightsNotFoundError", "UnknownWeightsTagError"]

# A `pretrained=` string ending so is a file name, not a weights tag.
_WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".npz", ".params", ".bin", ".ckpt")


class UnknownModelError(UserError, KeyError):
    def __str__(self):
        return self.args[0]


class WeightsNotFoundError(UserError, FileNotFoundError):
    """``pretrained=`` names a weights file that does not exist."""


class UnknownWeightsTagError(UserError, ValueError):
    """``pretrained=`` names a weights tag the model does not have."""


class ModelEntry:
    """A registered constructor and its metadata (input size, mean/std, weights...)."""

    def __init__(self, name: str, fn, metadata: dict):
        self.name, self.fn, self.metadata = name, fn, metadata

    def __repr__(self):
        return f"ModelEntry({self.name!r})"


_REGISTRY: dict = {}

_DEFAULTS = {"input_size": (3, 224, 224), "mean": (0.485, 0.456, 0.406),
             "std": (0.229, 0.224, 0.225), "crop_pct": 0.875, "num_classes": 1000,
             "first_conv": "conv1", "classifier": "fc", "weights": {}, "top1": None,
             "top1_source": None}


def register_model(**metadata):
    """Decorator: register ``fn(classes, **kwargs) -> model`` under its own name.

    Metadata keys: input_size, mean, std, crop_pct, num_classes, first_conv, classifier,
    num_params, top1 (published ImageNet top-1 of the reference weights), top1_source, weights
    (tag -> store.WeightFile).
    """
    def wrap(fn):
        if fn.__name__ in _REGISTRY:
            raise ValueError(f"model {fn.__name__!r} is registered twice")
        _REGISTRY[fn.__name__] = ModelEntry(fn.__name__, fn, {**_DEFAULTS, **metadata})
        return fn
    return wrap


def list_models(pattern: str | None = None) -> list:
    """Registered names, sorted; ``pattern`` is a shell-style wildcard ('resnet50*')."""
    names = sorted(_REGISTRY)
    return [n for n in names if pattern is None or fnmatch.fnmatch(n, pattern)]


def model_entry(name: str) -> ModelEntry:
    entry = _REGISTRY.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, _REGISTRY, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else \
            "; see gluonkit.model_zoo.list_models()"
        raise UnknownModelError(f"unknown model {name!r}{hint}")
    return entry


def get_model(name: str, classes: int | None = None, pretrained=False, device=None,
              features_only: bool = False, out_indices=None, **kwargs):
    """Build a zoo model ready to run: every parameter initialized, weights loaded on top.

    ``pretrained``: False, True (the default weights), a tag of the entry's weights, or a path
    to a ``.safetensors``/``.pth``/``.npz`` checkpoint (torchvision/timm names load directly).
    With ``classes`` different from the checkpoint's, everything but the classifier loads.

    Example::

        net = get_model('resnet50_v1b', pretrained=True, classes=10)
    """
    entry = model_entry(name)
    meta = entry.metadata
    classes = meta["num_classes"] if classes is None else classes
    device = device or gk.cpu()
    weights = meta["weights"].get("default" if pretrained is True else pretrained) \
        if isinstance(pretrained, (bool, str)) else None
    if weights is not None:  # e.g. torchvision's GoogLeNet expects transform_input=True
        kwargs = {**weights.metadata.get("model_kwargs", {}), **kwargs}
    model = entry.fn(classes=classes, **kwargs)
    model.initialize(device=device)
    if pretrained:
        _load_pretrained(model, entry, pretrained, classes)
    model.default_cfg = dict(meta, name=name, num_classes=classes)
    if features_only:
        from .base import FeatureExtractor
        names = [n for n, _ in model.feature_stages()]
        taps = None if out_indices is None else [names[i] for i in out_indices]
        model = FeatureExtractor(model, taps)
        model.default_cfg = dict(meta, name=name)
    return model


_AUX_HEADS = ("aux1.", "aux2.", "AuxLogits.")
_AUX_CLASSIFIERS = ("aux1.fc2.", "aux2.fc2.", "AuxLogits.fc.")


def _load_pretrained(model, entry, pretrained, classes):
    """Load weights; a classifier of another size (and the aux heads' ones) keeps its fresh
    init, and auxiliary heads the model was built without are dropped from the checkpoint."""
    from . import convert

    path = _resolve_weights(entry, pretrained)
    state = convert.load_checkpoint(path)
    target = {n: tuple(p.shape) for n, p in model.collect_params().items()}
    state = {n: v for n, v in state.items()
             if not n.startswith(_AUX_HEADS) or any(t.startswith(n.rsplit(".", 1)[0])
                                                     for t in target)}
    heads = (entry.metadata["classifier"] + ".",) + _AUX_CLASSIFIERS
    mismatch = any(n.startswith(heads) and n in target and tuple(v.shape) != target[n]
                   for n, v in state.items())
    skip = "^(" + "|".join(h.replace(".", "\\.") for h in heads) + ")" if mismatch else None
    model.load_state_dict(convert.to_gluonkit(state, target, skip=skip),
                          allow_missing=skip is not None)


def _looks_like_path(pretrained) -> bool:
    text = os.fspath(pretrained)
    return (isinstance(pretrained, os.PathLike) or os.sep in text or text.startswith("~")
            or text.lower().endswith(_WEIGHT_SUFFIXES) or os.path.exists(text))


def _resolve_weights(entry, pretrained) -> str:
    if isinstance(pretrained, (str, os.PathLike)) and _looks_like_path(pretrained):
        path = os.path.expanduser(os.fspath(pretrained))
        if not os.path.exists(path):
            raise WeightsNotFoundError(
                f"pretrained weights file not found: {os.path.abspath(path)} (a `pretrained=` "
                "value that looks like a path is read as a file; check the path)")
        return path
    weights = entry.metadata["weights"]
    tag = "default" if pretrained is True else pretrained
    if tag not in weights:
        have = ", ".join(sorted(weights)) or "none"
        raise UnknownWeightsTagError(
            f"{entry.name} has no pretrained weights tagged {tag!r} (available: {have}); "
            "pass pretrained='path/to/file' to load a local checkpoint")
    from . import store
    return str(store.fetch(weights[tag]))
