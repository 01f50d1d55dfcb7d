"""The fused GPU kernels against the CPU (NumPy) results of the same ops, float32, TF32 off.

Every test here needs a CUDA device: they run on the H200 through scripts/gpu_selftest.sh.
"""
from __future__ import annotations

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, np, npx
from gluonkit.cuda_kernels import multi_tensor
from gluonkit.optim import optimizer as opt

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(gk.num_gpus() == 0, reason="needs CuPy and a CUDA device")]

RTOL, ATOL = 1e-5, 1e-6


def _run(fn, arrays: list, device, grad: bool = True):
    """fn(*arrays) on ``device``: (output, gradients of sum(output * weights)) as NumPy."""
    xs = [np.array(a, device=device) for a in arrays]
    for x in xs:
        if grad and x.dtype.kind == "f":
            x.attach_grad()
    with autograd.record():
        y = fn(*xs)
        w = np.array(onp.random.default_rng(1).standard_normal(y.shape).astype(y.dtype),
                     device=device)
        head = (y * w).sum()
    if grad:
        head.backward()
    return y.asnumpy(), [x.grad.asnumpy() for x in xs if grad and x.dtype.kind == "f"]


def _same_on_gpu(fn, arrays, rtol=RTOL, atol=ATOL, grad=True):
    y_cpu, g_cpu = _run(fn, arrays, gk.cpu(), grad)
    y_gpu, g_gpu = _run(fn, arrays, gk.gpu(0), grad)
    onp.testing.assert_allclose(y_gpu, y_cpu, rtol=rtol, atol=atol)
    for a, b in zip(g_gpu, g_cpu):
        onp.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def rnd(*shape, seed=0):
    return onp.random.default_rng(seed).standard_normal(shape).astype(onp.float32)


@pytest.mark.parametrize("eps", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("c", [10, 1000, 1003])
def test_softmax_ce_hard_labels(eps, reduction, c):
    x = rnd(33, c) * 4
    labels = onp.random.default_rng(2).integers(0, c, 33)
    _same_on_gpu(lambda x: npx.softmax_cross_entropy(
        x, np.array(labels, device=x.device), eps, reduction), [x])


@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_softmax_ce_soft_targets(eps):
    x, t = rnd(16, 37) * 3, onp.random.default_rng(3).dirichlet(onp.ones(37), 16)
    _same_on_gpu(lambda x: npx.softmax_cross_entropy(
        x, np.array(t.astype(onp.float32), device=x.device), eps, "mean"), [x])


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape", [(8, 5, 7, 7), (16, 12)])
def test_batch_norm_training(relu, shape):
    c = shape[1]
    x, gamma, beta = rnd(*shape) * 2 + 1, rnd(c, seed=1), rnd(c, seed=2)
    op = npx.batch_norm_relu if relu else npx.batch_norm
    stats = {}

    def fn(x, g, b):
        rm, rv = np.zeros(c, device=x.device), np.ones(c, device=x.device)
        y = op(x, g, b, rm, rv, training=True)
        stats[x.device.kind] = (rm.asnumpy(), rv.asnumpy())
        return y

    _same_on_gpu(fn, [x, gamma, beta], rtol=1e-4, atol=1e-5)
    for a, b in zip(stats["gpu"], stats["cpu"]):  # running statistics updated alike
        onp.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,axis", [((4, 2, 2, 24), 2), ((4, 1, 4, 8), 2), ((6, 3), -1),
                                        ((5, 40), 1)])
def test_softmax_short_and_long_axes(shape, axis):
    _same_on_gpu(lambda x: npx.softmax(x, axis), [rnd(*shape) * 3])


def test_add_relu_fused_op():
    from gluonkit.core.ops.fused import AddRelu
    a, b = rnd(4, 3, 5, 5), rnd(1, 3, 1, 1, seed=1)
    for into_a in (False, True):
        ys = [AddRelu.apply(np.array(a, device=d), np.array(b, device=d), into_a=into_a)
              .asnumpy() for d in (gk.cpu(), gk.gpu(0))]
        onp.testing.assert_array_equal(ys[1], ys[0])


def _bf16():
    return pytest.importorskip("ml_dtypes").bfloat16


