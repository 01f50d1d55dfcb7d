"""core/parallel.py: blocked, threaded ufuncs give NumPy's results, with broadcasting and out=."""
import threading

import numpy as onp
import pytest

from gluonkit.core import parallel

rng = onp.random.default_rng(5)


@pytest.mark.parametrize("length,size", [(1, 10), (3, 1 << 20), (64, 1 << 20), (1000, 1 << 22)])
def test_blocks_cover_the_range_once(length, size):
    blocks = parallel._blocks(length, size, threads=2)
    covered = onp.concatenate([onp.arange(length)[b] for b in blocks])
    onp.testing.assert_array_equal(covered, onp.arange(length))
    assert len(blocks) >= min(length, 2)


def test_for_blocks_covers_every_index_in_order():
    blocks = parallel.for_blocks(lambda s: s, 300, 1 << 20)
    onp.testing.assert_array_equal(onp.concatenate([onp.arange(300)[s] for s in blocks]),
                                   onp.arange(300))
    assert len(blocks) == 1 or parallel.num_threads() > 1


@pytest.mark.parametrize("axis", [0, 1])
def test_ufunc_broadcasts_like_numpy(axis):
    x = rng.standard_normal((8, 16, 64, 80)).astype(onp.float32)  # above MIN_PARALLEL_SIZE
    b = rng.standard_normal((1, 16, 1, 1)).astype(onp.float32)
    onp.testing.assert_array_equal(parallel.ufunc(onp.add, x, b, axis=axis), x + b)
    onp.testing.assert_array_equal(parallel.ufunc(onp.maximum, x, 0, axis=axis), onp.maximum(x, 0))
    got = parallel.ufunc(onp.greater, x, b[0], axis=axis)
    assert got.dtype == onp.bool_
    onp.testing.assert_array_equal(got, x > b[0])


def test_ufunc_in_place_keeps_dtype():
    x = rng.standard_normal((8, 64, 32, 32)).astype(onp.float32)
    expect = onp.maximum(x, 0)
    y = parallel.ufunc(onp.maximum, x, 0, out=x)
    assert y is x and x.dtype == onp.float32
    onp.testing.assert_array_equal(x, expect)


def test_small_arrays_run_inline():
    a = onp.arange(6.0).reshape(2, 3)
    onp.testing.assert_array_equal(parallel.ufunc(onp.multiply, a, 2.0), a * 2)



def test_copy_splits_a_layout_change_and_broadcasts():
    src = onp.arange(3 * 400 * 500, dtype=onp.float32).reshape(400, 3, 500)  # 600K elements
    dst = onp.empty((3, 400, 500), onp.float32)
    parallel.copy(dst, src.transpose(1, 0, 2), axis=1)
    onp.testing.assert_array_equal(dst, src.transpose(1, 0, 2))
    row = onp.arange(500, dtype=onp.float32)
    parallel.copy(dst, row, axis=1)
    onp.testing.assert_array_equal(dst, onp.broadcast_to(row, dst.shape))


def test_the_caller_and_the_helpers_share_the_blocks_and_errors_surface():
    threads, meet = set(), threading.Barrier(min(parallel.num_threads(), 2), timeout=60)

    def record(block):
        if threading.get_ident() not in threads:
            threads.add(threading.get_ident())
            if len(threads) <= 2:
                meet.wait()  # the first block of each of two threads: neither can take them all
        return block

    blocks = parallel.for_blocks(record, 64, 1 << 22)
    assert [b.start for b in blocks] == sorted(b.start for b in blocks)
    assert threading.get_ident() in threads and len(threads) == min(parallel.num_threads(), 2)

    def fail(block):
        if block.stop == 64:  # the last block: the caller's or a helper's
            raise RuntimeError(f"block {block} failed")

    with pytest.raises(RuntimeError, match="failed"):
        parallel.for_blocks(fail, 64, 1 << 22)


def test_a_call_from_inside_a_block_runs_inline():
    inner = parallel.for_blocks(lambda s: parallel.for_blocks(lambda t: t, 64, 1 << 22),
                                64, 1 << 22)
    assert all(len(part) == 1 for part in inner)  # no nested hand-off, so no deadlock
