"""``DistributedLossScaler``: float16 loss scaling whose overflow decision all ranks share."""
from __future__ import annotations

from gluonkit.optim.loss_scaler import DynamicLossScaler

__all__ = ["DistributedLossScaler"]


class DistributedLossScaler(DynamicLossScaler):
    """A step is skipped on every rank when any rank's gradients overflowed.

    Without the agreement one rank would skip its update (and the gradient allreduce inside it)
    while the others wait in that allreduce, and the scales would drift apart.
    """

    def __init__(self, comm, **kwargs):
        super().__init__(**kwargs)
        self.comm = comm

    def has_overflow(self, params) -> bool:  # an instance method here: it needs the ranks
        return self.comm.any(DynamicLossScaler.has_overflow(params))