@pytest.mark.parametrize("name,kw", [("sgd", {}), ("sgd", {"momentum": 0.9}), ("nag", {}),
                                     ("adam", {}), ("adamw", {}),
                                     ("sgd", {"momentum": 0.9, "clip_gradient": 0.5})])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_multi_tensor_update_matches_the_loop(name, kw, dtype):
    import cupy
    low = _bf16() if dtype == "bfloat16" else onp.dtype(dtype)
    rng = onp.random.default_rng(0)
    sizes = [3, 20000, 16384, 70000]  # across chunk boundaries
    weights = [rng.standard_normal(n).astype(low) for n in sizes]
    ref = opt.create(name, learning_rate=0.05, wd=1e-3, multi_precision=True,
                     rescale_grad=0.5, **kw)
    fused = opt.create(name, learning_rate=0.05, wd=1e-3, multi_precision=True,
                       rescale_grad=0.5, **kw)
    cpu = [w.copy() for w in weights]
    gpu = [cupy.asarray(w) for w in weights]
    s_cpu = [ref.create_state(w) for w in cpu]
    s_gpu = [fused.create_state(w) for w in gpu]
    for step in range(3):
        grads = [rng.standard_normal(n).astype(low) for n in sizes]
        ref.update_many([(w, g, s, 1.0, 0.5) for w, g, s in zip(cpu, grads, s_cpu)])
        left = multi_tensor.update(
            fused, [(w, cupy.asarray(g), s, 1.0, 0.5) for w, g, s in zip(gpu, grads, s_gpu)])
        assert left == []  # every parameter went through the one launch
    for w_c, w_g, s_c, s_g in zip(cpu, gpu, s_cpu, s_gpu):
        keep_c, keep_g = s_c.get("master", w_c), s_g.get("master", w_g)
        onp.testing.assert_allclose(cupy.asnumpy(keep_g), keep_c, rtol=1e-5, atol=1e-6)
        for slot in ("mom", "mean", "var"):
            if slot in s_c:
                onp.testing.assert_allclose(cupy.asnumpy(s_g[slot]), s_c[slot], rtol=1e-5,
                                            atol=1e-6)
        if "t" in s_c:
            assert s_g["t"] == s_c["t"] == 3


def test_allow_tf32_switches_cublas_compute_type():
    from gluonkit.core.gpu_math import allow_tf32, tf32_allowed
    assert not tf32_allowed()
    try:
        allow_tf32(True)
        assert tf32_allowed()
    finally:
        allow_tf32(False)
    assert not tf32_allowed()


def test_cuda_graph_replay_matches_eager():
    from gluonkit.model_zoo import get_model
    gk.random.seed(0)
    net = get_model("cifar_resnet20_v1", classes=10, device=gk.gpu(0))
    net.hybridize(static_alloc=True, static_shape=True)
    xs = [np.array(rnd(4, 3, 32, 32, seed=s), device=gk.gpu(0)) for s in range(4)]
    want = [net.forward(x).asnumpy() for x in xs]  # forward() itself: the eager path
    got = [net(x).asnumpy() for x in xs]  # warm-up, capture, then graph launches
    executor, _ = net.graph_executor(xs[0])
    assert executor.failure is None and executor.captured is not None
    for a, b in zip(got, want):
        onp.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("model,shape", [("lenet", (1, 28, 28)),
                                         ("cifar_resnet20_v1", (3, 32, 32)),
                                         ("resnest14", (3, 64, 64))])
def test_model_training_step_matches_cpu(model, shape):
    """Loss and gradients of one training step agree between the CPU and the GPU."""
    from gluonkit.loss import SoftmaxCrossEntropyLoss
    from gluonkit.model_zoo import get_model
    x, y = rnd(4, *shape), onp.arange(4) % 10
    results = []
    for d in (gk.cpu(), gk.gpu(0)):
        gk.random.seed(0)
        net = get_model(model, classes=10, device=d)
        with autograd.record():
            loss = SoftmaxCrossEntropyLoss(label_smoothing=0.1)(net(np.array(x, device=d)),
                                                                 np.array(y, device=d))
        loss.backward()
        results.append((loss.asnumpy(), {k: p.grad().asnumpy() for k, p in
                                         net.collect_params().items() if p.grad_req != "null"}))
    onp.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-4, atol=1e-5)
    for k, g in results[0][1].items():
        onp.testing.assert_allclose(results[1][1][k], g, rtol=1e-3, atol=1e-4, err_msg=k)
