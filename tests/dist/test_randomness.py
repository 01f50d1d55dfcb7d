"""Each rank draws its own dropout/mixup randomness from (seed, rank); a seeded run repeats."""
import os

import numpy as onp
from safetensors.numpy import load_file

from .mpirun import run_ranks, train_args

DRAW = """
import hashlib
import gluonkit as gk
from gluonkit import autograd, dist, npx
from gluonkit.train.distributed import Distributed
ranks = Distributed(dist.init("mpi"))
gk.random.seed(ranks.seed(5))
with autograd.train_mode():
    mask = npx.dropout(gk.np.ones((1, 64)), 0.5).asnumpy()
masks = ranks.comm.allgather_object(hashlib.md5(mask.tobytes()).hexdigest())
if ranks.rank == 0:
    print("differ" if masks[0] != masks[1] else "same", *masks)
"""


def test_ranks_draw_different_dropout_masks_and_repeat_them():
    first = run_ranks(2, ["-c", DRAW], timeout=300)
    again = run_ranks(2, ["-c", DRAW], timeout=300)
    assert first.returncode == 0, first.stdout
    assert "differ" in first.stdout, first.stdout
    assert first.stdout.split()[-2:] == again.stdout.split()[-2:]


def test_a_seeded_two_rank_run_with_mixup_repeats_bit_for_bit(tmp_path):
    args = ["data.synthetic=true", "data.synthetic_size=128", "train.epochs=1",
            "train.progress=false", "train.batch_size=16", "tricks.mixup_alpha=0.4",
            "train.distributed=mpi"]
    weights = []
    for run in ("a", "b"):
        done = run_ranks(2, train_args("lenet_mnist.yaml", *args,
                                       f"train.output_dir={tmp_path / run}"))
        assert done.returncode == 0, done.stdout
        weights.append(load_file(os.path.join(tmp_path / run, "last.safetensors")))
    for k in weights[0]:
        onp.testing.assert_array_equal(weights[0][k], weights[1][k], err_msg=k)
