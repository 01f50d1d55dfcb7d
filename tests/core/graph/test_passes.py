"""The graph passes on traced zoo blocks: fused batch norm + residual + ReLU, and its folding."""
from collections import Counter

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn, np, npx
from gluonkit.core.graph import Executor, optimize
from gluonkit.model_zoo import get_model
from gluonkit.nn.hybrid import trace_call


def traced(net, x, train=False):
    params = net.collect_params()
    with autograd.train_mode() if train else autograd.predict_mode():
        graph, _ = trace_call(net, (x,), {}, params)
    return graph, [params[k].data() for k in graph.params]


def ops(graph):
    return Counter(n.op for n in graph.nodes)


def x_of(shape, seed=0):
    return np.array(onp.random.RandomState(seed).normal(size=shape).astype("float32"))


@pytest.mark.parametrize("name,blocks", [("cifar_resnet20_v1", 9), ("resnet18_v1b", 8)])
def test_zoo_resnet_traces_fused_ops_and_predict_folds_them_into_convolutions(name, blocks):
    gk.random.seed(0)
    net = get_model(name, classes=10)
    x = x_of((2, 3, 32, 32))
    graph, params = traced(net, x)
    bns = [n for n in graph.nodes if n.op == "BatchNorm"]
    assert "Relu" not in ops(graph) and "Add" not in ops(graph)  # all inside batch norm
    assert sum(n.inputs[5] is not None for n in bns) == blocks  # each block's residual end
    folded = optimize(graph, "predict")
    assert "BatchNorm" not in ops(folded)  # every batch norm sits behind a convolution
    assert ops(folded)["ConvBN"] == len(bns)
    (y,) = Executor(folded).run([x._data], [p._data for p in params])
    with autograd.predict_mode():
        onp.testing.assert_allclose(y, net(x).asnumpy(), rtol=1e-4, atol=1e-5)


class Unfused(nn.HybridBlock):
    """conv -> BN -> + r -> ReLU written out, as a model without ``act='relu'`` would."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(4, 3, padding=1, in_channels=4)
        self.bn = nn.BatchNorm(in_channels=4)

    def forward(self, x):
        return npx.relu(x + self.bn(self.conv(x)))


def _train_step(run, net, x):
    net.zero_grad()
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        y = run(x)
        (y * y).sum().backward()
    trained = [p for p in net.collect_params().values() if p.grad_req != "null"]
    return [y.asnumpy(), x.grad.asnumpy()] + [p.grad().asnumpy() for p in trained]


@pytest.mark.parametrize("five_inputs", [False, True])
def test_train_graph_fuses_add_relu_into_batch_norm(five_inputs):
    """BN -> Add -> Relu becomes one BatchNorm node whose replay (forward, backward, running
    statistics) equals the eager composition; so do graphs whose BatchNorm nodes have five
    inputs (written before the residual input existed)."""
    gk.random.seed(0)
    net = Unfused()
    net.initialize()
    x = x_of((3, 4, 5, 5))
    graph, params = traced(net, x, train=True)
    if five_inputs:
        for n in graph.nodes:
            if n.op == "BatchNorm":
                n.inputs = n.inputs[:5]
    fused = optimize(graph, "train")
    assert ops(fused) == Counter({"Conv2d": 1, "BatchNorm": 1})
    (bn,) = [n for n in fused.nodes if n.op == "BatchNorm"]
    assert bn.attrs["relu"] and bn.inputs[5] == graph.inputs[0]
    stats = [net.bn.running_mean.data(), net.bn.running_var.data()]
    before = [s.asnumpy() for s in stats]
    ex = Executor(fused)
    with autograd.train_mode():
        replay = _train_step(lambda a: ex([a], params)[0], net, x)
        replayed = [s.asnumpy() for s in stats]
        for s, b in zip(stats, before):
            s[...] = b
        eager = _train_step(net.forward, net, x)
    for got, expect in zip(replay + replayed, eager + [s.asnumpy() for s in stats]):
        onp.testing.assert_allclose(got, expect, rtol=1e-5, atol=1e-6)
