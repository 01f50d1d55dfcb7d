"""The NCCL path on a GPU machine: one rank per GPU (a single GPU still runs every NCCL call)."""
import json
import os

import pytest

import gluonkit as gk

from .mpirun import run_ranks, train_args

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(gk.num_gpus() == 0, reason="needs CuPy and a CUDA device")]


def test_nccl_ranks_train_and_agree_with_mpi(tmp_path):
    n = gk.num_gpus()
    base = ["data.synthetic=true", "data.synthetic_size=256", "data.augment=false",
            "train.epochs=1", "train.progress=false", "train.batch_size=16"]
    runs = {}
    for backend, device in (("nccl", "gpu"), ("mpi", "gpu")):
        out = tmp_path / backend
        done = run_ranks(n, train_args("lenet_mnist.yaml", *base, f"train.device={device}",
                                       f"train.distributed={backend}",
                                       f"train.output_dir={out}"))
        assert done.returncode == 0, done.stdout
        with open(os.path.join(out, "log.jsonl")) as f:
            runs[backend] = [json.loads(line) for line in f]
    assert abs(runs["nccl"][0]["train_loss"] - runs["mpi"][0]["train_loss"]) < 1e-4
