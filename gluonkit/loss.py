"""Losses as blocks returning one value per sample (Gluon's convention); ``.mean()`` to reduce."""
from __future__ import annotations

from gluonkit import np, npx

from .nn.block import Block

__all__ = ["SoftmaxCrossEntropyLoss", "DistillationLoss", "L2Loss", "L1Loss"]


def _as_array(label, like):
    return label if hasattr(label, "_data") else np.array(label, device=like.device)


class SoftmaxCrossEntropyLoss(Block):
    """Cross-entropy of logits against integer labels or (``sparse_label=False``) distributions.

    ``label_smoothing`` eps turns a one-hot target into (1 - eps) * onehot + eps / C.
    """

    def __init__(self, axis: int = -1, sparse_label: bool = True, label_smoothing: float = 0.0):
        super().__init__()
        self._axis, self._sparse_label, self._smoothing = axis, sparse_label, label_smoothing

    @property
    def sparse_label(self) -> bool:
        return self._sparse_label

    def forward(self, pred, label):
        label = _as_array(label, pred)
        if self._axis not in (-1, pred.ndim - 1):
            pred = pred.swapaxes(self._axis, -1)
            if not self._sparse_label:
                label = label.swapaxes(self._axis, -1)
        lead = pred.shape[:-1]
        pred = pred.reshape(-1, pred.shape[-1])
        if self._sparse_label:
            label = label.reshape(-1)
        else:
            label = label.reshape(-1, pred.shape[-1])
            if label.shape != pred.shape:
                raise ValueError(f"soft labels {label.shape} must match predictions {pred.shape}")
        loss = npx.softmax_cross_entropy(pred, label, self._smoothing, "none")
        return loss.reshape(lead)


class DistillationLoss(Block):
    """Hinton et al.: T^2 * KL(softmax(teacher/T) || softmax(student/T)) blended with the hard loss.

    loss = hard_weight * CE(student, label) + (1 - hard_weight) * T^2 * KL.
    """

    def __init__(self, temperature: float = 1.0, hard_weight: float = 0.5,
                 label_smoothing: float = 0.0, sparse_label: bool = True):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        if not 0.0 <= hard_weight <= 1.0:
            raise ValueError(f"hard_weight must be in [0, 1], got {hard_weight}")
        self._t, self._hard_weight = temperature, hard_weight
        self._hard = SoftmaxCrossEntropyLoss(sparse_label=sparse_label,
                                             label_smoothing=label_smoothing)

    def forward(self, pred, label, teacher_pred):
        t = self._t
        soft_target = npx.softmax(teacher_pred.detach() / t, axis=-1)
        log_student = npx.log_softmax(pred / t, axis=-1)
        # KL(p || q) = sum p log p - sum p log q; the first term is constant for the student.
        entropy = (soft_target * np.log(np.maximum(soft_target, 1e-12))).sum(axis=-1)
        kl = entropy - (soft_target * log_student).sum(axis=-1)
        soft = kl * (t * t)
        if self._hard_weight == 0.0:
            return soft
        return self._hard_weight * self._hard(pred, label) + (1 - self._hard_weight) * soft


class L2Loss(Block):
    """0.5 * (pred - label)^2 averaged over all but the batch axis (Gluon's L2Loss)."""

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self._weight = weight

    def forward(self, pred, label):
        d = pred - _as_array(label, pred).reshape(pred.shape)
        loss = (d * d) * (0.5 * self._weight)
        return loss.reshape(loss.shape[0], -1).mean(axis=1) if loss.ndim > 1 else loss


class L1Loss(Block):
    """|pred - label| averaged over all but the batch axis."""

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self._weight = weight

    def forward(self, pred, label):
        loss = np.abs(pred - _as_array(label, pred).reshape(pred.shape)) * self._weight
        return loss.reshape(loss.shape[0], -1).mean(axis=1) if loss.ndim > 1 else loss
