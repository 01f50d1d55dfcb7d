"""A fine-tuning checkpoint carries its class count and names; get_model restores them."""
import os
import warnings

import cv2
import numpy as onp
import pytest

from gluonkit.data import MNIST
from gluonkit.model_zoo import get_model
from gluonkit.train import fit, load_config

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "configs")
NAMES = ["five", "seven", "three"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("folder")
    ds = MNIST(train=False)
    for name, digit in zip(NAMES, (5, 7, 3)):
        os.makedirs(root / name)
        for i, img in enumerate(ds._images[ds._labels == digit][:6]):
            cv2.imwrite(str(root / name / f"{i}.png"), img[:, :, 0])
    out = tmp_path_factory.mktemp("run")
    cfg = load_config(os.path.join(CONFIGS, "finetune.yaml"), [
        "model.name=lenet", "model.pretrained=true", f"data.root={root}", "data.num_workers=0",
        "train.progress=false", f"train.output_dir={out}", "train.epochs=1",
        "train.batch_size=6", "eval.batch_size=6"])
    fit(cfg, log=lambda *_: None)
    return str(out / "last.safetensors")


def test_checkpoint_restores_class_count_and_names(checkpoint):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is left fresh: no warning
        net = get_model("lenet", pretrained=checkpoint)
    assert net.default_cfg["num_classes"] == 3
    assert net.default_cfg["class_names"] == tuple(NAMES)
    assert net.fc3.weight.shape == (3, 84)


def test_other_classes_warn_and_name_the_fresh_layer(checkpoint):
    with pytest.warns(UserWarning, match="checkpoint has 3.*freshly initialized: fc3"):
        net = get_model("lenet", pretrained=checkpoint, classes=4)
    assert net.default_cfg["class_names"] is None
    # everything but the classifier came from the checkpoint
    same = get_model("lenet", pretrained=checkpoint)
    onp.testing.assert_array_equal(net.conv1.weight.data().asnumpy(),
                                   same.conv1.weight.data().asnumpy())


def test_zoo_weights_carry_their_names():
    assert get_model("lenet", pretrained=True).default_cfg["class_names"] == \
        tuple("0123456789")
    names = get_model("resnet18_v1b").default_cfg["class_names"]
    assert len(names) == 1000 and names[0] == "tench" and names[999] == "toilet tissue"
    assert get_model("resnet18_v1b", classes=10).default_cfg["class_names"] is None
