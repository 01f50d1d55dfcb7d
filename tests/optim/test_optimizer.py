"""Each optimizer's first steps against its update formula written out by hand (float64)."""
import math

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn
from gluonkit.optim import NAG, SGD, Adam, AdamW, RMSProp, Trainer, create

W0 = onp.array([0.5, -1.0, 2.0, 0.25])
GRADS = [onp.array([1.0, -2.0, 0.5, 3.0]), onp.array([-0.5, 1.0, 2.0, -1.0]),
         onp.array([2.0, 0.5, -1.5, 0.25])]
BATCH = 4


def param(value=W0, dtype="float32", **kw):
    p = nn.Parameter(onp.shape(value), dtype=dtype, **kw)
    p.set_data(onp.asarray(value))
    return p


def backward_with(params_and_grads):
    """Backward of sum(w * g) leaves exactly g in each parameter's gradient."""
    with autograd.record():
        loss = sum((p.data() * gk.np.array(g, dtype=p.dtype, device=p.data().device)).sum()
                   for p, g in params_and_grads)
    loss.backward()


def run(optimizer, optimizer_params, steps=3, **param_kw):
    p = param(**param_kw)
    trainer = Trainer({"w": p}, optimizer, optimizer_params)
    history = []
    for g in GRADS[:steps]:
        backward_with([(p, g)])
        trainer.step(BATCH)
        history.append(p.data().asnumpy().astype("float64"))
    return history


def check(history, expected):
    for got, want in zip(history, expected):
        onp.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


def test_sgd_with_weight_decay_rescales_by_batch_size():
    lr, wd = 0.1, 0.01
    w, expected = W0.copy(), []
    for g in GRADS:
        w = w - lr * (g / BATCH + wd * w)
        expected.append(w)
    check(run("sgd", {"learning_rate": lr, "wd": wd}), expected)


def test_sgd_momentum():
    lr, m, wd = 0.1, 0.9, 1e-3
    w, mom, expected = W0.copy(), onp.zeros(4), []
    for g in GRADS:
        mom = m * mom - lr * (g / BATCH + wd * w)
        w = w + mom
        expected.append(w)
    check(run("sgd", {"learning_rate": lr, "momentum": m, "wd": wd}), expected)


@pytest.mark.parametrize("name, params", [("nag", {}), ("sgd", {"nesterov": True})])
def test_nesterov(name, params):
    lr, m, wd = 0.1, 0.9, 1e-3
    w, mom, expected = W0.copy(), onp.zeros(4), []
    for g in GRADS:
        d = g / BATCH + wd * w
        mom = m * mom + d
        w = w - lr * (d + m * mom)
        expected.append(w)
    check(run(name, {"learning_rate": lr, "momentum": m, "wd": wd, **params}), expected)


def test_adam_bias_correction():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    w, m, v, expected = W0.copy(), onp.zeros(4), onp.zeros(4), []
    for t, g in enumerate(GRADS, 1):
        d = g / BATCH + wd * w
        m = b1 * m + (1 - b1) * d
        v = b2 * v + (1 - b2) * d * d
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (onp.sqrt(v) + eps)
        expected.append(w)
    history = run("adam", {"learning_rate": lr, "wd": wd})
    check(history, expected)
    # First step: bias correction makes the move lr * sign(grad), whatever the gradient's size.
    onp.testing.assert_allclose(W0 - history[0], lr * onp.sign(GRADS[0] / BATCH + wd * W0),
                                rtol=1e-4)


def test_adamw_decouples_weight_decay():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    w, m, v, expected = W0.copy(), onp.zeros(4), onp.zeros(4), []
    for t, g in enumerate(GRADS, 1):
        d = g / BATCH  # the decay never enters the moments
        m = b1 * m + (1 - b1) * d
        v = b2 * v + (1 - b2) * d * d
        step = math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (onp.sqrt(v) + eps)
        w = w - lr * (step + wd * w)
        expected.append(w)
    check(run("adamw", {"learning_rate": lr, "wd": wd}), expected)


