"""Pretrained loading through the registry: the shipped LeNet, head replacement per family."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit.data import MNIST, DataLoader, presets
from gluonkit.metric import Accuracy
from gluonkit.model_zoo import get_model, model_entry


def test_shipped_lenet_resolves_offline_and_keeps_its_accuracy(monkeypatch, tmp_path):
    monkeypatch.setenv("GLUONKIT_OFFLINE", "1")
    monkeypatch.setenv("GLUONKIT_HOME", str(tmp_path))
    net = get_model("lenet", pretrained=True)
    meta = model_entry("lenet").metadata["weights"]["default"].metadata
    acc = Accuracy()
    for x, y in DataLoader(MNIST(train=False).transform_first(presets.mnist()), 500):
        acc.update(y, net(gk.np.array(x)))
    assert acc.get()[1] == pytest.approx(meta["test_top1"], abs=1e-9)


FAMILIES = [("lenet", {}, 28, 1), ("cifar_resnet20_v1", {}, 32, 3), ("resnet18_v1d", {}, 64, 3),
            ("resnest14", {}, 64, 3), ("googlenet", {"aux_logits": True}, 64, 3),
            ("inceptionv3", {"aux_logits": True}, 75, 3)]


@pytest.mark.parametrize("name,kwargs,size,channels", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_new_head_for_every_family(name, kwargs, size, channels, tmp_path):
    gk.random.seed(0)
    source = get_model(name, **kwargs)
    path = str(tmp_path / "w.safetensors")
    source.save_parameters(path)
    classifier = source.default_cfg["classifier"]
    for build in (kwargs, {}):  # with the aux heads, and without (they are dropped)
        tuned = get_model(name, classes=7, pretrained=path, **build)
        params, original = tuned.collect_params(), source.collect_params()
        assert params[classifier + ".weight"].shape[0] == 7
        for pname, p in params.items():
            if pname.startswith((classifier + ".", "aux1.fc2", "aux2.fc2", "AuxLogits.fc")):
                continue
            onp.testing.assert_array_equal(p.data().asnumpy(), original[pname].data().asnumpy())
        out = tuned(gk.np.random.normal(size=(1, channels, size, size)))
        assert out.shape == (1, 7)


def test_unknown_weight_tag_lists_available():
    with pytest.raises(ValueError, match="no pretrained weights tagged 'imagenet22k'.*default"):
        get_model("lenet", pretrained="imagenet22k")
