"""Dynamic loss scaling: skipped steps on overflow, halving, doubling, and unscaled updates."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn
from gluonkit.optim import DynamicLossScaler, Trainer


def setup():
    p = nn.Parameter((3,))
    p.set_data(onp.ones(3))
    return p, Trainer({"p": p}, "sgd", {"learning_rate": 0.5})


def backward(scaler, p, g):
    with autograd.record():
        loss = scaler.scale((p.data() * gk.np.array(g)).sum())
    loss.backward()


def test_good_step_is_unscaled():
    p, trainer = setup()
    scaler = DynamicLossScaler(init_scale=1024.0)
    backward(scaler, p, [2.0, 4.0, -2.0])
    assert scaler.step(trainer, batch_size=2)
    onp.testing.assert_allclose(p.data().asnumpy(), 1 - 0.5 * onp.array([1.0, 2.0, -1.0]))


@pytest.mark.parametrize("bad", [onp.inf, onp.nan])
def test_overflow_skips_the_step_and_halves_the_scale(bad):
    p, trainer = setup()
    scaler = DynamicLossScaler(init_scale=8.0, scale_window=2)
    backward(scaler, p, [1.0, bad, 1.0])
    assert not scaler.step(trainer, 1)
    assert (p.data().asnumpy() == 1).all() and scaler.loss_scale == 4.0
    assert trainer.optimizer.num_update == 0


def test_scale_doubles_after_window_and_respects_minimum():
    scaler = DynamicLossScaler(init_scale=4.0, scale_window=3, min_scale=2.0)
    for _ in range(3):
        scaler.update(False)
    assert scaler.loss_scale == 8.0
    for _ in range(5):
        scaler.update(True)
    assert scaler.loss_scale == 2.0
    state = scaler.state_dict()
    other = DynamicLossScaler()
    other.load_state_dict(state)
    assert other.loss_scale == 2.0 and other.good_steps == 0
    with pytest.raises(ValueError, match="scale_factor"):
        DynamicLossScaler(scale_factor=1.0)
