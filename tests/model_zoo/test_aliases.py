"""torchvision/timm names resolve to the equivalent zoo entry, or are suggested first."""
import json
import os

import pytest

from gluonkit.model_zoo import get_model, model_entry
from gluonkit.model_zoo.aliases import ALIASES
from gluonkit.model_zoo.registry import UnknownModelError

REFERENCE = os.path.join(os.path.dirname(__file__), "reference")


@pytest.mark.parametrize("alias, name, ref", [
    ("resnet50", "resnet50_v1b", "tv_resnet50"), ("resnet18", "resnet18_v1b", "tv_resnet18"),
    ("resnet50d", "resnet50_v1d", "timm_resnet50d"), ("resnest50d.in1k", "resnest50",
                                                      "timm_resnest50d"),
    ("inception_v3", "inceptionv3", "tv_inception_v3")])
def test_alias_builds_the_model_with_that_library_s_layout(alias, name, ref):
    net = get_model(alias)
    assert net.default_cfg["name"] == name
    with open(os.path.join(REFERENCE, ref + ".json")) as f:
        params = json.load(f)["params"]
    assert sum(p.data().size for p in net.collect_params().values()
               if p.grad_req != "null") == params


def test_every_alias_points_at_a_registered_model():
    for alias, target in ALIASES.items():
        assert model_entry(alias).name == target


def test_near_miss_suggests_the_equivalent_first():
    with pytest.raises(UnknownModelError, match=r"did you mean resnet50_v1b,"):
        get_model("resnet50x")
    with pytest.raises(UnknownModelError, match=r"did you mean resnest50,"):
        get_model("resnest50dd")
