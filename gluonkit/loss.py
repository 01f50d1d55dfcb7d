"""Losses as blocks returning one value per sample (Gluon's convention); ``.mean()`` to reduce.

Every loss takes ``forward(pred, label, sample_weight=None)``; ``sample_weight`` broadcasts
against the elementwise loss before it is averaged over all axes but the batch axis (0).
"""
from __future__ import annotations

from gluonkit import ndarray, np, npx

from .nn.block import Block

__all__ = ["Loss", "SoftmaxCrossEntropyLoss", "DistillationLoss", "L2Loss", "L1Loss"]


def _as_array(label, like):
    return label if isinstance(label, ndarray) else np.array(label, device=like.device)


class Loss(Block):
    """Base: ``weight`` scales the loss; ``_per_sample`` weights and averages to shape (N,)."""

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self._weight = weight

    def _per_sample(self, loss, sample_weight=None):
        if sample_weight is not None:
            loss = loss * _as_array(sample_weight, loss)
        if self._weight != 1.0:
            loss = loss * self._weight
        return loss.reshape(loss.shape[0], -1).mean(axis=1) if loss.ndim > 1 else loss

    def extra_repr(self) -> str:
        return "" if self._weight == 1.0 else f"weight={self._weight}"


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of logits against integer labels or (``sparse_label=False``) distributions.

    ``axis`` is the class axis: (N, C, H, W) logits with axis=1 take (N, H, W) labels and give
    the per-image mean. ``label_smoothing`` eps targets (1 - eps) * onehot + eps / C.

    Example::

        loss = SoftmaxCrossEntropyLoss()(logits, labels)   # shape (N,)
    """

    def __init__(self, axis: int = -1, sparse_label: bool = True, label_smoothing: float = 0.0,
                 weight: float = 1.0):
        super().__init__(weight)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self._axis, self._sparse_label, self._smoothing = axis, sparse_label, label_smoothing

    @property
    def sparse_label(self) -> bool:
        return self._sparse_label

    def forward(self, pred, label, sample_weight=None):
        label = _as_array(label, pred)
        axis = self._axis % pred.ndim
        if axis != pred.ndim - 1:  # move the class axis last, keeping the others in order
            order = [a for a in range(pred.ndim) if a != axis] + [axis]
            pred = pred.transpose(order)
            if not self._sparse_label:
                label = label.transpose(order)
        lead, c = pred.shape[:-1], pred.shape[-1]
        if label.size != (pred.size // c if self._sparse_label else pred.size):
            kind = "class indices" if self._sparse_label else "probabilities"
            raise ValueError(f"labels {tuple(label.shape)} do not fit predictions "
                             f"{tuple(pred.shape)} (class axis last) as {kind}")
        flat_label = label.reshape(-1) if self._sparse_label else label.reshape(-1, c)
        loss = npx.softmax_cross_entropy(pred.reshape(-1, c), flat_label, self._smoothing, "none")
        return self._per_sample(loss.reshape(lead), sample_weight)

    def extra_repr(self) -> str:
        parts = [] if self._axis == -1 else [f"axis={self._axis}"]
        if not self._sparse_label:
            parts.append("sparse_label=False")
        if self._smoothing:
            parts.append(f"label_smoothing={self._smoothing}")
        if self._weight != 1.0:
            parts.append(super().extra_repr())
        return ", ".join(parts)


class DistillationLoss(Loss):
    """Hinton et al. 2015: hard_weight * CE(student, label) + (1 - hard_weight) * T^2 * KL.

    KL(softmax(teacher / T) || softmax(student / T)); the T^2 keeps the soft term's gradient
    scale independent of T. No gradient flows into the teacher's logits.
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

    def forward(self, pred, label, teacher_pred, sample_weight=None):
        t = self._t
        log_p = npx.log_softmax(teacher_pred.detach() / t, axis=-1)
        log_q = npx.log_softmax(pred / t, axis=-1)
        kl = (np.exp(log_p) * (log_p - log_q)).sum(axis=-1)
        loss = kl * ((1 - self._hard_weight) * t * t)
        if self._hard_weight:
            loss = loss + self._hard_weight * self._hard(pred, label)
        return self._per_sample(loss, sample_weight)

    def extra_repr(self) -> str:
        return f"temperature={self._t}, hard_weight={self._hard_weight}"


class L2Loss(Loss):
    """0.5 * weight * (pred - label)^2, averaged over all but the batch axis (Gluon's L2Loss)."""

    def forward(self, pred, label, sample_weight=None):
        d = pred - _as_array(label, pred).reshape(pred.shape)
        return self._per_sample((d * d) * 0.5, sample_weight)


class L1Loss(Loss):
    """weight * |pred - label|, averaged over all but the batch axis."""

    def forward(self, pred, label, sample_weight=None):
        d = pred - _as_array(label, pred).reshape(pred.shape)
        return self._per_sample(np.abs(d), sample_weight)
