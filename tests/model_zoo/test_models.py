"""Every registered model: shapes, gradients, parameter counts, reference state dicts, heads."""
import json
import os

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, np
from gluonkit.model_zoo import convert, get_model, list_models, model_entry
from gluonkit.model_zoo.resnest import ResNestBottleneck
from gluonkit.model_zoo.resnet import ResNet

REFERENCE = os.path.join(os.path.dirname(__file__), "reference")

# gluonkit name -> (kwargs, reference file)
REFERENCE_FILES = {
    "resnet18_v1b": ({}, "tv_resnet18"), "resnet34_v1b": ({}, "tv_resnet34"),
    "resnet50_v1b": ({}, "tv_resnet50"), "resnet101_v1b": ({}, "tv_resnet101"),
    "resnet152_v1b": ({}, "tv_resnet152"), "resnet50_v1": ({}, "tv_resnet50"),
    "resnet50_v1c": ({}, "timm_resnet50c"), "resnet50_v1d": ({}, "timm_resnet50d"),
    "resnet50_v1s": ({}, "timm_resnet50s"), "resnet101_v1d": ({}, "timm_resnet101d"),
    "googlenet": ({}, "tv_googlenet"), "googlenet+aux": ({"aux_logits": True}, "tv_googlenet_aux"),
    "inceptionv3": ({}, "tv_inception_v3"),
    "inceptionv3+aux": ({"aux_logits": True}, "tv_inception_v3_aux"),
    "resnest14": ({}, "timm_resnest14d"), "resnest26": ({}, "timm_resnest26d"),
    "resnest50": ({}, "timm_resnest50d"), "resnest101": ({}, "timm_resnest101e"),
    "resnest200": ({}, "timm_resnest200e"), "resnest269": ({}, "timm_resnest269e"),
}

PUBLISHED_PARAMS = {
    "lenet": 61706, "resnet18_v1b": 11689512, "resnet34_v1b": 21797672,
    "resnet50_v1b": 25557032, "resnet101_v1b": 44549160, "resnet152_v1b": 60192808,
    "resnet50_v1c": 25576264, "resnet50_v1d": 25576264, "resnet50_v1s": 25680808,
    "googlenet": 6624904, "inceptionv3": 23834568, "resnest14": 10611688,
    "resnest26": 17069448, "resnest50": 27483240, "resnest101": 48275016,
    "resnest200": 70201544, "resnest269": 110929480,
}


def n_trainable(model) -> int:
    return sum(p.data().size for p in model.collect_params().values() if p.grad_req != "null")


def torch_names(model) -> dict:
    out = {}
    for name, p in model.collect_params().items():
        if name.endswith(".gamma"):
            name = name[:-len("gamma")] + "weight"
        elif name.endswith(".beta"):
            name = name[:-len("beta")] + "bias"
        out[name] = tuple(p.shape)
    return out


def small_input(name):
    c, h, _ = model_entry(name).metadata["input_size"]
    size = {1: 28, 3: 32}[c] if h <= 32 else (75 if name.startswith("inception") else 64)
    return np.random.normal(size=(2, c, size, size))


@pytest.mark.parametrize("name", list_models())
def test_forward_shape_and_finite(name):
    gk.random.seed(0)
    model = get_model(name, classes=7)
    out = model(small_input(name))
    assert out.shape == (2, 7)
    assert onp.isfinite(out.asnumpy()).all()


# A representative subset (one per block type and stem) keeps CI within its budget.
GRAD_MODELS = ["lenet", "cifar_resnet20_v1", "cifar_resnet20_v2", "resnet18_v1b",
               "resnet50_v1d", "resnet50_v2", "resnest14", "googlenet"]


@pytest.mark.parametrize("name", GRAD_MODELS)
def test_every_parameter_gets_a_gradient(name):
    gk.random.seed(0)
    model = get_model(name, classes=5)
    with autograd.record():
        loss = model(small_input(name)).sum()
    loss.backward()
    for pname, p in model.collect_params().items():
        if p.grad_req == "null":
            continue
        g = p.grad().asnumpy()
        assert onp.isfinite(g).all(), pname
        assert onp.abs(g).sum() > 0, f"{pname} got no gradient"


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS))
def test_parameter_count_equals_published(name):
    classes = 10 if name == "lenet" else 1000
    assert n_trainable(get_model(name, classes=classes)) == PUBLISHED_PARAMS[name]
    assert model_entry(name).metadata.get("num_params") in (None, PUBLISHED_PARAMS[name])


@pytest.mark.parametrize("key", sorted(REFERENCE_FILES))
def test_state_dict_matches_reference(key):
    kwargs, ref = REFERENCE_FILES[key]
    with open(os.path.join(REFERENCE, ref + ".json")) as f:
        reference = json.load(f)
    expected = {n: tuple(s) for n, s, _ in reference["state_dict"]
                if not n.endswith("num_batches_tracked")}
    model = get_model(key.split("+")[0], **kwargs)
    got = torch_names(model)
    assert list(got) == list(expected), "names or order differ"
    assert got == expected
    assert n_trainable(model) == reference["params"]


