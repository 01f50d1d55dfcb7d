"""SyncBatchNorm on one process is batch norm (the two-rank case runs in test_equivalence)."""
import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import autograd, nn
from gluonkit.dist import SyncBatchNorm
from gluonkit.model_zoo import get_model


def _run(layer, x0, gy, train=True, r0=None):
    layer.initialize()
    layer.gamma.set_data(onp.linspace(0.5, 1.5, x0.shape[1]).astype("float32"))
    x, r = gk.np.array(x0), None if r0 is None else gk.np.array(r0)
    for a in (x, r) if r is not None else (x,):
        a.attach_grad()
    with autograd.record(train_mode=train):
        y = layer(x) if r is None else layer(x, r)
    y.backward(gk.np.array(gy))
    return [y.asnumpy(), x.grad.asnumpy(), layer.gamma.grad().asnumpy(),
            layer.beta.grad().asnumpy(), layer.running_mean.data().asnumpy(),
            layer.running_var.data().asnumpy()] + ([] if r is None else [r.grad.asnumpy()])


@pytest.mark.parametrize("act,residual", [(None, False), ("relu", False), ("relu", True)])
@pytest.mark.parametrize("train", [True, False])
def test_one_process_sync_bn_equals_batch_norm(train, act, residual):
    """Also with act='relu' (+ residual): SyncBatchNorm applies them unfused after its own op,
    nn.BatchNorm through the fused one."""
    rng = onp.random.default_rng(0)
    x0 = (rng.normal(size=(6, 4, 3, 3)) * 2 + 1).astype("float32")
    gy = rng.normal(size=x0.shape).astype("float32")
    r0 = rng.normal(size=x0.shape).astype("float32") if residual else None
    ref = _run(nn.BatchNorm(in_channels=4, momentum=0.8, act=act), x0, gy, train, r0)
    got = _run(SyncBatchNorm(in_channels=4, momentum=0.8, act=act), x0, gy, train, r0)
    for r, g in zip(ref, got):
        onp.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-6)


def test_sync_bn_needs_the_channel_count():
    with pytest.raises(ValueError, match="in_channels"):
        SyncBatchNorm()


@pytest.mark.parametrize("name", ["cifar_resnet20_v1", "cifar_resnet20_v2", "resnest14",
                                  "googlenet", "inceptionv3"])
def test_model_families_build_every_norm_with_norm_layer(name):
    net = get_model(name, norm_layer=SyncBatchNorm)
    plain = get_model(name)
    norms = [type(b) for b in _blocks(net) if isinstance(b, nn.BatchNorm)]
    assert norms and set(norms) == {SyncBatchNorm}
    assert len(norms) == sum(isinstance(b, nn.BatchNorm) for b in _blocks(plain))
    assert sorted(net.state_dict()) == sorted(plain.state_dict())  # checkpoints interchange


def _blocks(block):
    for child in block.children():
        yield child
        yield from _blocks(child)
