"""Each bag-of-tricks function against its formula."""
import math

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import np
from gluonkit.data import cutmix, mixup
from gluonkit.loss import DistillationLoss, SoftmaxCrossEntropyLoss
from gluonkit.model_zoo import get_model
from gluonkit.train import tricks
from gluonkit.train.config import ScheduleConfig


def test_linear_scaling_rule():
    assert tricks.scale_lr(0.1, 1024) == pytest.approx(0.4)
    assert tricks.scale_lr(0.2, 64) == pytest.approx(0.05)
    with pytest.raises(ValueError):
        tricks.scale_lr(0.1, 0)


def test_warmup_then_cosine_closed_form():
    s = tricks.build_lr_scheduler(ScheduleConfig(name="cosine", warmup_epochs=2), 0.4, 10, 12)
    assert s(0) == 0.0
    assert s(5) == pytest.approx(0.4 * 5 / 20)
    assert s(20) == pytest.approx(0.4)
    t = 70
    assert s(t) == pytest.approx(0.4 * (1 + math.cos(math.pi * (t - 20) / 100)) / 2)
    assert s(120) == pytest.approx(0.0)


def test_step_and_poly_schedules():
    step = tricks.build_lr_scheduler(ScheduleConfig(name="step", step_epochs=[3, 6],
                                                    step_factor=0.1), 1.0, 10, 9)
    assert [step(29), step(30), step(59), step(60)] == pytest.approx([1.0, 0.1, 0.1, 0.01])
    poly = tricks.build_lr_scheduler(ScheduleConfig(name="poly", power=2.0), 1.0, 10, 10)
    assert poly(50) == pytest.approx(0.25)


def test_no_bias_decay_touches_only_bias_and_bn():
    net = get_model("resnet18_v1b", classes=10)
    n = tricks.apply_no_bias_decay(net)
    params = net.collect_params()
    zero = {name for name, p in params.items() if p.wd_mult == 0}
    assert n == len(zero) > 0
    assert all(name.endswith(("bias", "gamma", "beta")) for name in zero)
    assert params["layer1.0.conv1.weight"].wd_mult == 1.0


def test_mixup_schedule():
    assert tricks.mixup_enabled(0.2, 0, 10, 2) and tricks.mixup_enabled(0.2, 7, 10, 2)
    assert not tricks.mixup_enabled(0.2, 8, 10, 2)
    assert not tricks.mixup_enabled(0.0, 0, 10, 0)


def test_mixup_and_cutmix_targets():
    x = onp.arange(2 * 1 * 4 * 4, dtype=onp.float32).reshape(2, 1, 4, 4)
    y = onp.array([0, 2])
    rng = onp.random.default_rng(0)
    mx, my = mixup(x, y, 3, 0.4, rng=onp.random.default_rng(0))
    lam = rng.beta(0.4, 0.4)
    perm = rng.permutation(2)
    onp.testing.assert_allclose(mx, lam * x + (1 - lam) * x[perm], rtol=1e-6)
    onp.testing.assert_allclose(my.sum(axis=1), 1.0)
    cx, cy = cutmix(x, y, 3, 1.0, rng=onp.random.default_rng(1))
    pasted = (cx != x).mean(axis=(1, 2, 3))
    onp.testing.assert_allclose(cy.sum(axis=1), 1.0)
    assert (cy.max(axis=1) >= 0.5).all() and pasted.max() <= 1.0


def test_label_smoothing_loss_formula():
    logits = onp.array([[2.0, 0.5, -1.0]])
    loss = SoftmaxCrossEntropyLoss(label_smoothing=0.3)(np.array(logits), np.array([1]))
    logp = logits - onp.log(onp.exp(logits).sum())
    target = 0.7 * onp.array([0, 1, 0]) + 0.1
    assert loss.asnumpy()[0] == pytest.approx(-(target * logp).sum(), rel=1e-5)


def test_distillation_loss_formula():
    s = onp.array([[1.0, 2.0, 0.5]])
    t = onp.array([[0.2, 3.0, 1.0]])
    T, w = 4.0, 0.25
    got = DistillationLoss(temperature=T, hard_weight=w)(np.array(s), np.array([2]), np.array(t))
    p = onp.exp(t / T) / onp.exp(t / T).sum()
    logq = s / T - onp.log(onp.exp(s / T).sum())
    kl = (p * (onp.log(p) - logq)).sum()
    hard = -(s - onp.log(onp.exp(s).sum()))[0, 2]
    assert got.asnumpy()[0] == pytest.approx(w * hard + (1 - w) * T * T * kl, rel=1e-5)


def test_distillation_gradient_reaches_student_only():
    s = np.array([[1.0, 2.0, 0.5]]).attach_grad()
    t = np.array([[0.2, 3.0, 1.0]]).attach_grad()
    with gk.autograd.record():
        loss = DistillationLoss(temperature=2.0, hard_weight=0.0)(s, np.array([0]), t)
    loss.backward()
    assert onp.abs(s.grad.asnumpy()).sum() > 0
    assert onp.abs(t.grad.asnumpy()).sum() == 0


def test_finetune_knobs_leave_the_head_trainable():
    from gluonkit.train.config import FinetuneConfig

    net = get_model("resnet18_v1b", classes=10)
    tricks.apply_finetune(net, FinetuneConfig(backbone_lr_mult=0.1, freeze_backbone=True,
                                              freeze_bn=True))
    params = net.collect_params()
    assert params["fc.weight"].lr_mult == 1.0 and params["fc.weight"].grad_req == "write"
    assert params["layer1.0.conv1.weight"].lr_mult == 0.1
    assert params["layer1.0.conv1.weight"].grad_req == "null"
    assert params["bn1.gamma"].grad_req == "null"
    x = np.random.normal(size=(2, 3, 32, 32))
    before = params["bn1.running_mean"].data().asnumpy().copy()
    with gk.autograd.record():
        net(x)  # frozen BN statistics: no update even in training mode
    onp.testing.assert_array_equal(params["bn1.running_mean"].data().asnumpy(), before)
