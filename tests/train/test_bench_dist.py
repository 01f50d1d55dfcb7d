"""The data-parallel benchmark runs its rows (what it measures is not asserted: no timing)."""
import pytest

from gluonkit.train import bench_dist

from ..dist.mpirun import mpiexec


def test_rows_for_one_process_and_two_ranks():
    mpiexec()  # fails loudly without mpi4py/mpiexec
    rows = bench_dist.run("lenet_train", [1, 2], steps=1, batch=8)
    assert [(r["ranks"], r["threads_per_rank"], r["global_batch"]) for r in rows] == \
        [(1, 2, 8), (2, 1, 8)]
    assert rows[0]["allreduce_share"] == 0.0
    assert 0.0 < rows[1]["allreduce_share"] < 1.0


def test_unknown_workload_and_uneven_split_are_refused():
    with pytest.raises(ValueError, match="lenet_train"):
        bench_dist.run("resnet50_train", [1, 2])
    with pytest.raises(ValueError, match="does not split over 2 ranks"):
        bench_dist.run("lenet_train", [2], batch=7)
