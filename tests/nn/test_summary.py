"""net.summary(x): totals equal the registry's published counts; MACs equal torchvision's."""
import json
import os

import numpy as onp
import pytest

from gluonkit import nn, np
from gluonkit.model_zoo import get_model, list_models, model_entry


GLUONCV = os.path.join(os.path.dirname(__file__), "..", "model_zoo", "fixtures", "gluoncv",
                       "layouts.json")
# torchvision's `Weights.meta['_ops']` (GMACs at the weights' input size), rounded to 3 places.
TORCHVISION_GMACS = {"resnet18_v1b": 1.814, "resnet50_v1b": 4.089, "googlenet": 1.498,
                     "inceptionv3": 5.713}


def smallest_input(name):
    c, h, _ = model_entry(name).metadata["input_size"]
    return np.zeros((1, c) + ((h,) * 2 if h <= 32 else (75,) * 2 if h == 299 else (32, 32)))


@pytest.mark.slow  # every model, the largest 110M parameters: ~70 s of CPU in all
@pytest.mark.parametrize("name", list_models())
def test_summary_trainable_equals_the_registry_count(name):
    net = get_model(name)
    out = net.summary(smallest_input(name), print_fn=None)
    assert out["trainable"] == model_entry(name).metadata["num_params"]
    assert out["total"] == out["trainable"] + out["bn_statistics"] + out["frozen"]
    assert out["total"] == sum(p.data().size for p in net.collect_params().values())


def test_resnet50_counts_bn_statistics_apart():
    out = get_model("resnet50").summary(np.zeros((1, 3, 32, 32)), print_fn=None)
    assert (out["trainable"], out["total"]) == (25_557_032, 25_610_152)


@pytest.mark.parametrize("name", sorted(json.load(open(GLUONCV))))
def test_total_with_statistics_equals_gluoncv_s_count(name):
    with open(GLUONCV) as f:  # GluonCV's parameter arrays include the running statistics
        gluoncv = sum(int(onp.prod(s)) for s in json.load(f)[name].values())
    assert get_model(name).summary(np.zeros((1, 3, 32, 32)), print_fn=None)["total"] == gluoncv


@pytest.mark.parametrize("name", sorted(TORCHVISION_GMACS))
def test_macs_at_the_default_size_equal_torchvision_s(name):
    c, h, w = model_entry(name).metadata["input_size"]
    out = get_model(name).summary(np.zeros((1, c, h, w)), print_fn=None)
    assert round(out["macs"] / 1e9, 3) == TORCHVISION_GMACS[name]


class Tiny(nn.Block):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(8, 3, padding=1, groups=2, in_channels=4)
        self.bn = nn.BatchNorm(in_channels=8)
        self.fc = nn.Dense(5, in_units=8)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).mean(axis=(2, 3)))


def test_rows_shapes_and_macs_by_hand():
    net = Tiny()
    net.initialize()
    lines = []
    out = net.summary(np.zeros((2, 4, 6, 6)), print_fn=lines.append)
    rows = {r[0]: r for r in out["rows"]}
    assert rows["conv"][2] == "(2, 8, 6, 6)" and rows["fc"][2] == "(2, 5)"
    # conv: 2*8*6*6 outputs, each 4/2 * 3*3 multiply-adds; fc: 2*5 outputs of 8 inputs
    assert out["macs"] == 2 * 8 * 36 * 2 * 9 + 2 * 5 * 8
    assert (out["trainable"], out["bn_statistics"]) == (8 * 2 * 9 + 8 + 16 + 45, 16)
    assert "Trainable parameters: 213" in lines[0]
    assert "forward" not in net.conv.__dict__  # the wrappers are gone
    onp.testing.assert_array_equal(net(np.ones((1, 4, 6, 6))).asnumpy().shape, (1, 5))