def test_rmsprop():
    lr, g1, eps = 0.01, 0.9, 1e-8
    w, n, expected = W0.copy(), onp.zeros(4), []
    for g in GRADS:
        d = g / BATCH
        n = g1 * n + (1 - g1) * d * d
        w = w - lr * d / onp.sqrt(n + eps)
        expected.append(w)
    check(run("rmsprop", {"learning_rate": lr, "gamma1": g1}), expected)


def test_clip_gradient_clips_the_rescaled_gradient_before_weight_decay():
    lr, wd, clip = 0.1, 0.5, 0.3
    d = onp.clip(GRADS[0] / BATCH, -clip, clip) + wd * W0
    check(run("sgd", {"learning_rate": lr, "wd": wd, "clip_gradient": clip}, steps=1),
          [W0 - lr * d])


def test_lr_mult_and_wd_mult_per_parameter():
    lr, m, wd = 0.1, 0.9, 0.01
    a, b = param(), param(lr_mult=0.5, wd_mult=0.0)
    trainer = Trainer({"a": a, "b": b}, "sgd", {"learning_rate": lr, "momentum": m, "wd": wd})
    wa, wb, ma, mb = W0.copy(), W0.copy(), onp.zeros(4), onp.zeros(4)
    for g in GRADS:
        backward_with([(a, g), (b, g)])
        trainer.step(BATCH)
        ma = m * ma - lr * (g / BATCH + wd * wa)
        mb = m * mb - 0.5 * lr * (g / BATCH)
        wa, wb = wa + ma, wb + mb
    onp.testing.assert_allclose(a.data().asnumpy(), wa, rtol=2e-6)
    onp.testing.assert_allclose(b.data().asnumpy(), wb, rtol=2e-6)


def test_multi_precision_keeps_float32_master_weights():
    g = onp.full(4, 1e-4 * BATCH)
    steps = 20

    def train(multi_precision):
        p = param(onp.ones(4), dtype="float16")
        trainer = Trainer({"w": p}, "sgd", {"learning_rate": 1.0,
                                            "multi_precision": multi_precision})
        for _ in range(steps):
            backward_with([(p, g)])
            trainer.step(BATCH)
        return p, trainer

    plain, _ = train(False)
    assert (plain.data().asnumpy() == 1).all()  # 1e-4 is below float16's spacing at 1.0
    mixed, trainer = train(True)
    assert mixed.data().dtype == onp.float16
    assert trainer.state_arrays()["w/master"].dtype == onp.float32
    onp.testing.assert_allclose(trainer.state_arrays()["w/master"], 1 - steps * 1e-4, rtol=1e-6)
    onp.testing.assert_array_equal(mixed.data().asnumpy(),
                                   onp.float16(onp.float32(1 - steps * 1e-4)))


@pytest.mark.parametrize("name", ["sgd", "nag", "adam", "adamw", "rmsprop"])
def test_updates_on_every_device_agree_with_cpu(name, device):
    def train(d):
        p = param()
        p.to_device(d)
        trainer = Trainer({"w": p}, name, {"learning_rate": 0.05, "wd": 0.01})
        for g in GRADS:
            backward_with([(p, g)])
            trainer.step(BATCH)
        return p.data().asnumpy()

    onp.testing.assert_allclose(train(device), train(gk.cpu()), rtol=1e-5, atol=1e-7)


def test_create_and_validation():
    assert isinstance(create("NAG"), NAG) and isinstance(create("adamw"), AdamW)
    assert isinstance(create("sgd"), SGD) and isinstance(create("rmsprop"), RMSProp)
    adam = Adam(learning_rate=0.1)
    assert create(adam) is adam
    with pytest.raises(ValueError, match="unknown optimizer"):
        create("lamb")
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match="clip_gradient"):
        SGD(clip_gradient=0)
