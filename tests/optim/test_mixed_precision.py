"""bfloat16 alongside float16: float32 master weights, the same update as float32 on the CPU."""
from __future__ import annotations

import numpy as np
import pytest

from gluonkit.core import dtypes
from gluonkit.optim import optimizer as opt

bf16 = pytest.importorskip("ml_dtypes").bfloat16


def test_low_precision_dtypes():
    assert dtypes.is_low_precision(np.float16) and dtypes.is_low_precision(bf16)
    assert not dtypes.is_low_precision(np.float32) and not dtypes.is_low_precision(np.int16)
    assert dtypes.resolve("bfloat16") == np.dtype(bf16)


@pytest.mark.parametrize("name", ["sgd", "nag", "adam", "adamw"])
@pytest.mark.parametrize("low", [np.float16, bf16], ids=["float16", "bfloat16"])
def test_master_weights_follow_the_float32_update(name, low):
    rng = np.random.default_rng(0)
    w32 = rng.standard_normal(64).astype(np.float32)
    kw = {"momentum": 0.9} if name in ("sgd", "nag") else {}
    ref, mixed = opt.create(name, learning_rate=0.1, wd=1e-3, **kw), \
        opt.create(name, learning_rate=0.1, wd=1e-3, multi_precision=True, **kw)
    w_low = w32.astype(low)
    s_ref, s_low = ref.create_state(w_low.astype(np.float32)), mixed.create_state(w_low)
    assert s_low["master"].dtype == np.float32
    w_ref = w_low.astype(np.float32)
    for _ in range(5):
        g = rng.standard_normal(64).astype(np.float32)
        ref.update(w_ref, g.astype(low).astype(np.float32), s_ref)
        mixed.update(w_low, g.astype(low), s_low)
    # the master copy carries the float32 update exactly; the weight is its rounding
    np.testing.assert_allclose(s_low["master"], w_ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(w_low, s_low["master"].astype(low))
    assert w_low.dtype == np.dtype(low)
