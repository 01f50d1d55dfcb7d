"""The engine's distributed hooks on one process: config values, refusals, install hint."""
import sys

import pytest

from gluonkit.dist import comm as dist_comm
from gluonkit.train import ConfigError, load_config
from gluonkit.dist import SyncBatchNorm
from gluonkit.train.distributed import Distributed, backend_for, setup, sync_norm_layer

from .test_engine import CONFIGS


def _cfg(*overrides):
    return load_config(f"{CONFIGS}/lenet_mnist.yaml", list(overrides))


def test_config_takes_mpi_nccl_or_a_bool_and_nothing_else():
    assert _cfg("train.distributed=mpi").train.distributed == "mpi"
    assert _cfg("train.distributed=nccl").train.distributed == "nccl"
    assert _cfg().train.distributed is False
    with pytest.raises(ConfigError, match="train.distributed"):
        _cfg("train.distributed=gloo")


def test_true_picks_the_backend_of_the_device():
    assert backend_for(True, "cpu") == "mpi"
    assert backend_for(True, "gpu:1") == "nccl"
    assert backend_for(False, "gpu") is None
    with pytest.raises(ValueError, match="train.device=gpu"):
        backend_for("nccl", "cpu")


def test_ranks_launched_without_train_distributed_are_refused(monkeypatch):
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(ValueError, match="one of 2 MPI ranks but train.distributed is false"):
        setup(_cfg().train)


def test_single_process_hooks_change_nothing():
    ranks = setup(_cfg().train)
    assert (ranks.rank, ranks.size, ranks.is_main, ranks.reducer) == (0, 1, True, None)
    assert ranks.seed(5) == 5 and ranks.global_batch(64) == 64
    stats = {"train_loss": 1.0, "train_acc": 0.5, "images_per_s": 3.0}
    assert ranks.combine_train(stats) is stats


def test_missing_mpi4py_fails_loudly_with_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install 'gluonkit\[dist\]'"):
        dist_comm.import_mpi()
    with pytest.raises(ImportError, match="mpi4py"):
        Distributed(dist_comm.Communicator())


def test_sync_bn_names_models_without_batch_norm():
    assert sync_norm_layer("resnet50_v1d") is SyncBatchNorm
    with pytest.raises(ValueError, match="lenet has no batch norm"):
        sync_norm_layer("lenet")
