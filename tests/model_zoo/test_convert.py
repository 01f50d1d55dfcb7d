"""Importers: real PyTorch .pth files load without PyTorch; malicious pickles run nothing."""
import io
import os
import pickle
import runpy
import sys
import types
import zipfile

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import nn, npx
from gluonkit.model_zoo import convert, get_model
from gluonkit.model_zoo.pth_reader import UnsafeCheckpointError, load_pth

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
EXPECTED = onp.load(os.path.join(FIXTURES, "expected.npz"))


class Tiny(nn.Block):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2D(4, 3, padding=1, use_bias=False, in_channels=3)
        self.bn1 = nn.BatchNorm(in_channels=4)
        self.fc = nn.Dense(3, in_units=4)

    def forward(self, x):
        x = npx.relu(self.bn1(self.conv1(x)))
        return self.fc(x.mean(axis=(2, 3)))


def target_of(model):
    return {n: p.shape for n, p in model.collect_params().items()}


@pytest.mark.parametrize("name", ["tiny.pth", "tiny_wrapped.pth", "tiny_legacy.pth"])
def test_torch_checkpoint_loads_and_matches_torch_output(name):
    model = Tiny()
    model.initialize()
    state = convert.load_checkpoint(os.path.join(FIXTURES, name))
    model.load_state_dict(convert.to_gluonkit(state, target_of(model)))
    y = model(gk.np.array(EXPECTED["tiny_x"]))
    onp.testing.assert_allclose(y.asnumpy(), EXPECTED["tiny_y"], rtol=1e-5, atol=1e-6)


