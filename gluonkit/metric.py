"""Evaluation metrics with Gluon's ``update(labels, preds)`` / ``get()`` / ``reset()``."""
from __future__ import annotations

import numpy as onp

__all__ = ["EvalMetric", "Accuracy", "TopKAccuracy", "Loss", "CompositeEvalMetric"]


def _numpy(a):
    if a is None:
        return None
    return a.asnumpy() if hasattr(a, "asnumpy") else onp.asarray(a)


class EvalMetric:
    def __init__(self, name: str):
        self.name = name
        self.reset()

    def reset(self) -> None:
        self.sum_metric, self.num_inst = 0.0, 0

    def get(self) -> tuple[str, float]:
        value = self.sum_metric / self.num_inst if self.num_inst else float("nan")
        return self.name, value

    def __repr__(self):
        return f"{type(self).__name__}({self.name}={self.get()[1]:.4f})"


class Accuracy(EvalMetric):
    """Fraction of argmax predictions equal to the (integer or one-hot) labels."""

    def __init__(self, name: str = "accuracy"):
        super().__init__(name)

    def update(self, labels, preds) -> None:
        labels, preds = _numpy(labels), _numpy(preds)
        if labels.ndim == preds.ndim and labels.ndim > 1:
            labels = labels.argmax(axis=-1)
        if preds.ndim > labels.ndim:
            preds = preds.argmax(axis=-1)
        self.sum_metric += float((preds.astype("int64") == labels.astype("int64")).sum())
        self.num_inst += labels.size


class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the k highest scores."""

    def __init__(self, top_k: int = 5, name: str | None = None):
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        self.top_k = top_k
        super().__init__(name or f"top_{top_k}_accuracy")

    def update(self, labels, preds) -> None:
        labels, preds = _numpy(labels).astype("int64").reshape(-1), _numpy(preds)
        k = min(self.top_k, preds.shape[-1])
        top = onp.argpartition(-preds, k - 1, axis=-1)[:, :k]
        self.sum_metric += float((top == labels[:, None]).any(axis=1).sum())
        self.num_inst += labels.size


class Loss(EvalMetric):
    """Mean of per-sample loss values (labels are ignored)."""

    def __init__(self, name: str = "loss"):
        super().__init__(name)

    def update(self, _, preds) -> None:
        values = _numpy(preds)
        self.sum_metric += float(values.sum())
        self.num_inst += values.size


class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get`` returns (names, values)."""

    def __init__(self, metrics=None, name: str = "composite"):
        self.metrics = list(metrics or [])
        super().__init__(name)

    def add(self, metric: EvalMetric) -> None:
        self.metrics.append(metric)

    def reset(self) -> None:
        for m in getattr(self, "metrics", []):
            m.reset()

    def update(self, labels, preds) -> None:
        for m in self.metrics:
            m.update(labels, preds)

    def get(self):
        pairs = [m.get() for m in self.metrics]
        return [n for n, _ in pairs], [v for _, v in pairs]