@pytest.mark.parametrize("name", list_models())
def test_metadata_matches_the_model(name):
    model = get_model(name)
    meta = model.default_cfg
    params = model.collect_params()
    assert meta["classifier"] + ".weight" in params
    assert meta["first_conv"] + ".weight" in params
    assert meta["num_params"] == n_trainable(model)
    assert {"input_size", "mean", "std", "crop_pct", "top1", "top1_source"} <= set(meta)


@pytest.mark.parametrize("name", ["lenet", "resnet18_v1d", "resnest14", "googlenet",
                                  "inceptionv3", "cifar_resnet20_v2"])
def test_reset_classifier(name):
    model = get_model(name, classes=4)
    model.reset_classifier(9)
    assert model(small_input(name)).shape == (2, 9)
    classifier = model.default_cfg["classifier"]
    assert model.collect_params()[classifier + ".weight"].shape[0] == 9


def test_features_only_returns_each_tap():
    model = get_model("resnet18_v1b", features_only=True)
    feats = model(np.random.normal(size=(1, 3, 64, 64)))
    assert [f.shape for f in feats] == [(1, 64, 16, 16), (1, 64, 16, 16), (1, 128, 8, 8),
                                        (1, 256, 4, 4), (1, 512, 2, 2)]
    picked = get_model("resnet18_v1b", features_only=True, out_indices=[2, 4])
    assert [f.shape[1] for f in picked(np.random.normal(size=(1, 3, 64, 64)))] == [128, 512]


def test_aux_heads_in_training_mode():
    gk.random.seed(0)
    model = get_model("googlenet", aux_logits=True, classes=6)
    with autograd.record():
        out, aux2, aux1 = model(np.random.normal(size=(2, 3, 64, 64)))
    assert out.shape == aux1.shape == aux2.shape == (2, 6)
    assert model(np.random.normal(size=(2, 3, 64, 64))).shape == (2, 6)


def test_zero_gamma_zeroes_the_last_bn_of_each_block():
    model = get_model("resnet50_v1d", last_gamma=True)
    params = model.collect_params()
    assert all((params[n].data().asnumpy() == 0).all() for n in params if n.endswith("bn3.gamma"))
    assert (params["layer1.0.bn1.gamma"].data().asnumpy() == 1).all()


# Small timm networks with random weights and batch-norm statistics, written by
# reference/make_forward_fixtures.py: the layout details names cannot show (padding, ceil modes,
# where the stride sits, the split-attention order, the average-pool shortcut) must match.
FIXTURES = sorted(f for f in os.listdir(REFERENCE) if f.startswith("forward_"))


def build_from_fixture(path, device):
    with onp.load(path) as f:
        data = {k: f[k] for k in f.files}
    config = json.loads(str(data["config"]))
    if "model" in config:  # a registered model at full size
        model = get_model(config.pop("model"), device=device, **config)
    else:
        block = config.pop("block")
        model = ResNet(ResNestBottleneck if block == "resnest" else block, **config)
        model.initialize(device=device)
    state = {k[len("state."):]: v for k, v in data.items() if k.startswith("state.")}
    target = {n: tuple(p.shape) for n, p in model.collect_params().items()}
    model.load_state_dict(convert.to_gluonkit(state, target))
    return model, data


@pytest.mark.parametrize("fixture", FIXTURES)
def test_forward_matches_timm(fixture, device):
    model, data = build_from_fixture(os.path.join(REFERENCE, fixture), device)
    tol = 1e-4 if device.kind == "cpu" else 5e-3  # GPU GEMMs may run in TF32
    x = np.array(data["x"], device=device)
    onp.testing.assert_allclose(model(x).asnumpy(), data["logits_eval"], rtol=tol, atol=tol)
    with autograd.record():
        y_train = model(x)
    onp.testing.assert_allclose(y_train.asnumpy(), data["logits_train"], rtol=tol, atol=tol)
    params = model.collect_params()
    for key in (k for k in data if k.startswith("running.")):
        onp.testing.assert_allclose(params[key[len("running."):]].data().asnumpy(), data[key],
                                    rtol=tol, atol=tol / 10, err_msg=key)


FULL_DIR = os.environ.get("GLUONKIT_FULL_FIXTURES")


@pytest.mark.slow
@pytest.mark.skipif(not FULL_DIR, reason="set GLUONKIT_FULL_FIXTURES (make_forward_fixtures.py)")
@pytest.mark.parametrize("name", ["resnet18_v1b", "resnet50_v1b", "resnet50_v1d", "resnet50_v1s",
                                  "resnest50", "resnest101", "googlenet", "inceptionv3"])
def test_full_size_forward_matches_reference(name):
    model, data = build_from_fixture(os.path.join(FULL_DIR, name + ".npz"), gk.cpu())
    y, ref = model(np.array(data["x"])).asnumpy(), data["logits_eval"]
    # random batch-norm statistics blow activations up with depth: compare relative to the peak
    assert onp.abs(y - ref).max() <= 1e-4 * onp.abs(ref).max()
