"""The model surface every zoo model shares: features, head, classifier reset, feature taps."""
from __future__ import annotations

import abc

from gluonkit import nn, npx
from gluonkit.utils.errors import UserError

__all__ = ["ZooModel", "FeatureExtractor", "ModelArgumentError"]


class ModelArgumentError(UserError, TypeError):
    """A model-family argument the model does not take (a typo, say); the message lists the
    valid ones."""


class ZooModel(nn.HybridBlock, metaclass=abc.ABCMeta):
    """Base of the zoo's classifiers.

    Subclasses set ``classifier_name`` (the attribute holding the final Dense layer), implement
    ``feature_stages()`` (ordered ``(tap name, callable)`` pairs whose composition is
    ``forward_features``) and may override ``forward_head``.
    """

    classifier_name = "fc"
    drop_rate = 0.0

    def forward_features(self, x):
        """Everything before global pooling."""
        for _, stage in self.feature_stages():
            x = stage(x)
        return x

    def forward_head(self, x, pre_logits: bool = False):
        """Global average pooling, dropout (if any), then the classifier."""
        x = npx.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1)
        if self.drop_rate:
            x = npx.dropout(x, self.drop_rate)
        return x if pre_logits else getattr(self, self.classifier_name)(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))

    @abc.abstractmethod
    def feature_stages(self) -> list:
        """Ordered (tap name, callable) pairs whose composition is forward_features."""

    @property
    def num_features(self) -> int:
        return getattr(self, self.classifier_name).weight.shape[1]

    def reset_classifier(self, classes: int) -> None:
        """Replace the classifier with a freshly initialized one for ``classes`` outputs."""
        old = getattr(self, self.classifier_name)
        device = old.weight.data().device if old.weight.is_initialized else None
        new = nn.Dense(classes, in_units=old.weight.shape[1])
        new.initialize(device=device)
        setattr(self, self.classifier_name, new)


class FeatureExtractor(nn.HybridBlock):
    """Runs a model's feature stages and returns the maps at the chosen taps, in order."""

    def __init__(self, model: ZooModel, taps=None):
        super().__init__()
        self.model = model
        names = [n for n, _ in model.feature_stages()]
        self.taps = list(taps) if taps is not None else names
        unknown = [t for t in self.taps if t not in names]
        if unknown:
            raise ValueError(f"unknown feature taps {unknown}; this model has {names}")

    def forward(self, x):
        out = []
        for name, stage in self.model.feature_stages():
            x = stage(x)
            if name in self.taps:
                out.append(x)
            if len(out) == len(self.taps):
                break
        return out
