"""Batch normalization with Gluon's constructor and names (gamma, beta, running_mean/var),
optionally fused with the ReLU (and residual add) that follows it in conv-BN-ReLU blocks."""
from __future__ import annotations

from gluonkit import autograd, npx

from .block import HybridBlock
from .parameter import Parameter

__all__ = ["BatchNorm"]


class BatchNorm(HybridBlock):
    """Batch statistics inside ``autograd.record()`` (training), running statistics outside.

    ``momentum`` is Gluon's: running = momentum * running + (1 - momentum) * batch, so Gluon's
    0.9 is PyTorch's 0.1. ``center``/``scale`` off freeze beta at 0 / gamma at 1.

    ``act='relu'`` returns ``relu(bn(x) + residual)`` from one fused op (timm's BatchNormAct2d),
    forward and backward in one pass per array; the parameters and their names are unchanged,
    so checkpoints load either way. ``residual`` (same shape as x) is the shortcut of a
    residual block.

    Example::

        self.bn3 = nn.BatchNorm(in_channels=256, act="relu")
        return self.bn3(self.conv3(out), identity)      # relu(bn3(conv3(out)) + identity)
    """

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 in_channels: int = 0, gamma_initializer="ones", beta_initializer="zeros",
                 act: str | None = None):
        super().__init__()
        if axis != 1:
            raise ValueError(f"BatchNorm normalizes axis 1 (channels of NCHW); got axis={axis}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"BatchNorm momentum must be in [0, 1), got {momentum}")
        if act not in (None, "relu"):
            raise ValueError(f"BatchNorm act must be None or 'relu', got {act!r}")
        self._momentum, self._eps = momentum, epsilon
        self.act = act
        self._use_global_stats = use_global_stats
        c = (in_channels,)
        self.gamma = Parameter(c, init=gamma_initializer, grad_req="write" if scale else "null")
        self.beta = Parameter(c, init=beta_initializer, grad_req="write" if center else "null")
        self.running_mean = Parameter(c, init="zeros", grad_req="null")
        self.running_var = Parameter(c, init="ones", grad_req="null")

    def forward(self, x, residual=None):
        if not self.gamma.is_initialized:
            for p in (self.gamma, self.beta, self.running_mean, self.running_var):
                p._finish_deferred_init((x.shape[1],))
        training = autograd.is_training() and not self._use_global_stats
        args = (x, self.gamma.data(), self.beta.data(), self.running_mean.data(),
                self.running_var.data())
        kw = dict(training=training, momentum=round(1.0 - self._momentum, 12), eps=self._eps)
        if self.act == "relu":
            return npx.batch_norm_relu(*args, **kw, residual=residual)
        return self.activate(npx.batch_norm(*args, **kw), residual)

    def activate(self, y, residual=None):
        """``act(y + residual)`` unfused: for a subclass with its own normalisation op
        (gluonkit.dist.SyncBatchNorm)."""
        if residual is not None:
            y = y + residual
        return npx.relu(y) if self.act == "relu" else y

    def extra_repr(self):
        s = f"{self.gamma.shape[0] or None}"
        if self._momentum != 0.9:
            s += f", momentum={self._momentum}"
        if self._eps != 1e-5:
            s += f", epsilon={self._eps}"
        if self._use_global_stats:
            s += ", use_global_stats=True"
        if self.act is not None:
            s += f", act={self.act!r}"
        return s
