"""Other libraries' names for zoo entries: torchvision's, timm's and GluonCV's spellings.

``resolve('resnet50')`` is ``'resnet50_v1b'`` (torchvision's ResNet-50 is ResNet-B); timm's
pretrained tags (``'resnest50d.in1k'``) resolve by their architecture name.
"""
from __future__ import annotations

__all__ = ["ALIASES", "resolve"]

ALIASES = {
    # torchvision
    **{f"resnet{d}": f"resnet{d}_v1b" for d in (18, 34, 50, 101, 152)},
    "inception_v3": "inceptionv3",
    # timm
    **{f"resnet{d}d": f"resnet{d}_v1d" for d in (18, 34, 50, 101, 152)},
    **{f"resnet{d}{v}": f"resnet{d}_v1{v}" for d in (50, 101, 152) for v in "cs"},
    "resnest14d": "resnest14", "resnest26d": "resnest26", "resnest50d": "resnest50",
    "resnest101e": "resnest101", "resnest200e": "resnest200", "resnest269e": "resnest269",
    "tv_resnet50": "resnet50_v1b", "tv_resnet101": "resnet101_v1b",
    "tv_resnet152": "resnet152_v1b", "tv_resnet34": "resnet34_v1b",
    # GluonCV
    "inceptionv1": "googlenet",
}


def resolve(name: str) -> str | None:
    """The zoo name another library's ``name`` stands for, or None."""
    return ALIASES.get(name) or ALIASES.get(name.split(".", 1)[0])
