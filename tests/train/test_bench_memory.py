"""``--workload memory`` measures a step's peak by the kernel's resident-size high-water mark."""
import numpy as onp

from gluonkit.train.bench_memory import step_peak_mb


def test_step_peak_counts_what_the_step_allocates_and_frees():
    def step():
        big = onp.ones(64 * 2**20 // 8)  # 64 MB, touched, then freed before returning
        assert big.sum() > 0

    peak = step_peak_mb(step)
    assert 60 <= peak <= 80, peak
    assert step_peak_mb(lambda: None) < 8
