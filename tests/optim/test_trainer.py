"""Trainer: learning-rate control, the parameters it updates, and exact resume from saved state."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn
from gluonkit.loss import SoftmaxCrossEntropyLoss
from gluonkit.optim import SGD, Trainer
from gluonkit.optim.lr_scheduler import MultiStepScheduler


def net_and_data(seed=0):
    gk.random.seed(seed)
    net = nn.Sequential(nn.Dense(8, activation="relu", in_units=5), nn.BatchNorm(in_channels=8),
                        nn.Dense(3, in_units=8))
    net.initialize()
    x = gk.np.random.normal(size=(16, 5))
    y = gk.np.array(onp.arange(16) % 3)
    return net, x, y


def train(net, trainer, x, y, steps):
    loss_fn = SoftmaxCrossEntropyLoss()
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])


@pytest.mark.parametrize("optimizer, params", [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}),
    ("adam", {"learning_rate": 0.01, "wd": 1e-3}),
    ("nag", {"learning_rate": 0.05, "multi_precision": True}),
])
def test_resumed_run_continues_exactly(tmp_path, optimizer, params):
    sched = MultiStepScheduler([2, 4], 0.5, base_lr=params["learning_rate"], warmup_steps=1)
    net, x, y = net_and_data()
    trainer = Trainer(net.collect_params(), optimizer, {**params, "lr_scheduler": sched})
    train(net, trainer, x, y, 3)
    net.save_parameters(str(tmp_path / "net.safetensors"))
    trainer.save_states(str(tmp_path / "trainer.safetensors"))
    train(net, trainer, x, y, 3)
    straight = net.state_dict()

    resumed, _, _ = net_and_data(seed=1)
    resumed.load_parameters(str(tmp_path / "net.safetensors"))
    trainer2 = Trainer(resumed.collect_params(), optimizer, {**params, "lr_scheduler": sched})
    trainer2.load_states(str(tmp_path / "trainer.safetensors"))
    assert trainer2.optimizer.num_update == 3 and trainer2.learning_rate == sched(3)
    train(resumed, trainer2, x, y, 3)
    for name, value in resumed.state_dict().items():
        onp.testing.assert_array_equal(value, straight[name], err_msg=name)


def test_fresh_trainer_without_state_diverges_from_resumed_one(tmp_path):
    """The resume test above could pass vacuously if state did not matter; it does."""
    net, x, y = net_and_data()
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    train(net, trainer, x, y, 2)
    net.save_parameters(str(tmp_path / "net.safetensors"))
    train(net, trainer, x, y, 1)
    other, _, _ = net_and_data()
    other.load_parameters(str(tmp_path / "net.safetensors"))
    train(other, Trainer(other.collect_params(), "sgd",
                         {"learning_rate": 0.1, "momentum": 0.9}), x, y, 1)
    assert not onp.array_equal(other[0].weight.data().asnumpy(), net[0].weight.data().asnumpy())


def test_state_arrays_and_meta_for_checkpoints():
    net, x, y = net_and_data()
    trainer = Trainer(net.collect_params(), "adam", {"learning_rate": 0.01, "beta1": 0.8})
    train(net, trainer, x, y, 2)
    arrays, meta = trainer.state_arrays(), trainer.state_meta()
    assert set(arrays) == {f"{n}/{s}" for n in ("0.weight", "0.bias", "1.gamma", "1.beta",
                                                "2.weight", "2.bias") for s in ("mean", "var")}
    assert meta["num_update"] == 2 and meta["counters"]["0.weight"] == {"t": 2}
    assert meta["hyperparameters"]["beta1"] == 0.8 and meta["optimizer"] == "Adam"
    sgd = Trainer(net.collect_params(), "sgd")
    with pytest.raises(ValueError, match="saved state is for Adam"):
        sgd.load_state_arrays(arrays, meta)


def test_step_rescales_by_batch_size_and_skips_buffers():
    p, frozen = nn.Parameter((2,)), nn.Parameter((2,), grad_req="null")
    p.set_data(onp.zeros(2))
    frozen.set_data(onp.zeros(2))
    trainer = Trainer({"p": p, "frozen": frozen}, "sgd", {"learning_rate": 1.0})
    assert trainer.params == [p]
    with autograd.record():
        loss = (p.data() * gk.np.array([8.0, -4.0])).sum()
    loss.backward()
    trainer.step(4)
    onp.testing.assert_array_equal(p.data().asnumpy(), [-2.0, 1.0])
    with pytest.raises(ValueError, match="no parameters with a gradient"):
        Trainer({"frozen": frozen}, "sgd")


def test_learning_rate_control_and_scheduler_per_update():
    p = nn.Parameter((1,))
    p.set_data(onp.zeros(1))
    trainer = Trainer({"p": p}, SGD(learning_rate=0.5))
    assert trainer.learning_rate == 0.5
    trainer.set_learning_rate(0.25)
    assert trainer.optimizer.lr == 0.25
    sched = MultiStepScheduler([1, 2], 0.1, base_lr=1.0)
    trainer = Trainer({"p": p}, "sgd", {"lr_scheduler": sched})
    moves = []
    for _ in range(3):
        before = p.data().asnumpy()[0]
        with autograd.record():
            loss = p.data().sum()
        loss.backward()
        trainer.step(1)
        moves.append(before - p.data().asnumpy()[0])
    onp.testing.assert_allclose(moves, [1.0, 0.1, 0.01], rtol=1e-6)
    with pytest.raises(RuntimeError, match="lr_scheduler"):
        trainer.set_learning_rate(0.1)


def test_load_states_rejects_other_files(tmp_path):
    net, _, _ = net_and_data()
    net.save_parameters(str(tmp_path / "net.safetensors"))
    trainer = Trainer(net.collect_params(), "sgd")
    with pytest.raises(ValueError, match="no Trainer state"):
        trainer.load_states(str(tmp_path / "net.safetensors"))


def test_base_rescale_grad_multiplies_with_batch_scaling_and_lists_of_params():
    p = nn.Parameter((1,))
    p.set_data(onp.zeros(1))
    trainer = Trainer([p], "sgd", {"learning_rate": 1.0, "rescale_grad": 2.0})
    for _ in range(2):  # the batch scaling does not compound across steps
        with autograd.record():
            loss = (p.data() * 8.0).sum()
        loss.backward()
        trainer.step(4)
    onp.testing.assert_array_equal(p.data().asnumpy(), [-8.0])
    assert list(trainer.state_meta()["counters"]) == ["0"]


def test_parameters_left_out_of_a_step_are_not_updated_again():
    import gluonkit as gk
    from gluonkit import autograd, nn
    from gluonkit.optim import Trainer

    a, b = nn.Dense(1, in_units=2, use_bias=False), nn.Dense(1, in_units=2, use_bias=False)
    for layer in (a, b):
        layer.initialize()
    params = {"a": a.weight, "b": b.weight}
    trainer = Trainer(params, "sgd", {"learning_rate": 1.0})
    x = gk.np.ones((1, 2))
    with autograd.record():
        (a(x) + b(x)).sum().backward()
    trainer.step(1)
    before = b.weight.data().asnumpy().copy()
    with autograd.record():
        a(x).sum().backward()  # b is not in this graph: its old gradient must not be reapplied
    trainer.step(1)
    onp.testing.assert_array_equal(b.weight.data().asnumpy(), before)


def test_gradient_buffers_are_never_shared_between_parameters():
    import gluonkit as gk
    from gluonkit import autograd

    x = gk.np.ones((3,)).attach_grad()
    y = gk.np.ones((3,)).attach_grad()
    with autograd.record():
        (x + y).sum().backward()  # Add hands both inputs the same gradient array
    x.grad._data[...] = 5  # .grad views the buffer; y's must not change
    assert (y.grad.asnumpy() == 1).all()
