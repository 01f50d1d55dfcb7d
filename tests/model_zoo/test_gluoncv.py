"""GluonCV ``.params`` files load without MXNet: a bounds-checked reader and the name mapping.

The fixtures were written by GluonCV 0.10.5 on MXNet 1.9.1 (fixtures/gluoncv/
make_gluoncv_fixtures.py): two CIFAR ResNets with seeded weights, GluonCV's logits for a fixed
input, and GluonCV's parameter names and shapes for the ImageNet layouts.
"""
import json
import os
import runpy
import struct
import sys

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd
from gluonkit.model_zoo import convert, get_model
from gluonkit.model_zoo.class_names import CIFAR10_CLASSES, read_class_names
from gluonkit.model_zoo.gluoncv_names import from_gluoncv
from gluonkit.model_zoo.mxnet_ndarray import ParamsFormatError, load_ndarray_list

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "gluoncv")
SCRIPTS = os.path.join(os.path.dirname(__file__), "..", "..", "scripts")
LOGITS = onp.load(os.path.join(FIXTURES, "logits.npz"))


def logits(net, x):
    with autograd.predict_mode():
        return net(gk.np.array(x)).asnumpy()


@pytest.mark.parametrize("name", ["cifar_resnet20_v1", "cifar_resnet20_v2"])
def test_gluoncv_file_reproduces_gluoncv_logits(name):
    net = get_model(name, pretrained=os.path.join(FIXTURES, name + ".params"))
    out = logits(net, LOGITS["input"])
    onp.testing.assert_allclose(out, LOGITS[name], rtol=0, atol=1e-4)
    # and not by accident: the freshly initialized model is far from GluonCV's output
    assert onp.abs(logits(get_model(name), LOGITS["input"]) - LOGITS[name]).max() > 1.0


def test_convert_weights_writes_safetensors_with_the_same_logits(tmp_path, monkeypatch):
    src = os.path.join(FIXTURES, "cifar_resnet20_v1.params")
    out = str(tmp_path / "c20.safetensors")
    monkeypatch.setattr(sys, "argv", ["convert_weights.py", src, out,
                                      "--model", "cifar_resnet20_v1"])
    with pytest.raises(SystemExit) as e:
        runpy.run_path(os.path.join(SCRIPTS, "convert_weights.py"), run_name="__main__")
    assert e.value.code == 0
    assert read_class_names(out) == CIFAR10_CLASSES
    net = get_model("cifar_resnet20_v1", pretrained=out)
    onp.testing.assert_allclose(logits(net, LOGITS["input"]), LOGITS["cifar_resnet20_v1"],
                                rtol=0, atol=1e-4)


@pytest.mark.parametrize("name", sorted(json.load(open(os.path.join(FIXTURES, "layouts.json")))))
def test_gluoncv_imagenet_layout_maps_onto_the_zoo_model(name):
    with open(os.path.join(FIXTURES, "layouts.json")) as f:
        layout = json.load(f)[name]
    state = {k: onp.zeros(s, "float32") for k, s in layout.items()}
    net = get_model(name)
    target = {n: tuple(p.shape) for n, p in net.collect_params().items()}
    mapped = convert.to_gluonkit(from_gluoncv(state, name), target)  # raises on any mismatch
    assert set(mapped) == set(target)


# ----------------------------------------------------------------- the reader, from the spec
def _array(a, magic=0xF993FAC9, stype=0, flag=0):
    head = struct.pack("<I", magic)
    if magic in (0xF993FAC9, 0xF993FACA):
        head += struct.pack("<i", stype) + struct.pack("<i", a.ndim)
        head += struct.pack(f"<{a.ndim}q", *a.shape)
    else:  # legacy: the rank in place of the magic, uint32 dims
        head = struct.pack("<I", a.ndim) + struct.pack(f"<{a.ndim}I", *a.shape)
    return head + struct.pack("<ii", 1, 0) + struct.pack("<i", flag) + a.tobytes()


def _file(arrays: list, names: list) -> bytes:
    out = struct.pack("<QQQ", 0x112, 0, len(arrays)) + b"".join(arrays)
    out += struct.pack("<Q", len(names))
    for n in names:
        out += struct.pack("<Q", len(n.encode())) + n.encode()
    return out


def _write(tmp_path, data: bytes) -> str:
    path = str(tmp_path / "x.params")
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_reader_reads_every_dtype_and_version(tmp_path):
    rng = onp.random.default_rng(0)
    a = rng.normal(size=(2, 3)).astype("float32")
    b = rng.normal(size=(4,)).astype("float64")
    c = rng.integers(0, 255, (3, 1, 2)).astype("uint8")
    d = rng.normal(size=(5,)).astype("float16")
    data = _file([_array(a), _array(b, flag=1), _array(c, magic=3, flag=3),
                  _array(d, magic=0xF993FACA, flag=2)], ["a", "arg:b", "c", "d"])
    got = load_ndarray_list(_write(tmp_path, data))
    assert list(got) == ["a", "arg:b", "c", "d"]
    for want, name in ((a, "a"), (b, "arg:b"), (c, "c"), (d, "d")):
        assert got[name].dtype == want.dtype
        onp.testing.assert_array_equal(got[name], want)


def test_reader_matches_the_gluoncv_fixture_shapes():
    state = load_ndarray_list(os.path.join(FIXTURES, "cifar_resnet20_v1.params"))
    assert state["features.0.weight"].shape == (16, 3, 3, 3)
    assert state["output.weight"].shape == (10, 64)
    assert len(state) == 107


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d[:-3], "bytes follow|needs"),                       # truncated name
    (lambda d: d[:40], "needs"),                                    # truncated data
    (lambda d: struct.pack("<Q", 0x113) + d[8:], "header magic"),
    (lambda d: d[:16] + struct.pack("<Q", 1 << 60) + d[24:], "array count"),
    (lambda d: d + b"\0", "bytes follow"),
])
def test_reader_rejects_malformed_files(tmp_path, mutate, message):
    good = _file([_array(onp.ones((2, 2), "float32"))], ["w"])
    with pytest.raises(ParamsFormatError, match=message):
        load_ndarray_list(_write(tmp_path, mutate(good)))


def test_reader_rejects_sparse_huge_shapes_and_unnamed_lists(tmp_path):
    a = onp.ones(3, "float32")
    cases = [(_file([_array(a, stype=1)], ["w"]), "sparse"),
             (_file([_array(a, flag=9)], ["w"]), "dtype flag"),
             (_file([_array(a)], []), "names"),
             (_file([_array(a), _array(a)], ["w", "w"]), "twice")]
    huge = bytearray(_file([_array(a)], ["w"]))
    struct.pack_into("<q", huge, 24 + 12, 1 << 40)  # the first dim: 2**40 elements
    cases.append((bytes(huge), "needs"))
    for data, message in cases:
        with pytest.raises(ParamsFormatError, match=message):
            load_ndarray_list(_write(tmp_path, data))


def test_wrong_model_for_a_gluoncv_file_names_the_differences():
    with pytest.raises(convert.CheckpointMismatchError, match="missing|unexpected"):
        get_model("cifar_resnet56_v1",
                  pretrained=os.path.join(FIXTURES, "cifar_resnet20_v1.params"))
