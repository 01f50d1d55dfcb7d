"""The tracer and the executor on small hand-written blocks: what a graph captures."""
import json

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn, np, npx
from gluonkit.core.graph import Graph, GraphFormatError, TraceError


class Tiny(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(4, in_units=3)
        self.bn = nn.BatchNorm(in_channels=4)

    def forward(self, x):
        y = npx.relu(self.bn(self.fc(x)))
        return y * 2 + x.sum(axis=1, keepdims=True)


def make(block_cls=Tiny, seed=0):
    gk.random.seed(seed)
    net = block_cls()
    net.initialize()
    return net


def x_of(shape=(5, 3), seed=1):
    return np.array(onp.random.RandomState(seed).normal(size=shape).astype("float32"))


def test_replay_runs_the_graph_not_the_python():
    net = make()
    net.hybridize()
    x = x_of()
    y_trace = net(x).asnumpy()
    calls = []
    original = Tiny.forward
    Tiny.forward = lambda self, x: calls.append(1) or original(self, x)
    try:
        y_replay = net(x).asnumpy()
    finally:
        Tiny.forward = original
    assert calls == []
    onp.testing.assert_allclose(y_replay, y_trace, rtol=1e-6, atol=1e-6)


def test_new_shape_traces_again_and_cache_is_bounded():
    net = make()
    net.hybridize(cache_size=2)
    for n in (2, 3, 4):
        net(x_of((n, 3)))
    assert len(net._graphs.entries) == 2
    eager = make()
    onp.testing.assert_allclose(net(x_of((7, 3))).asnumpy(), eager(x_of((7, 3))).asnumpy(),
                                rtol=1e-6, atol=1e-6)


def test_host_read_while_tracing_names_the_block():
    class Branchy(nn.HybridBlock):
        def forward(self, x):
            return x * 2 if float(x.sum()) > 0 else x

    net = Branchy()
    net.hybridize()
    with pytest.raises(TraceError, match="Branchy.*float"):
        net(x_of())
    for read in (lambda x: x.item(), lambda x: bool(x), lambda x: x.asnumpy()):
        class Reader(nn.HybridBlock):
            def forward(self, x):
                read(x.sum())
                return x
        r = Reader()
        r.hybridize()
        with pytest.raises(TraceError, match="Reader"):
            r(x_of())


def test_replay_draws_a_new_dropout_mask_and_seeded_runs_repeat():
    class Drop(nn.HybridBlock):
        def forward(self, x):
            return npx.dropout(x, 0.5)

    def masks(seed):
        gk.random.seed(seed)
        net = Drop()
        net.hybridize()
        x = np.ones((64, 64))
        with autograd.train_mode():
            return [net(x).asnumpy() for _ in range(3)]

    a, b = masks(3), masks(3)
    assert not onp.array_equal(a[1], a[2])  # a replay is not a frozen mask
    for u, v in zip(a, b):
        onp.testing.assert_array_equal(u, v)


def test_setitem_inplace_and_comparisons_are_traced():
    class Writes(nn.HybridBlock):
        def forward(self, x):
            y = x * 1
            y[:, 0] = 0.0
            y += 1
            mask = y > 1
            return np.where(mask, y, -y) + (y.argmax(axis=1) == 0).astype("float32")[:, None]

    net = Writes()
    x1, x2 = x_of(seed=1), x_of(seed=2)
    ref = net(x2).asnumpy()
    net.hybridize()
    net(x1)
    onp.testing.assert_allclose(net(x2).asnumpy(), ref, rtol=1e-6)


def test_detach_stops_the_gradient_in_a_replay():
    class Half(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter((3,), init="ones")

        def forward(self, x):
            w = self.w.data()
            return (x * w).sum() + (x * w.detach()).sum()

    net = Half()
    net.initialize()
    net.hybridize()
    x = x_of()
    for _ in range(2):  # trace, then replay
        with autograd.record():
            y = net(x)
        y.backward()
        onp.testing.assert_allclose(net.w.grad().asnumpy(), x.asnumpy().sum(axis=0), rtol=1e-5)


def test_multi_output_gradients():
    class Two(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(2, in_units=3)

        def forward(self, x):
            y = self.fc(x)
            return y, y * y

    def grads(hybrid):
        net = make(Two)
        if hybrid:
            net.hybridize()
        x = x_of()
        out = []
        for _ in range(2):
            with autograd.record():
                a, b = net(x)
                loss = a.sum() + 3 * b.sum()
            loss.backward()
            out.append(net.fc.weight.grad().asnumpy().copy())
        return out

    for e, h in zip(grads(False), grads(True)):
        onp.testing.assert_allclose(h, e, rtol=1e-5, atol=1e-6)


def test_grad_req_add_and_frozen_parameters_in_a_replay():
    def run(hybrid):
        net = make()
        net.collect_params()["fc.weight"].grad_req = "add"
        net.collect_params()["fc.bias"].grad_req = "null"
        if hybrid:
            net.hybridize()
        x = x_of()
        for _ in range(3):
            with autograd.record():
                y = net(x)
            y.backward()
        return net.fc.weight.grad().asnumpy(), net.bn.running_mean.data().asnumpy()

    (ge, se), (gh, sh) = run(False), run(True)
    onp.testing.assert_allclose(gh, ge, rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(sh, se, rtol=1e-6, atol=1e-7)


def test_cast_retraces():
    net = make()
    net.hybridize()
    x = x_of()
    net(x)
    net.cast("float64")
    y = net(x.astype("float64"))
    assert y.dtype == onp.float64


def test_graph_json_round_trip_and_version_check():
    net = make()
    net.hybridize()
    net(x_of())
    g = net._graphs.last_graph
    doc = json.loads(g.dumps())
    again = Graph.from_json(doc, g.array_constants())
    assert [n.op for n in again.nodes] == [n.op for n in g.nodes]
    assert again.params == g.params
    doc["version"] = 99
    with pytest.raises(GraphFormatError, match="newer"):
        Graph.from_json(doc, {})
    doc["version"] = 1
    doc["nodes"][0]["op"] = "NoSuchOp"
    with pytest.raises(GraphFormatError, match="NoSuchOp"):
        Graph.from_json(doc, {})


def test_static_alloc_reuses_buffers_without_clobbering_kept_outputs():
    class Conv(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2D(4, 3, padding=1, in_channels=2)
            self.bn = nn.BatchNorm(in_channels=4)

        def forward(self, x):
            return npx.relu(self.bn(self.conv(x))) + 1

    net = make(Conv)
    ref = [net(x_of((2, 2, 6, 6), seed=s)).asnumpy() for s in range(4)]
    net.hybridize(static_alloc=True)
    kept = [net(x_of((2, 2, 6, 6), seed=s)) for s in range(4)]
    for y, r in zip(kept, ref):
        onp.testing.assert_allclose(y.asnumpy(), r, rtol=1e-5, atol=1e-6)
    executor = next(iter(net._graphs.entries.values()))[0]
    assert executor.pool.nbytes > 0
    before = executor.pool.nbytes
    for s in range(3):
        net(x_of((2, 2, 6, 6), seed=s))
    assert executor.pool.nbytes == before  # the same buffers, call after call


def test_hybridize_false_returns_to_eager_and_parent_hybridizes_children():
    class Outer(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.inner = Tiny()

        def forward(self, x):
            return self.inner(x) - 1

    net = make(Outer)
    net.hybridize()
    assert net.inner._graphs is not None
    net(x_of())
    assert len(net._graphs.entries) == 1 and len(net.inner._graphs.entries) == 0  # one graph
    net.hybridize(False)
    assert net._graphs is None and net.inner._graphs is None
    calls = []
    original = Tiny.forward
    Tiny.forward = lambda self, x: calls.append(1) or original(self, x)
    try:
        net(x_of())
    finally:
        Tiny.forward = original
    assert calls == [1]


def test_attributes_round_trip_through_json():
    from gluonkit.core.graph.ir import _decode, _encode
    attrs = {"dtype": onp.dtype("float16"), "key": (slice(1, None, 2), Ellipsis, None, 3),
             "lo": float("-inf"), "shape": (2, -1), "name": "x", "flag": True}
    assert _decode(json.loads(json.dumps(_encode(attrs)))) == attrs


class Joined(nn.HybridBlock):
    def forward(self, x):
        return np.concatenate([npx.relu(x), np.asarray(x), np.array(x)], axis=1)


def test_asarray_traces_to_nothing_and_array_to_one_copy():
    """concatenate's asarray of its inputs adds no node to a graph (each would be a full copy
    in every replay); np.array(x) still copies."""
    from gluonkit.nn.export import graph_of
    x = x_of((2, 3))
    graph = graph_of(Joined(), x)
    assert [n.op for n in graph.nodes].count("Cast") == 1
    net = Joined()
    net.hybridize()
    expect = onp.concatenate([onp.maximum(x.asnumpy(), 0), x.asnumpy(), x.asnumpy()], axis=1)
    onp.testing.assert_array_equal(net(x).asnumpy(), expect)
