"""Each schedule against its closed form at chosen iterations, warmup included."""
import math

import pytest

from gluonkit.optim.lr_scheduler import (CosineScheduler, LRScheduler, MultiStepScheduler,
                                         PolyScheduler, SequentialScheduler, StepScheduler)

WARM = dict(base_lr=0.4, warmup_steps=10, warmup_begin_lr=0.1)


def warm(t):
    return 0.1 + 0.3 * t / 10


@pytest.mark.parametrize("sched", [
    LRScheduler(**WARM), StepScheduler(20, **WARM), MultiStepScheduler([30], **WARM),
    PolyScheduler(100, **WARM), CosineScheduler(100, **WARM)])
def test_linear_warmup(sched):
    for t in (0, 3, 9):
        assert sched(t) == pytest.approx(warm(t))
    assert sched(10) == pytest.approx(0.4)


def test_constant_warmup_mode():
    sched = CosineScheduler(100, warmup_mode="constant", **WARM)
    assert sched(0) == sched(9) == 0.1


def test_step_decays_every_step_iterations():
    sched = StepScheduler(step=20, factor=0.5, **WARM)
    for t in (10, 19, 20, 39, 40, 65):
        assert sched(t) == pytest.approx(0.4 * 0.5 ** (t // 20))


def test_multistep_counts_reached_milestones():
    sched = MultiStepScheduler([30, 60, 80], factor=0.1, **WARM)
    expected = {10: 0.4, 29: 0.4, 30: 0.04, 59: 0.04, 60: 0.004, 80: 0.0004, 500: 0.0004}
    for t, lr in expected.items():
        assert sched(t) == pytest.approx(lr)


def test_poly():
    sched = PolyScheduler(max_update=110, pwr=2, final_lr=0.01, **WARM)
    for t in (10, 35, 60, 109, 110, 200):
        frac = min((t - 10) / 100, 1.0)
        assert sched(t) == pytest.approx(0.01 + 0.39 * (1 - frac) ** 2)


def test_cosine():
    sched = CosineScheduler(max_update=110, final_lr=0.0, **WARM)
    for t in (10, 35, 60, 85, 110, 300):
        frac = min((t - 10) / 100, 1.0)
        assert sched(t) == pytest.approx(0.2 * (1 + math.cos(math.pi * frac)))
    assert sched(60) == pytest.approx(0.2)


def test_sequential_runs_parts_with_local_steps():
    sched = SequentialScheduler([
        (LRScheduler(base_lr=0.4, warmup_steps=5, warmup_begin_lr=0.0), 5),
        (CosineScheduler(max_update=20, base_lr=0.4), 20),
        (LRScheduler(base_lr=0.001), 1)])
    assert sched(0) == 0.0 and sched(4) == pytest.approx(0.32)
    assert sched(5) == pytest.approx(0.4)
    assert sched(15) == pytest.approx(0.2)
    assert sched(25) == sched(1000) == 0.001


def test_validation():
    with pytest.raises(ValueError, match="warmup_mode"):
        LRScheduler(warmup_mode="exp")
    with pytest.raises(ValueError, match="step"):
        StepScheduler(0)
    with pytest.raises(ValueError, match="length"):
        SequentialScheduler([(LRScheduler(), 0)])
