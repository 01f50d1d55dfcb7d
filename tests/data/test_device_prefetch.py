"""DevicePrefetcher: the CPU path converts and casts; the GPU path overlaps the copies."""
from __future__ import annotations

import numpy as np
import pytest

import gluonkit as gk
from gluonkit.data import DataLoader
from gluonkit.data.device_prefetch import DevicePrefetcher


class _Squares:
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.full((2, 3), i, np.float32), i


def test_batches_arrive_in_order_as_device_arrays(device):
    loader = DataLoader(_Squares(), batch_size=4, pin_memory=device.kind == "gpu")
    batches = list(loader.to(device, dtype="float16"))
    assert len(batches) == len(loader) == 3
    for k, (x, y) in enumerate(batches):
        assert isinstance(x, gk.ndarray) and x.device == device
        assert x.dtype == np.float16 and y.dtype == np.int64  # floats cast, labels kept
        want = np.arange(4 * k, min(4 * k + 4, 10))
        np.testing.assert_array_equal(y.asnumpy(), want)
        np.testing.assert_array_equal(x.asnumpy()[:, 0, 0], want.astype(np.float16))


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        DevicePrefetcher([], gk.cpu(), depth=0)
