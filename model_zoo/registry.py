"""``register_model`` / ``get_model`` / ``list_models``: one builder for every family.

A family file decorates small entry points with ``@register_model(**metadata)``; ``get_model``
builds, initializes, loads pretrained weights and resets the classifier in one place.
"""
from __future__ import annotations

import difflib
import fnmatch
import os
import warnings

import gluonkit as gk
from gluonkit.utils.errors import UserError

from .aliases import ALIASES, resolve
from .class_names import imagenet_classes, read_class_names

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
             "top1_source": None, "class_names": imagenet_classes()}


def register_model(**metadata):
    """Decorator: register ``fn(classes, **kwargs) -> model`` under its own name.

    Metadata keys: input_size, mean, std, crop_pct, num_classes, first_conv, classifier,
    num_params, top1 (published ImageNet top-1 of the reference weights), top1_source, weights
    (tag -> store.WeightFile), class_names (of the default weights; ImageNet's by default).
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
    """The entry of a zoo name, or of another library's name for it (``'resnet50'``)."""
    entry = _REGISTRY.get(name) or _REGISTRY.get(resolve(name) or "")
    if entry is None:
        close = difflib.get_close_matches(name, list(_REGISTRY) + list(ALIASES), n=8, cutoff=0.5)
        close = list(dict.fromkeys(ALIASES.get(c, c) for c in close))[:5]
        hint = f"; did you mean {', '.join(close)}?" if close else \
            "; see gluonkit.model_zoo.list_models()"
        raise UnknownModelError(f"unknown model {name!r}{hint}")
    return entry


def get_model(name: str, classes: int | None = None, pretrained=False, device=None,
              features_only: bool = False, out_indices=None, **kwargs):
    """Build a zoo model ready to run: every parameter initialized, weights loaded on top.

    ``name``: a zoo name, or torchvision's/timm's for it (``'resnet50'`` is ``resnet50_v1b``).
    ``pretrained``: False, True (the default weights), a tag of the entry's weights, or a path
    to a ``.safetensors``/``.pth``/``.params``/``.npz`` checkpoint (torchvision/timm names load
    directly, GluonCV's are mapped). A checkpoint's class count (and the class names it carries)
    is used unless ``classes`` asks otherwise; then the classifier is left freshly initialized,
    with a warning naming it. ``net.default_cfg['class_names']`` holds the names (None when
    unknown).

    Example::

        net = get_model('resnet50_v1b', pretrained=True, classes=10)
    """
    entry = model_entry(name)
    meta = entry.metadata
    device = device or gk.cpu()
    weights = meta["weights"].get("default" if pretrained is True else pretrained) \
        if isinstance(pretrained, (bool, str)) else None
    if weights is not None:  # e.g. torchvision's GoogLeNet expects transform_input=True
        kwargs = {**weights.metadata.get("model_kwargs", {}), **kwargs}
    state, names = None, meta["class_names"]
    if pretrained:
        path = _resolve_weights(entry, pretrained)
        state, file_names = _read_weights(path, entry)
        found = _classifier_size(state, meta["classifier"]) or meta["num_classes"]
        names = file_names or (names if found == meta["num_classes"] else None)
        if classes is None:
            classes = found
        elif classes != found:
            names = None
    classes = meta["num_classes"] if classes is None else classes
    if names is not None and len(names) != classes:
        names = None
    model = entry.fn(classes=classes, **kwargs)
    model.initialize(device=device)
    if state is not None:
        _load_state(model, entry, state, classes)
    model.default_cfg = dict(meta, name=entry.name, num_classes=classes, class_names=names)
    if features_only:
        from .base import FeatureExtractor
        stages = [n for n, _ in model.feature_stages()]
        taps = None if out_indices is None else [stages[i] for i in out_indices]
        model = FeatureExtractor(model, taps)
        model.default_cfg = dict(meta, name=entry.name)
    return model


_AUX_HEADS = ("aux1.", "aux2.", "AuxLogits.")
_AUX_CLASSIFIERS = ("aux1.fc2.", "aux2.fc2.", "AuxLogits.fc.")


def _read_weights(path: str, entry) -> tuple:
    """(state dict, class names the file carries or None)."""
    from . import convert
    return convert.load_checkpoint(path, model=entry.name), read_class_names(path)


def _classifier_size(state: dict, classifier: str) -> int | None:
    for key in (classifier + ".weight", "module." + classifier + ".weight"):
        if key in state and state[key].ndim == 2:
            return int(state[key].shape[0])
    return None


def _load_state(model, entry, state, classes):
    """Load weights; a classifier of another size (and the aux heads' ones) keeps its fresh
    init, with a warning naming those layers, and auxiliary heads the model was built without
    are dropped from the checkpoint."""
    from . import convert

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
    if mismatch:
        fresh = sorted({n.rsplit(".", 1)[0] for n in target if n.startswith(heads)})
        found = _classifier_size(state, entry.metadata["classifier"])
        warnings.warn(f"{entry.name}: built for {classes} classes, the checkpoint has {found}; "
                      f"left freshly initialized: {', '.join(fresh)} (train before use)",
                      UserWarning, stacklevel=3)


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
