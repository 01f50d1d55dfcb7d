"""gluonkit.onnx: every zoo family's export runs in onnxruntime with gluonkit's outputs."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import nn, np, npx
from gluonkit import onnx as gonnx
from gluonkit.model_zoo import get_model

ort = pytest.importorskip("onnxruntime", reason="the test extra installs onnxruntime")
onnx = pytest.importorskip("onnx")

FAMILIES = [("lenet", 28), ("cifar_resnet20_v1", 32), ("cifar_resnet20_v2", 32),
            ("resnet18_v1", 64), ("resnet50_v1d", 64), ("resnet18_v2", 64),
            ("googlenet", 64), ("inceptionv3", 75), ("resnest14", 64)]


def run_onnx(path, *xs):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {f"data{i}": x for i, x in enumerate(xs)})


def assert_close(y, ref):
    scale = max(onp.abs(ref).max(), 1e-30)
    onp.testing.assert_allclose(y / scale, ref / scale, atol=1e-4)


@pytest.mark.parametrize("name,size", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_zoo_family_runs_in_onnxruntime(name, size, tmp_path):
    gk.random.seed(0)
    net = get_model(name, classes=10)
    c = 1 if name == "lenet" else 3
    rng = onp.random.RandomState(0)
    path = gonnx.export(net, np.array(rng.normal(size=(2, c, size, size)).astype("float32")),
                        str(tmp_path / f"{name}.onnx"))
    model = onnx.load(path)
    assert model.ir_version == gonnx.IR_VERSION
    assert model.opset_import[0].version == 17
    x = rng.normal(size=(3, c, size, size)).astype("float32")  # dynamic batch
    assert_close(run_onnx(path, x)[0], net(np.array(x)).asnumpy())


def test_small_ops_translate(tmp_path):
    class Ops(nn.HybridBlock):
        def forward(self, x):
            y = npx.sigmoid(x[:, 1:, ::2]) - np.tanh(x)[:, :2, :3] / 2
            y = np.concatenate([y, x[:, :2, None, 0][:, :, 0, None]], axis=2) ** 2
            z = np.where(y > 0.2, np.exp(y), np.sqrt(np.abs(y) + 1))
            return npx.softmax(z.mean(axis=2) + z.max(axis=(1, 2))[:, None], axis=-1), \
                np.maximum(z.transpose(0, 2, 1).reshape(x.shape[0], -1), 0.5).clip(0.6, 2.0)

    net = Ops()
    x = onp.random.RandomState(1).normal(size=(2, 3, 6)).astype("float32")
    path = gonnx.export(net, np.array(x), str(tmp_path / "ops.onnx"))
    for y, ref in zip(run_onnx(path, x), net(np.array(x))):
        assert_close(y, ref.asnumpy())


def test_fused_batch_norm_add_relu_writes_three_nodes(tmp_path):
    """Batch norm + residual + ReLU (one gluonkit op) is BatchNormalization, Add, Relu in ONNX,
    with trained-looking statistics so a wrong mapping shows."""
    class Tail(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm(in_channels=3, act="relu")

        def forward(self, x):
            return self.bn(x * 2, x)

    net = Tail()
    net.initialize()
    rng = onp.random.RandomState(4)
    for p in (net.bn.gamma, net.bn.beta, net.bn.running_mean):
        p.set_data(rng.normal(size=3).astype("float32"))
    net.bn.running_var.set_data(rng.uniform(0.5, 2, size=3).astype("float32"))
    x = rng.normal(size=(2, 3, 4, 4)).astype("float32")
    path = gonnx.export(net, np.array(x), str(tmp_path / "tail.onnx"))
    kinds = [n.op_type for n in onnx.load(path).graph.node]
    i = kinds.index("BatchNormalization")
    assert kinds[i:i + 3] == ["BatchNormalization", "Add", "Relu"]
    assert_close(run_onnx(path, x)[0], net(np.array(x)).asnumpy())


def test_unexpressible_op_says_what(tmp_path):
    class Gather(nn.HybridBlock):
        def forward(self, x):
            return x[np.array(onp.array([0, 0]))]

    with pytest.raises(gonnx.OnnxExportError, match="basic indexing"):
        gonnx.export(Gather(), np.ones((3, 2)), str(tmp_path / "g.onnx"))


def test_export_script_writes_both_formats(tmp_path):
    import subprocess
    import sys
    root = __file__.rsplit("/tests/", 1)[0]
    for fmt in ("graph", "onnx"):
        subprocess.run([sys.executable, f"{root}/scripts/export.py", "--model", "lenet",
                        "--pretrained", "--format", fmt, "--out", str(tmp_path / "lenet")],
                       check=True, capture_output=True)
    net = get_model("lenet", pretrained=True)
    x = onp.random.RandomState(3).normal(size=(4, 1, 28, 28)).astype("float32")
    ref = net(np.array(x)).asnumpy()
    assert_close(run_onnx(str(tmp_path / "lenet.onnx"), x)[0], ref)
    imported = nn.SymbolBlock.imports(str(tmp_path / "lenet-graph.json"),
                                      str(tmp_path / "lenet.safetensors"))
    assert_close(imported(np.array(x)).asnumpy(), ref)
