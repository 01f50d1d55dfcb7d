"""Initializers: the distributions Gluon defines, seeded reproducibility, names and errors."""
import math

import numpy as onp
import pytest

import gluonkit as gk
from gluonkit import nn
from gluonkit.nn import init


def fill(initializer, shape):
    a = onp.empty(shape)
    initializer(a, onp.random.default_rng(1))
    return a


def test_constants():
    assert (fill(init.Zero(), (3, 2)) == 0).all()
    assert (fill(init.One(), (3,)) == 1).all()
    assert (fill(init.Constant(0.25), (2, 2)) == 0.25).all()


def test_uniform_and_normal_ranges():
    u = fill(init.Uniform(0.1), (200, 200))
    assert onp.abs(u).max() <= 0.1 and abs(u.std() - 0.1 / math.sqrt(3)) < 2e-3
    n = fill(init.Normal(0.02), (200, 200))
    assert abs(n.std() - 0.02) < 5e-4 and abs(n.mean()) < 5e-4


def test_xavier_uniform_bound_uses_average_fan():
    shape = (64, 32, 3, 3)  # fan_in 288, fan_out 576
    w = fill(init.Xavier(), shape)
    bound = math.sqrt(3 / ((288 + 576) / 2))
    assert onp.abs(w).max() <= bound and onp.abs(w).max() > 0.99 * bound
    g = fill(init.Xavier("gaussian", "in", 2), shape)
    assert abs(g.std() - math.sqrt(2 / 288)) < 0.02 * math.sqrt(2 / 288)


def test_msraprelu_and_kaiming_std():
    shape = (128, 64, 3, 3)
    w = fill(init.MSRAPrelu(), shape)
    expected = math.sqrt(2 / (1 + 0.25 ** 2) / ((576 + 1152) / 2))
    assert abs(w.std() - expected) < 0.02 * expected
    k = fill(init.KaimingNormal(), shape)
    assert abs(k.std() - math.sqrt(2 / 1152)) < 0.02 * math.sqrt(2 / 1152)


def test_seed_repeats_and_device_independent_values():
    gk.random.seed(7)
    a = nn.Dense(4, in_units=3).initialize().weight.data().asnumpy()
    gk.random.seed(7)
    b = nn.Dense(4, in_units=3).initialize().weight.data().asnumpy()
    onp.testing.assert_array_equal(a, b)


def test_create_by_name_and_errors():
    assert isinstance(init.create("zeros"), init.Zero)
    assert isinstance(init.create("Xavier"), init.Xavier)
    with pytest.raises(ValueError, match="unknown initializer"):
        init.create("glorot-ish")
    with pytest.raises(ValueError, match="rnd_type"):
        init.Xavier(rnd_type="cauchy")
    with pytest.raises(ValueError, match="1-D"):
        fill(init.Xavier(), (5,))


def test_force_reinit():
    dense = nn.Dense(2, in_units=2).initialize(init.One())
    dense.initialize(init.Zero())
    assert (dense.weight.data().asnumpy() == 1).all()
    dense.initialize(init.Zero(), force_reinit=True)
    assert (dense.weight.data().asnumpy() == 0).all()
