"""DistributedLossScaler: one rank's overflow skips the step on every rank."""
import numpy as onp

from gluonkit import autograd
from gluonkit.dist import DistributedLossScaler
from gluonkit.nn import Parameter
from gluonkit.optim import Trainer

from .fake_comm import FakeComm


def _trainer():
    p = Parameter((2,), init="zeros")
    p.initialize()
    p.set_data(onp.ones(2, "float32"))
    with autograd.record():
        loss = p.data().sum()
    loss.backward()  # a fresh, finite gradient on this rank
    return p, Trainer([p], "sgd", {"learning_rate": 1.0})


def test_overflow_on_another_rank_skips_the_step_here():
    p, trainer = _trainer()
    scaler = DistributedLossScaler(FakeComm(2, [[1]]), init_scale=8.0)
    assert scaler.step(trainer, 1) is False
    onp.testing.assert_allclose(p.data().asnumpy(), [1.0, 1.0])
    assert scaler.loss_scale == 4.0


def test_no_overflow_anywhere_updates():
    p, trainer = _trainer()
    scaler = DistributedLossScaler(FakeComm(2, [[0]]), init_scale=8.0)
    assert scaler.step(trainer, 1) is True
    assert p.data().asnumpy()[0] < 1.0
