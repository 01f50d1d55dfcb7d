"""Block machinery: registration, dotted names, collect_params, initialization, grads, repr."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn


class Bottleneck(nn.Block):
    def __init__(self, cin):
        super().__init__()
        self.conv1 = nn.Conv2D(4, 3, padding=1, use_bias=False, in_channels=cin)
        self.bn1 = nn.BatchNorm(in_channels=4)
        self.scale = nn.Parameter((4,), init=nn.init.Constant(2.0))

    def forward(self, x):
        return self.bn1(self.conv1(x)) * self.scale.data().reshape(1, 4, 1, 1)


class Net(nn.Block):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Sequential(Bottleneck(3), Bottleneck(4))
        self.fc = nn.Dense(5)

    def forward(self, x):
        return self.fc(self.layer1(x))


def test_names_are_dotted_attribute_paths():
    names = list(Net().collect_params())
    assert names == [
        "layer1.0.scale", "layer1.0.conv1.weight", "layer1.0.bn1.gamma", "layer1.0.bn1.beta",
        "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var",
        "layer1.1.scale", "layer1.1.conv1.weight", "layer1.1.bn1.gamma", "layer1.1.bn1.beta",
        "layer1.1.bn1.running_mean", "layer1.1.bn1.running_var", "fc.weight", "fc.bias"]


def test_collect_params_select_is_a_full_regex_and_setattr_applies_to_all():
    net = Net()
    no_decay = net.collect_params(".*gamma|.*beta|.*bias")
    assert list(no_decay) == ["layer1.0.bn1.gamma", "layer1.0.bn1.beta", "layer1.1.bn1.gamma",
                              "layer1.1.bn1.beta", "fc.bias"]
    no_decay.setattr("wd_mult", 0)
    wd = {n: p.wd_mult for n, p in net.collect_params().items()}
    assert wd["fc.bias"] == 0 and wd["layer1.0.bn1.beta"] == 0 and wd["fc.weight"] == 1
    assert list(net.collect_params("fc")) == []  # fullmatch, not search


def test_shared_parameter_is_listed_once_and_reassignment_unregisters():
    net = nn.Sequential(nn.Dense(3, in_units=3), nn.Dense(3, in_units=3))
    net[1].weight = net[0].weight
    assert list(net.collect_params()) == ["0.weight", "0.bias", "1.bias"]
    net[1].bias = None
    assert list(net.collect_params()) == ["0.weight", "0.bias"]


def test_sequential_indexing_and_children():
    a, b, c = nn.Dense(2), nn.Activation("relu"), nn.Dense(3)
    seq = nn.Sequential(a).add(b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    with pytest.raises(TypeError, match="Sequential.add takes Blocks"):
        seq.add(lambda x: x)


def test_default_initialization_gluon_rules():
    gk.random.seed(0)
    net = Net()
    net.initialize(nn.init.Normal(0.5))
    p = net.collect_params()
    assert (p["layer1.0.bn1.gamma"].data().asnumpy() == 1).all()
    assert (p["layer1.0.bn1.beta"].data().asnumpy() == 0).all()
    assert (p["layer1.0.bn1.running_var"].data().asnumpy() == 1).all()
    assert (p["layer1.0.bn1.running_mean"].data().asnumpy() == 0).all()
    assert (p["layer1.0.scale"].data().asnumpy() == 2).all()  # own init wins
    w = p["layer1.0.conv1.weight"].data().asnumpy()
    assert 0.4 < w.std() < 0.6  # the block-level Normal(0.5)
    assert net(gk.np.ones((2, 3, 4, 4))).shape == (2, 5)


def test_unnamed_parameter_in_custom_block_follows_name_rules():
    class Affine(nn.Block):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter((3, 2))
            self.bias = nn.Parameter((3,))

        def forward(self, x):
            return gk.npx.linear(x, self.weight.data(), self.bias.data())

    net = Affine().initialize()
    assert (net.bias.data().asnumpy() == 0).all()
    bound = onp.sqrt(3 / 2.5)  # Xavier uniform, magnitude 3, avg fan (2 + 3) / 2
    w = net.weight.data().asnumpy()
    assert onp.abs(w).max() <= bound and onp.abs(w).max() > 0


def test_deferred_initialization_infers_shapes_at_first_forward():
    net = nn.Sequential(nn.Conv2D(6, 3, groups=2), nn.BatchNorm(), nn.Flatten(), nn.Dense(4))
    net.initialize()
    assert net[0].weight.shape == (6, 0, 3, 3)
    with pytest.raises(nn.DeferredInitializationError, match="first forward"):
        net[0].weight.data()
    y = net(gk.np.ones((2, 4, 5, 5)))
    assert y.shape == (2, 4)
    assert net[0].weight.shape == (6, 2, 3, 3)
    assert net[1].gamma.shape == (6,) and net[1].running_var.shape == (6,)
    assert net[3].weight.shape == (4, 6 * 3 * 3)


def test_forward_before_initialize_fails_clearly():
    with pytest.raises(nn.DeferredInitializationError, match="initialize"):
        nn.Dense(3)(gk.np.ones((2, 4)))
    with pytest.raises(RuntimeError, match="initialize"):
        nn.Dense(3, in_units=4).weight.data()


def test_block_without_forward_and_without_super_init():
    class NoForward(nn.Block):
        pass

    class NoSuper(nn.Block):
        def __init__(self):
            self.fc = nn.Dense(2)

    with pytest.raises(TypeError, match="forward"):
        NoForward()(1)
    with pytest.raises(RuntimeError, match="super"):
        NoSuper()


def test_grad_req_write_add_null_and_zero_grad():
    dense = nn.Dense(2, in_units=3).initialize()
    x = gk.np.array(onp.arange(6, dtype="float32").reshape(2, 3))

    def run():
        with autograd.record():
            y = dense(x).sum()
        y.backward()

    run()
    run()
    expected = x.asnumpy().sum(axis=0)
    onp.testing.assert_allclose(dense.weight.grad().asnumpy(), onp.stack([expected] * 2))
    dense.weight.grad_req = "add"
    run()
    run()
    onp.testing.assert_allclose(dense.weight.grad().asnumpy(), onp.stack([2 * expected] * 2))
    dense.zero_grad()
    assert (dense.weight.grad().asnumpy() == 0).all()
    dense.bias.grad_req = "null"
    run()
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        dense.bias.grad()
    with pytest.raises(ValueError, match="grad_req"):
        dense.weight.grad_req = "sometimes"


def test_set_data_checks_shape_and_keeps_dtype():
    dense = nn.Dense(2, in_units=3).initialize()
    dense.weight.set_data(onp.ones((2, 3), dtype="float64"))
    assert dense.weight.data().dtype == onp.float32
    assert (dense.weight.data().asnumpy() == 1).all()
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        dense.weight.set_data(onp.ones((3, 2)))


def test_cast_keeps_running_statistics_in_float32():
    net = nn.Sequential(nn.Conv2D(2, 1, in_channels=2), nn.BatchNorm(in_channels=2))
    net.initialize().cast("float16")
    p = net.collect_params()
    assert p["0.weight"].data().dtype == onp.float16 and p["1.gamma"].data().dtype == onp.float16
    assert p["1.running_mean"].data().dtype == onp.float32
    assert p["0.weight"].grad().dtype == onp.float16


def test_to_device_cpu_roundtrip(device):
    net = nn.Dense(2, in_units=3).initialize()
    net.to_device(device)
    assert net.weight.data().device == device and net.weight.grad().device == device
    y = net(gk.np.ones((1, 3), device=device))
    assert y.device == device


def test_repr_is_nested_and_shows_non_default_arguments():
    net = nn.Sequential(nn.Conv2D(8, 3, strides=2, padding=1, use_bias=False, in_channels=3),
                        nn.BatchNorm(momentum=0.8), nn.Activation("relu"),
                        nn.MaxPool2D(3, 2, 1), nn.AvgPool2D(), nn.Dense(10))
    text = repr(net)
    assert text == (
        "Sequential(\n"
        "  (0): Conv2D(3 -> 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)\n"
        "  (1): BatchNorm(None, momentum=0.8)\n"
        "  (2): Activation(relu)\n"
        "  (3): MaxPool2D(pool_size=(3, 3), strides=(2, 2), padding=(1, 1))\n"
        "  (4): AvgPool2D(pool_size=(2, 2))\n"
        "  (5): Dense(None -> 10)\n"
        ")")