def test_lenet_from_pytorch_gives_pytorch_outputs():
    model = get_model("lenet", pretrained=os.path.join(FIXTURES, "lenet.pth"))
    y = model(gk.np.array(EXPECTED["lenet_x"]))
    onp.testing.assert_allclose(y.asnumpy(), EXPECTED["lenet_y"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["extras.pth", "extras_legacy.pth"])
def test_strided_half_bfloat16_and_integer_tensors(name):
    extras = load_pth(os.path.join(FIXTURES, name))
    for key, value in extras.items():
        onp.testing.assert_array_equal(value.astype(onp.float64),
                                       EXPECTED[f"extras_{key}"].astype(onp.float64))
    assert extras["half"].dtype == onp.float16 and extras["long"].dtype == onp.int64


def test_other_architecture_fails_with_the_names_that_differ():
    state = convert.load_checkpoint(os.path.join(FIXTURES, "tiny.pth"))
    model = get_model("lenet")
    with pytest.raises(convert.CheckpointMismatchError) as err:
        convert.to_gluonkit(state, target_of(model))
    text = str(err.value)
    assert "missing: conv1.bias" in text and "unexpected:" in text and "bn1.weight" in text
    assert "conv1.weight: checkpoint (4, 3, 3, 3) vs model (6, 1, 5, 5)" in text


def test_wrong_shape_is_reported_with_both_shapes():
    state = convert.load_checkpoint(os.path.join(FIXTURES, "lenet.pth"))
    with pytest.raises(convert.CheckpointMismatchError, match=r"fc3.weight: checkpoint \(10, 84\) "
                                                              r"vs model \(5, 84\)"):
        convert.to_gluonkit(state, target_of(get_model("lenet", classes=5)))


def test_new_classifier_keeps_the_backbone():
    path = os.path.join(FIXTURES, "lenet.pth")
    model = get_model("lenet", classes=4, pretrained=path)
    state = convert.load_checkpoint(path)
    onp.testing.assert_array_equal(model.conv2.weight.data().asnumpy(), state["conv2.weight"])
    assert model.fc3.weight.shape == (4, 84)


def _zip_with_pickle(path, payload: bytes, extra=None):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")
        for name, data in (extra or {}).items():
            z.writestr(name, data)


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pth"
    _zip_with_pickle(path, pickle.dumps({"w": Evil()}, protocol=2))
    with pytest.raises(UnsafeCheckpointError, match="system"):
        convert.load_checkpoint(str(path))
    assert not marker.exists()


def test_persistent_id_with_a_foreign_storage_type_is_refused(tmp_path):
    sentinel = object()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", "not a storage", "0", "cpu", 1) if obj is sentinel else None

    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump({"w": sentinel})
    path = tmp_path / "odd.pth"
    _zip_with_pickle(path, buf.getvalue())
    with pytest.raises(UnsafeCheckpointError, match="storage type"):
        load_pth(str(path))


def _fake_torch_pickle(monkeypatch, tensors: dict) -> bytes:
    """Pickle {name: (key, numel, offset, size, stride)} as torch.save would, with stand-ins
    for torch's globals (torch itself is not installed)."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args):
        pass

    for obj, module in ((FloatStorage, torch), (_rebuild_tensor_v2, utils)):
        obj.__module__, obj.__qualname__ = module.__name__, obj.__name__
        setattr(module, obj.__name__, obj)
        monkeypatch.setitem(sys.modules, module.__name__, module)

    class Storage:
        def __init__(self, key, numel):
            self.pid = ("storage", FloatStorage, key, "cpu", numel)

    class Tensor:
        def __init__(self, key, numel, *view):
            self.args = (Storage(key, numel), *view)

        def __reduce__(self):
            return _rebuild_tensor_v2, self.args

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return obj.pid if isinstance(obj, Storage) else None

    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump({k: Tensor(*v) for k, v in tensors.items()})
    return buf.getvalue()


def test_synthetic_checkpoint_reads_and_views_past_the_storage_are_refused(tmp_path, monkeypatch):
    data = onp.arange(6, dtype="<f4").tobytes()
    ok = _fake_torch_pickle(monkeypatch, {"w": ("0", 6, 1, (2, 2), (3, 1))})
    path = tmp_path / "ok.pth"
    _zip_with_pickle(path, ok, {"archive/data/0": data})
    onp.testing.assert_array_equal(load_pth(str(path))["w"], [[1, 2], [4, 5]])
    for view in [(4, (2, 2), (3, 1)), (0, (7,), (1,)), (0, (2,), (-1,))]:
        bad = _fake_torch_pickle(monkeypatch, {"w": ("0", 6, *view)})
        _zip_with_pickle(path, bad, {"archive/data/0": data})
        with pytest.raises(UnsafeCheckpointError, match="storage|invalid"):
            load_pth(str(path))


def test_rename_options_and_export_names():
    state = {"module.bn.weight": onp.ones(2), "module.bn.bias": onp.zeros(2),
             "module.bn.running_mean": onp.zeros(2), "module.bn.num_batches_tracked": onp.ones(()),
             "module.fc.weight": onp.ones((3, 2))}
    target = {"bn.gamma": (2,), "bn.beta": (2,), "bn.running_mean": (2,), "fc.weight": (5, 2)}
    out = convert.to_gluonkit(state, target, skip=r"^fc\.")
    assert sorted(out) == ["bn.beta", "bn.gamma", "bn.running_mean"]
    loose = convert.to_gluonkit(state, {**target, "extra": (1,)}, strict=False)
    assert sorted(loose) == ["bn.beta", "bn.gamma", "bn.running_mean", "fc.weight"]
    assert sorted(convert.to_torch_names(out)) == ["bn.bias", "bn.running_mean", "bn.weight"]


def test_convert_weights_script(tmp_path, capsys):
    main = runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "..", "scripts",
                                       "convert_weights.py"))["main"]
    src, out = os.path.join(FIXTURES, "lenet.pth"), str(tmp_path / "lenet.safetensors")
    assert main([src, out, "--model", "lenet", "--meta", "top1=0.1"]) == 0
    from safetensors import safe_open
    with safe_open(out, "np") as f:
        meta = f.metadata()
        converted = {k: f.get_tensor(k) for k in f.keys()}
    assert meta["model"] == "lenet" and meta["top1"] == "0.1" and len(meta["source_sha256"]) == 64
    for name, value in convert.load_checkpoint(src).items():
        onp.testing.assert_array_equal(converted[name], value)
    assert main([os.path.join(FIXTURES, "tiny.pth"), out, "--model", "lenet"]) == 2
    assert "missing: conv1.bias" in capsys.readouterr().err


def test_npz_and_safetensors_round_trip(tmp_path):
    state = {"a.weight": onp.arange(6, dtype=onp.float32).reshape(2, 3).T}  # non-contiguous
    convert.save_safetensors(tmp_path / "s.safetensors", state)
    onp.savez(tmp_path / "s.npz", **state)
    for name in ("s.safetensors", "s.npz"):
        onp.testing.assert_array_equal(convert.load_checkpoint(tmp_path / name)["a.weight"],
                                       state["a.weight"])
