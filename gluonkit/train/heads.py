"""The training loss of a model with auxiliary heads: the main head's plus each aux head's."""
from __future__ import annotations

from .config import Config, ConfigError

__all__ = ["HeadLoss"]


class HeadLoss:
    """The loss of the main head plus, for models built with auxiliary heads (GoogLeNet,
    Inception v3 with ``aux_logits=True``), each auxiliary head's loss times its weight
    (``loss.aux_weight``, else the model's published one)."""

    def __init__(self, cfg: Config, net, loss_fn):
        self.loss_fn = loss_fn
        self.sparse_label = loss_fn.sparse_label
        self.weight = cfg.loss.aux_weight
        if self.weight is not None and not getattr(net, "aux_logits", False):
            raise ConfigError(f"loss.aux_weight is set but {cfg.model.name} has no auxiliary "
                              "heads: build it with model.kwargs: {aux_logits: true}, or drop "
                              "loss.aux_weight")
        if self.weight is None:
            self.weight = net.default_cfg.get("aux_loss_weight")
        self.model = cfg.model.name

    def split(self, out):
        """(main logits, [auxiliary logits])."""
        if not isinstance(out, (tuple, list)):
            return out, []
        if self.weight is None:
            raise ConfigError(f"{self.model} returns auxiliary outputs but has no published "
                              "auxiliary loss weight: set loss.aux_weight")
        return out[0], list(out[1:])

    def aux(self, aux_outputs, target):
        total = None
        for a in aux_outputs:
            term = self.loss_fn(a, target) * self.weight
            total = term if total is None else total + term
        return total
