"""Parameter files: bit-exact round trips, buffers included, one error naming every mismatch."""
import numpy as onp
import pytest
from safetensors.numpy import load_file, save_file

import gluonkit as gk
from gluonkit import autograd, nn


def small_net():
    return nn.Sequential(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                         nn.GlobalAvgPool2D(), nn.Dense(3))


def trained(seed=0):
    gk.random.seed(seed)
    net = small_net()
    net.initialize()
    x = gk.np.random.normal(size=(4, 2, 5, 5))
    with autograd.record():  # moves the running statistics away from 0 / 1
        net(x)
    return net, x


def test_save_load_round_trips_outputs_bit_for_bit(tmp_path):
    net, x = trained()
    path = str(tmp_path / "net.safetensors")
    net.save_parameters(path)
    other = small_net()
    other.load_parameters(path)  # no initialize: loading fixes every shape
    onp.testing.assert_array_equal(net(x).asnumpy(), other(x).asnumpy())
    stored = load_file(path)
    assert sorted(stored) == sorted(net.state_dict())
    assert "1.running_mean" in stored and abs(stored["1.running_mean"]).sum() > 0


def test_state_dict_round_trip_and_numpy_arrays():
    net, x = trained()
    state = net.state_dict()
    assert all(isinstance(v, onp.ndarray) for v in state.values())
    other, _ = trained(seed=1)
    other.load_state_dict({k: v.T.copy().T for k, v in state.items()})  # non-contiguous
    onp.testing.assert_array_equal(net(x).asnumpy(), other(x).asnumpy())


def test_load_error_lists_missing_unexpected_and_wrong_shapes(tmp_path):
    net, _ = trained()
    state = net.state_dict()
    del state["0.bias"], state["1.gamma"]
    state["4.weight"] = onp.zeros((7, 4), "float32")
    state["head.weight"] = onp.zeros(2, "float32")
    path = str(tmp_path / "bad.safetensors")
    save_file(state, path)
    with pytest.raises(nn.StateDictError) as err:
        small_net().load_parameters(path)
    text = str(err.value)
    assert "missing: 0.bias, 1.gamma" in text
    assert "unexpected: head.weight" in text
    assert "4.weight: file (7, 4) vs model (3, 0)" in text


def test_allow_missing_and_ignore_extra(tmp_path):
    net, x = trained()
    state = net.state_dict()
    state.pop("4.bias")
    state["extra"] = onp.ones(3, "float32")
    path = str(tmp_path / "partial.safetensors")
    save_file(state, path)
    other = small_net()
    other.initialize()
    with pytest.raises(nn.StateDictError, match="missing: 4.bias"):
        other.load_parameters(path, ignore_extra=True)
    other.load_parameters(path, allow_missing=True, ignore_extra=True)
    onp.testing.assert_array_equal(other[0].weight.data().asnumpy(), net[0].weight.data().asnumpy())


def test_only_safetensors_files_are_read(tmp_path):
    with pytest.raises(ValueError, match="safetensors"):
        small_net().load_parameters(str(tmp_path / "model.pth"))


def test_load_parameters_onto_a_device(tmp_path, device):
    net, x = trained()
    path = str(tmp_path / "net.safetensors")
    net.save_parameters(path)
    other = small_net()
    other.load_parameters(path, device=device)
    assert other[0].weight.data().device == device
    onp.testing.assert_allclose(other(x.to_device(device)).asnumpy(), net(x).asnumpy(),
                                rtol=1e-5, atol=1e-6)
