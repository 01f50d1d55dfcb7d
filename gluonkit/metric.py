"""Evaluation metrics with Gluon's ``update(labels, preds)`` / ``get()`` / ``reset()``.

``labels`` and ``preds`` may be gluonkit, NumPy or CuPy arrays, or lists of them (one per
device or batch part), as in Gluon.

    acc = Accuracy()
    acc.update(labels, net(x))
    name, value = acc.get()
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as onp

__all__ = ["EvalMetric", "Accuracy", "TopKAccuracy", "Loss", "CompositeEvalMetric"]


def _numpy(a) -> onp.ndarray:
    if hasattr(a, "asnumpy"):
        return a.asnumpy()
    return a.get() if hasattr(a, "get") else onp.asarray(a)


def _pairs(labels, preds):
    """Match list inputs element by element; a single array pair is a list of one."""
    if isinstance(preds, (list, tuple)):
        labels = labels if isinstance(labels, (list, tuple)) else [labels] * len(preds)
        if len(labels) != len(preds):
            raise ValueError(f"got {len(labels)} label arrays for {len(preds)} predictions")
        return list(zip(labels, preds))
    return [(labels, preds)]


class EvalMetric(ABC):
    """A running average: ``sum_metric / num_inst``."""

    def __init__(self, name: str):
        self.name = name
        self.reset()

    def reset(self) -> None:
        self.sum_metric, self.num_inst = 0.0, 0

    def update(self, labels, preds) -> None:
        """Add a batch (or a list of batches)."""
        for label, pred in _pairs(labels, preds):
            self._update(None if label is None else _numpy(label), _numpy(pred))

    @abstractmethod
    def _update(self, label, pred) -> None:
        """Add one batch of NumPy arrays to ``sum_metric`` and ``num_inst``."""

    def get(self) -> tuple:
        """(name, value); the value is NaN before any update."""
        value = self.sum_metric / self.num_inst if self.num_inst else float("nan")
        return self.name, value

    def get_name_value(self) -> list:
        names, values = self.get()
        if isinstance(names, str):
            return [(names, values)]
        return list(zip(names, values))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}={self.get()[1]:.4f})"


class Accuracy(EvalMetric):
    """Fraction of argmax predictions equal to the labels (class indices or one-hot/soft rows).

    ``axis`` is the class axis of the predictions.
    """

    def __init__(self, axis: int = -1, name: str = "accuracy"):
        self.axis = axis
        super().__init__(name)

    def _update(self, label, pred):
        if pred.ndim > 1 and pred.ndim == label.ndim and pred.shape == label.shape:
            label = label.argmax(axis=self.axis)  # one-hot or mixed (soft) labels
        if pred.ndim > label.ndim:
            pred = pred.argmax(axis=self.axis)
        if label.size != pred.size:
            raise ValueError(f"labels {label.shape} do not match predictions {pred.shape}")
        label = label.reshape(pred.shape).astype("int64")
        self.sum_metric += float((pred.astype("int64") == label).sum())
        self.num_inst += pred.size


class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the k highest scores (ties: any of them)."""

    def __init__(self, top_k: int = 5, name: str | None = None):
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        self.top_k = top_k
        super().__init__(name or f"top_{top_k}_accuracy")

    def _update(self, label, pred):
        if label.ndim == pred.ndim:
            label = label.argmax(axis=-1)
        label = label.astype("int64").reshape(-1)
        pred = pred.reshape(len(label), -1)
        k = min(self.top_k, pred.shape[-1])
        top = onp.argpartition(-pred, k - 1, axis=-1)[:, :k]
        self.sum_metric += float((top == label[:, None]).any(axis=1).sum())
        self.num_inst += label.size


class Loss(EvalMetric):
    """Mean of per-sample loss values given as ``preds`` (labels are ignored)."""

    def __init__(self, name: str = "loss"):
        super().__init__(name)

    def _update(self, label, pred):
        self.sum_metric += float(pred.sum())
        self.num_inst += pred.size


class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get`` returns ([names], [values])."""

    def __init__(self, metrics=None, name: str = "composite"):
        self.metrics = list(metrics or [])
        super().__init__(name)

    def add(self, metric: EvalMetric) -> None:
        self.metrics.append(metric)

    def reset(self) -> None:
        for m in self.metrics:
            m.reset()

    def update(self, labels, preds) -> None:
        for m in self.metrics:
            m.update(labels, preds)

    def _update(self, label, pred):
        for m in self.metrics:
            m._update(label, pred)

    def get(self) -> tuple:
        pairs = [m.get() for m in self.metrics]
        return [n for n, _ in pairs], [v for _, v in pairs]

    def __repr__(self) -> str:
        return f"CompositeEvalMetric({', '.join(repr(m) for m in self.metrics)})"
