"""train.blas_threads: the BLAS library runs that many threads inside the context, as before
after it; null leaves it alone; less than one is a config error."""
import numpy  # noqa: F401 - loads the BLAS library threadpoolctl looks for
import pytest
from threadpoolctl import threadpool_info

from gluonkit.train.config import ConfigError
from gluonkit.train.device import blas_threads


def _threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_blas_threads_holds_inside_the_context_only():
    before = _threads()
    assert before, "no BLAS library found"
    with blas_threads(1):
        assert _threads() == [1] * len(before)
    assert _threads() == before
    with blas_threads(None):
        assert _threads() == before


def test_blas_threads_below_one_is_refused():
    with pytest.raises(ConfigError, match="blas_threads must be at least 1"):
        blas_threads(0)
