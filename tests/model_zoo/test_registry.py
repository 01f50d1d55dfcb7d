"""The registry: names, errors, metadata, pretrained loading from a path and from a local server."""
import functools
import http.server
import threading

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit.model_zoo import convert, get_model, list_models, model_entry, registry, store
from gluonkit.model_zoo.lenet import LeNet


@pytest.fixture
def scratch_registry(monkeypatch):
    """Entries registered inside a test disappear after it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_list_models_is_sorted_and_filters():
    names = list_models()
    assert names == sorted(names) and len(names) == len(set(names))
    assert list_models("resnest*") == ["resnest101", "resnest14", "resnest200", "resnest26",
                                       "resnest269", "resnest50"]
    assert list_models("cifar_*_v2") == ["cifar_resnet110_v2", "cifar_resnet20_v2",
                                         "cifar_resnet56_v2"]
    for depth in (18, 34, 50, 101, 152):
        for variant in ("v1", "v1b", "v1c", "v1d", "v1s", "v2"):
            assert f"resnet{depth}_{variant}" in names


def test_unknown_name_suggests_close_ones():
    with pytest.raises(KeyError, match="did you mean.*resnet50_v1b"):
        get_model("resnet50_vb1")
    with pytest.raises(KeyError, match="list_models"):
        get_model("zzzz")


def test_registering_a_name_twice_fails(scratch_registry):
    def lenet(classes=10):
        return LeNet(classes)

    with pytest.raises(ValueError, match="registered twice"):
        registry.register_model()(lenet)


def test_defaults_and_metadata():
    assert get_model("lenet").fc3.weight.shape == (10, 84)
    net = get_model("resnet18_v1b", classes=3)
    cfg = net.default_cfg
    assert cfg["name"] == "resnet18_v1b" and cfg["num_classes"] == 3
    assert cfg["input_size"] == (3, 224, 224) and cfg["crop_pct"] == 0.875
    assert cfg["top1"] == pytest.approx(69.758) and "torchvision" in cfg["top1_source"]
    assert model_entry("resnest200").metadata["input_size"] == (3, 320, 320)
    for name in list_models():
        meta = model_entry(name).metadata
        assert meta["top1"] is None or meta["top1_source"], name


def test_every_parameter_is_initialized_on_the_device():
    net = get_model("cifar_resnet20_v1", device=gk.cpu())
    for name, p in net.collect_params().items():
        assert p.data().device == gk.cpu(), name
        assert onp.isfinite(p.data().asnumpy()).all(), name


def test_pretrained_path_with_torch_names(tmp_path):
    gk.random.seed(0)
    source = get_model("resnet18_v1d", classes=5)
    path = tmp_path / "w.npz"
    onp.savez(path, **convert.to_torch_names(source.state_dict()))
    loaded = get_model("resnet18_v1d", classes=5, pretrained=str(path))
    x = gk.np.random.normal(size=(1, 3, 32, 32))
    onp.testing.assert_array_equal(loaded(x).asnumpy(), source(x).asnumpy())


def test_pretrained_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        get_model("lenet", pretrained=str(tmp_path / "missing.safetensors"))
    with pytest.raises(ValueError, match="no pretrained weights tagged 'default'.*none"):
        get_model("resnet50_v2", pretrained=True)


def test_pretrained_string_that_looks_like_a_file_is_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the README's snippet, with resnest50d.pth absent
    with pytest.raises(FileNotFoundError, match=r"file not found: .*resnest50d\.pth"):
        get_model("resnest14", pretrained="resnest50d.pth", classes=5)
    with pytest.raises(FileNotFoundError, match="file not found"):
        get_model("lenet", pretrained="~/no/such/weights")


def test_misspelled_block_argument_fails_listing_the_valid_ones():
    with pytest.raises(TypeError, match=r"'radx'.*did you mean 'radix'.*valid: last_gamma, "
                                        r"radix, cardinality"):
        get_model("resnest14", block_args={"radx": 4})
    with pytest.raises(TypeError, match=r"BasicBlock got unknown argument\(s\) 'radix'"):
        get_model("resnet18_v1b", block_args={"radix": 2})
    sizes = [sum(p.data().size for p in get_model("resnest14", classes=3, **kw)
                 .collect_params().values()) for kw in ({}, {"block_args": {"radix": 1}})]
    assert sizes[1] < sizes[0]  # a valid block argument reaches the blocks


@pytest.fixture
def weight_server(tmp_path):
    """Serves tmp_path/served over HTTP on 127.0.0.1."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_pretrained_true_downloads_verifies_and_applies_model_kwargs(
        scratch_registry, weight_server, tmp_path, monkeypatch):
    monkeypatch.setenv("GLUONKIT_HOME", str(tmp_path / "home"))
    root, url = weight_server
    gk.random.seed(1)
    trained = LeNet(classic=True)
    trained.initialize()
    convert.save_safetensors(root / "tiny.safetensors", trained.state_dict())
    wf = store.WeightFile("tiny.safetensors", store.sha256_of(root / "tiny.safetensors"),
                          urls=(f"{url}/tiny.safetensors",),
                          metadata={"model_kwargs": {"classic": True}})

    def tiny_lenet(classes=10, **kwargs):
        return LeNet(classes, **kwargs)

    registry.register_model(input_size=(1, 28, 28), num_classes=10, classifier="fc3",
                            weights={"default": wf})(tiny_lenet)
    net = get_model("tiny_lenet", pretrained=True)
    x = gk.np.random.normal(size=(2, 1, 28, 28))
    onp.testing.assert_array_equal(net(x).asnumpy(), trained(x).asnumpy())  # classic layers
    tuned = get_model("tiny_lenet", pretrained="default", classes=3)
    assert tuned(x).shape == (2, 3)
    onp.testing.assert_array_equal(tuned.conv1.weight.data().asnumpy(),
                                   trained.conv1.weight.data().asnumpy())


def test_features_only_unknown_tap():
    from gluonkit.model_zoo import FeatureExtractor

    with pytest.raises(ValueError, match="unknown feature taps.*layer1"):
        FeatureExtractor(get_model("cifar_resnet20_v1"), taps=["layer9"])
