"""Each layer's forward equals the functional op it wraps; batch norm's modes and statistics."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, npx, nn


def rand(*shape, seed=0):
    return onp.random.default_rng(seed).normal(size=shape).astype("float32")


def same(a, b):
    onp.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_conv2d_equals_npx_conv2d(device):
    conv = nn.Conv2D(6, (3, 2), strides=(2, 1), padding=1, dilation=(1, 2), groups=3,
                     activation="relu")
    conv.initialize(nn.init.Normal(0.3), device=device)
    conv.bias.set_data(rand(6, seed=1))
    x = gk.np.array(rand(2, 9, 7, 8), device=device)
    y = conv(x)
    ref = npx.relu(npx.conv2d(x, conv.weight.data(), conv.bias.data(), stride=(2, 1),
                              padding=1, dilation=(1, 2), groups=3))
    same(y, ref)
    assert conv.weight.shape == (6, 3, 3, 2)


def test_dense_equals_linear_and_flattens(device):
    dense = nn.Dense(4, activation="tanh").initialize(device=device)
    x = gk.np.array(rand(3, 2, 5), device=device)
    same(dense(x), npx.tanh(npx.linear(x.reshape(3, 10), dense.weight.data(), dense.bias.data())))
    keep = nn.Dense(4, flatten=False, use_bias=False).initialize(device=device)
    assert keep(x).shape == (3, 2, 4) and keep.weight.shape == (4, 5) and keep.bias is None


def test_dense_gradient_matches_hand_formula():
    dense = nn.Dense(3, in_units=4).initialize()
    x = rand(5, 4)
    gy = rand(5, 3, seed=2)
    with autograd.record():
        y = dense(gk.np.array(x))
    y.backward(gk.np.array(gy))
    onp.testing.assert_allclose(dense.weight.grad().asnumpy(), gy.T @ x, rtol=1e-5)
    onp.testing.assert_allclose(dense.bias.grad().asnumpy(), gy.sum(0), rtol=1e-5)


@pytest.mark.parametrize("layer, op", [
    (nn.MaxPool2D(3, 2, 1, ceil_mode=True), lambda x: npx.max_pool2d(x, 3, 2, 1, True)),
    (nn.AvgPool2D(2), lambda x: npx.avg_pool2d(x, 2, 2)),
    (nn.AvgPool2D(3, 2, 1, count_include_pad=False),
     lambda x: npx.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
    (nn.GlobalAvgPool2D(), lambda x: npx.adaptive_avg_pool2d(x, 1)),
    (nn.Activation("relu"), npx.relu),
    (nn.Activation("sigmoid"), npx.sigmoid),
    (nn.Flatten(), npx.flatten),
    (nn.Identity(), lambda x: x),
])
def test_parameterless_layers_equal_their_ops(layer, op, device):
    x = gk.np.array(rand(2, 3, 7, 6), device=device)
    same(layer(x), op(x))


def test_global_pools_reduce_to_one_by_one():
    x = rand(2, 3, 4, 5)
    onp.testing.assert_allclose(nn.GlobalAvgPool2D()(gk.np.array(x)).asnumpy(),
                                x.mean(axis=(2, 3), keepdims=True), rtol=1e-6)
    onp.testing.assert_array_equal(nn.GlobalMaxPool2D()(gk.np.array(x)).asnumpy(),
                                   x.max(axis=(2, 3), keepdims=True))


def test_dropout_only_in_training_mode():
    drop = nn.Dropout(0.5)
    x = gk.np.ones((200, 50))
    same(drop(x), x)
    gk.random.seed(3)
    with autograd.record():
        y = drop(x).asnumpy()
    assert set(onp.unique(y)) == {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6
    with pytest.raises(ValueError, match="rate"):
        nn.Dropout(1.0)


def test_batchnorm_training_uses_batch_stats_and_updates_running_stats_gluon_momentum(device):
    bn = nn.BatchNorm(momentum=0.8, epsilon=1e-3).initialize(device=device)
    x = rand(4, 3, 5, 5) * 2 + 1
    with autograd.record():
        y = bn(gk.np.array(x, device=device))
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    ref = (x - mean[:, None, None]) / onp.sqrt(var[:, None, None] + 1e-3)
    onp.testing.assert_allclose(y.asnumpy(), ref, atol=1e-5)
    n = x.size // 3
    onp.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.2 * mean, rtol=1e-5)
    onp.testing.assert_allclose(bn.running_var.data().asnumpy(),
                                0.8 + 0.2 * var * n / (n - 1), rtol=1e-5)


def test_batchnorm_inference_uses_running_stats():
    bn = nn.BatchNorm(in_channels=3).initialize()
    bn.running_mean.set_data(onp.array([1.0, 2.0, 3.0]))
    bn.running_var.set_data(onp.array([4.0, 1.0, 0.25]))
    bn.gamma.set_data(onp.array([2.0, 1.0, 1.0]))
    bn.beta.set_data(onp.array([0.0, 0.0, 1.0]))
    x = rand(2, 3, 2, 2)
    y = bn(gk.np.array(x)).asnumpy()
    rm, rv = onp.array([1, 2, 3.0]), onp.array([4, 1, 0.25])
    ref = (x - rm[:, None, None]) / onp.sqrt(rv[:, None, None] + 1e-5) \
        * onp.array([2, 1, 1.0])[:, None, None] + onp.array([0, 0, 1.0])[:, None, None]
    onp.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    same(bn(gk.np.array(x)), npx.batch_norm(gk.np.array(x), bn.gamma.data(), bn.beta.data(),
                                             bn.running_mean.data(), bn.running_var.data(),
                                             training=False))
    frozen = nn.BatchNorm(in_channels=3, use_global_stats=True).initialize()
    with autograd.record():
        y = frozen(gk.np.array(x))
    onp.testing.assert_allclose(y.asnumpy(), x / onp.sqrt(1 + 1e-5), rtol=1e-5)
    assert (frozen.running_mean.data().asnumpy() == 0).all()


def test_batchnorm_without_scale_and_center_trains_neither():
    bn = nn.BatchNorm(center=False, scale=False, in_channels=2).initialize()
    assert bn.gamma.grad_req == "null" and bn.beta.grad_req == "null"
    assert list(bn.collect_params()) == ["gamma", "beta", "running_mean", "running_var"]


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_act_relu_is_relu_of_batchnorm_plus_residual(train):
    """act='relu' gives relu(bn(x) + residual), the same gradients and running statistics as
    the unfused layers, and keeps the parameter names (checkpoints load either way)."""
    x0, r0, gy = rand(4, 3, 5, 5) * 2 + 1, rand(4, 3, 5, 5), rand(4, 3, 5, 5)
    runs = []
    for act in ("relu", None):
        bn = nn.BatchNorm(in_channels=3, momentum=0.8, act=act).initialize()
        bn.gamma.set_data(onp.array([0.5, 1.0, -1.5], "float32"))
        x, r = gk.np.array(x0), gk.np.array(r0)
        x.attach_grad()
        r.attach_grad()
        with autograd.record(train_mode=train):
            y = bn(x, r) if act else npx.relu(bn(x) + r)
        y.backward(gk.np.array(gy))
        runs.append([y.asnumpy(), x.grad.asnumpy(), r.grad.asnumpy(), bn.gamma.grad().asnumpy(),
                     bn.beta.grad().asnumpy(), bn.running_mean.data().asnumpy(),
                     bn.running_var.data().asnumpy()])
        assert list(bn.collect_params()) == ["gamma", "beta", "running_mean", "running_var"]
    for got, expect in zip(*runs):
        onp.testing.assert_allclose(got, expect, rtol=1e-5, atol=1e-6)
    assert "act='relu'" in repr(nn.BatchNorm(in_channels=3, act="relu"))
    assert "act" not in repr(nn.BatchNorm(in_channels=3))


@pytest.mark.parametrize("make, match", [
    (lambda: nn.Conv2D(6, 3, groups=4), "divisible by groups"),
    (lambda: nn.Conv2D(4, 0), "positive"),
    (lambda: nn.Conv2D(4, (3, 3, 3)), "pair"),
    (lambda: nn.Dense(0), "units"),
    (lambda: nn.Activation("gelu2"), "unknown activation"),
    (lambda: nn.BatchNorm(momentum=1.5), "momentum"),
    (lambda: nn.BatchNorm(axis=3), "axis"),
    (lambda: nn.BatchNorm(act="gelu"), "act must be None or 'relu'"),
    (lambda: nn.MaxPool2D(0), "positive"),
])
def test_bad_arguments_fail_in_the_constructor(make, match):
    with pytest.raises(ValueError, match=match):
        make()
