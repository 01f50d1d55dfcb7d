"""Hybridize every zoo family: replays equal eager runs; export -> SymbolBlock equals eager."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn, np
from gluonkit.loss import SoftmaxCrossEntropyLoss
from gluonkit.model_zoo import get_model, model_entry
from gluonkit.optim import Trainer

FAMILIES = [("lenet", {}), ("cifar_resnet20_v1", {}), ("cifar_resnet20_v2", {}),
            ("resnet18_v1", {}), ("resnet18_v1b", {}), ("resnet50_v1d", {}), ("resnet18_v2", {}),
            ("googlenet", {"aux_logits": True}), ("inceptionv3", {}),
            ("resnest14", {})]


def small_input(name, batch=2, seed=0):
    c, h, _ = model_entry(name).metadata["input_size"]
    size = {1: 28, 3: 32}[c] if h <= 32 else (75 if name.startswith("inception") else 64)
    rng = onp.random.RandomState(seed)
    return np.array(rng.normal(size=(batch, c, size, size)).astype("float32"))


def build(name, kw):
    gk.random.seed(0)
    return get_model(name, classes=10, **kw)


def outputs(y):
    return [o.asnumpy() for o in (y if isinstance(y, (tuple, list)) else (y,))]


def close(a, b, rtol, atol):
    for u, v in zip(outputs(a), outputs(b)):
        onp.testing.assert_allclose(u, v, rtol=rtol, atol=atol)


def train_steps(net, x, steps=2):
    """Recorded forward + backward; returns the outputs, gradients and BN statistics."""
    ys = []
    gk.random.seed(1)  # the same dropout masks for the eager and the hybridized run
    for _ in range(steps):
        net.zero_grad()
        with autograd.record():
            y = net(x)
            heads = y if isinstance(y, (tuple, list)) else (y,)
            loss = sum(((h * h).sum() for h in heads), np.zeros(()))
        loss.backward()
        ys.append(outputs(y))
    params = net.collect_params()
    grads = {k: p.grad().asnumpy() for k, p in params.items() if p.grad_req != "null"}
    stats = {k: p.data().asnumpy() for k, p in params.items() if "running" in k}
    return ys, grads, stats


@pytest.mark.parametrize("name,kw", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_hybridized_equals_eager(name, kw):
    x = small_input(name)
    eager, hybrid = build(name, kw), build(name, kw)
    hybrid.hybridize(static_alloc=True)  # buffers reused across replays
    with autograd.train_mode():  # train-mode graphs, recorded: outputs, gradients, BN stats
        ye, ge, se = train_steps(eager, x)
        yh, gh, sh = train_steps(hybrid, x)
    for a, b in zip(ye, yh):
        for u, v in zip(a, b):
            onp.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-5)
    for k in ge:
        scale = max(onp.abs(ge[k]).max(), 1e-6)
        onp.testing.assert_allclose(gh[k] / scale, ge[k] / scale, atol=1e-4, err_msg=k)
    for k in se:
        onp.testing.assert_allclose(sh[k], se[k], rtol=1e-4, atol=1e-5, err_msg=k)
    x2 = small_input(name, seed=1)
    for _ in range(2):  # predict mode: the trace, then the folded, fused replay
        close(hybrid(x2), eager(x2), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,kw", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_export_imports_equals_eager(name, kw, tmp_path):
    net = build(name, kw)
    net.hybridize()
    net(small_input(name))
    graph_file, params_file = net.export(str(tmp_path / name))
    imported = nn.SymbolBlock.imports(graph_file, params_file)
    x = small_input(name, batch=3, seed=2)  # another batch size than the trace's
    close(imported(x), net(x), rtol=1e-4, atol=1e-5)
    used = {k for k in net.collect_params() if not k.startswith("aux")}  # predict mode: no aux
    assert set(imported.collect_params()) == used


def test_imported_graph_fine_tunes(tmp_path):
    net = build("cifar_resnet20_v1", {})
    files = net.export(str(tmp_path / "r20"), example=small_input("cifar_resnet20_v1"))
    imported = nn.SymbolBlock.imports(*files)
    x, label = small_input("cifar_resnet20_v1", batch=8), np.array(onp.arange(8) % 10)
    loss_fn = SoftmaxCrossEntropyLoss()
    for block in (net, imported):  # the graph's gradients are the model's (predict mode)
        block.zero_grad()
        with autograd.record(train_mode=False):
            loss = loss_fn(block(x), label).mean()
        loss.backward()
    for k, p in imported.collect_params().items():
        if p.grad_req != "null":
            ref = net.collect_params()[k].grad().asnumpy()
            onp.testing.assert_allclose(p.grad().asnumpy(), ref, rtol=1e-4,
                                        atol=1e-5 * onp.abs(ref).max() + 1e-9, err_msg=k)
    trainer = Trainer(imported.collect_params(), "sgd", {"learning_rate": 1e-3})
    losses = []
    for _ in range(4):
        with autograd.record(train_mode=False):
            loss = loss_fn(imported(x), label).mean()
        loss.backward()
        trainer.step(1)
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_export_errors(tmp_path):
    net = build("lenet", {})
    with pytest.raises(ValueError, match="Call it once on an example input"):
        net.export(str(tmp_path / "never"))
    files = net.export(str(tmp_path / "ok"), example=small_input("lenet"))
    from safetensors.numpy import load_file, save_file
    arrays = load_file(files[1])
    arrays.pop("fc3.bias")
    arrays["extra.weight"] = onp.zeros(3, "float32")
    arrays["conv1.weight"] = onp.zeros((1, 1), "float32")
    save_file(arrays, str(tmp_path / "bad.safetensors"))
    with pytest.raises(nn.StateDictError, match="missing: fc3.bias(.|\n)*unexpected: extra"
                                                "(.|\n)*wrong shape: conv1.weight"):
        nn.SymbolBlock.imports(files[0], str(tmp_path / "bad.safetensors"))
