"""``gluonkit.npx``: differentiable neural-network ops on ``ndarray``s.

Fused ops (convolution, pooling, batch norm, softmax-CE) live in their own files under
``core/ops``; the activations and small ops are wrapped here.
"""
from __future__ import annotations

from .autograd import is_training
from .ndarray import as_raw, ndarray
from .ops import elementwise as ew, linalg
from .ops.batchnorm import batch_norm, batch_norm_relu  # noqa: F401
from .ops.conv import conv2d  # noqa: F401
from .ops.nn_misc import Dropout, one_hot_raw
from .ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from .ops.softmax import log_softmax, softmax, softmax_cross_entropy  # noqa: F401


def relu(x) -> ndarray:
    return ew.Relu.apply(x)


def sigmoid(x) -> ndarray:
    return ew.Sigmoid.apply(x)


def tanh(x) -> ndarray:
    return ew.Tanh.apply(x)


def activation(x, act_type: str) -> ndarray:
    """relu / sigmoid / tanh / softrelu by name (Gluon's ``Activation``)."""
    acts = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}
    if act_type not in acts:
        raise ValueError(f"unknown activation {act_type!r}; choose one of {sorted(acts)}")
    return acts[act_type](x)


def linear(x, W, b=None) -> ndarray:
    """x W^T + b, W of shape (out, in) as in PyTorch and Gluon's Dense."""
    return linalg.Linear.apply(x, W) if b is None else linalg.Linear.apply(x, W, b)


def dropout(x, p: float = 0.5, training: bool | None = None) -> ndarray:
    """Inverted dropout; ``training=None`` follows ``autograd.is_training()``."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    training = is_training() if training is None else training
    if not training or p == 0.0:
        return x
    return Dropout.apply(x, p=p)


def one_hot(indices, depth: int, dtype: str = "float32") -> ndarray:
    """One-hot rows for integer indices (no gradient)."""
    return ndarray._wrap(one_hot_raw(as_raw(indices), depth, dtype))


def flatten(x) -> ndarray:
    """(N, ...) -> (N, prod(...))."""
    return x.reshape(x.shape[0], -1)
