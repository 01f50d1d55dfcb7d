"""GluonCV parameter names -> gluonkit's, for the families whose layout GluonCV shares.

- ``resnet*_v1b/c/d/s``: GluonCV's ResNetV1b names are already gluonkit's (``conv1``, ``bn1``,
  ``layer1.0.conv1``, ``layer1.0.downsample.1``, ``fc``).
- ``resnest*``: the same, but the split attention's first batch norm is ``conv2.bn`` there and
  ``conv2.bn0`` here.
- ``cifar_resnet*_v1/v2``: GluonCV stacks everything in ``features`` (stem, one entry per stage,
  pooling) with ``output`` as the classifier; v1 blocks keep their layers in ``body``.

A file saved with ``export`` carries ``arg:``/``aux:`` prefixes; they are stripped first.
"""
from __future__ import annotations

import re

__all__ = ["from_gluoncv"]


def _cifar(name: str, preact: bool, stages: int) -> str:
    stem = {"0": "bn_data", "1": "conv1"} if preact else {"0": "conv1", "1": "bn1"}
    m = re.fullmatch(r"features\.(\d+)\.(.+)", name)
    if m is None:
        return re.sub(r"^output\.", "fc.", name)
    index, rest = int(m.group(1)), m.group(2)
    if str(index) in stem:
        return f"{stem[str(index)]}.{rest}"
    if preact and index == 2 + stages:
        return f"bn_final.{rest}"
    if not 2 <= index < 2 + stages:
        return name  # reported as unexpected by the caller
    stage = f"layer{index - 1}."
    if preact:  # CIFARBasicBlockV2: bn1, conv1, bn2, conv2 and a bare 1x1 downsample conv
        return stage + re.sub(r"^(\d+)\.downsample\.", r"\1.downsample.0.", rest)
    body = {"0": "conv1", "1": "bn1", "3": "conv2", "4": "bn2"}  # CIFARBasicBlockV1.body
    return stage + re.sub(r"^(\d+)\.body\.(\d+)\.",
                          lambda b: f"{b.group(1)}.{body.get(b.group(2), 'body.' + b.group(2))}.",
                          rest)


def from_gluoncv(state: dict, model: str) -> dict:
    """Rename a GluonCV state dict for the zoo model ``model`` (shapes are checked later).

    Example::

        state = from_gluoncv(load_ndarray_list("resnet50_v1d.params"), "resnet50_v1d")
    """
    state = {re.sub(r"^(arg|aux):", "", k): v for k, v in state.items()}
    m = re.fullmatch(r"cifar_resnet\d+_(v[12])", model)
    if m:
        stages = len({k.split(".")[1] for k in state if re.match(r"features\.\d+\.\d+\.", k)})
        return {_cifar(k, m.group(1) == "v2", stages): v for k, v in state.items()}
    if model.startswith("resnest"):
        return {re.sub(r"\.conv2\.bn\.", ".conv2.bn0.", k): v for k, v in state.items()}
    return state
