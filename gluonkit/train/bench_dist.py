"""Data-parallel benchmark on one machine: 1 process x N threads vs N ranks x 1 thread each.

Each row launches fresh processes (the thread count is fixed at start-up): one process with
``GLUONKIT_NUM_THREADS=N`` (BLAS likewise), or ``mpiexec -n N`` ranks with one thread each. The
global batch is the same in both (the workload's CPU batch), split over the ranks; a rank's step
is forward + loss + backward + gradient allreduce + SGD. Reported: images/s of the global batch
(median step) and the allreduce's share of the step time (rank 0's).

    python scripts/benchmark.py --workload lenet_train --ranks 1,2
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import gluonkit as gk
from gluonkit import autograd, dist, model_zoo
from gluonkit.loss import SoftmaxCrossEntropyLoss
from gluonkit.optim import Trainer

from .bench_models import WARMUP, _TABLE, _data

__all__ = ["run", "WORKLOADS"]

WORKLOADS = ("lenet_train", "resnet20_cifar_train")
_THREAD_VARS = ("GLUONKIT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "MKL_NUM_THREADS")


def run(name: str, ranks: list[int], steps: int = 10, batch: int | None = None) -> list[dict]:
    """One row per rank count; the machine's cores are split: ``max(ranks)`` threads in all."""
    if name not in WORKLOADS:
        raise ValueError(f"--ranks runs {', '.join(WORKLOADS)}, not {name!r}")
    cores = max(ranks)
    batch = batch or _TABLE[name].batch_cpu
    return [_launch(name, n, cores // n or 1, steps, batch) for n in ranks]


def _launch(name: str, n: int, threads: int, steps: int, batch: int) -> dict:
    if batch % n:
        raise ValueError(f"the global batch {batch} does not split over {n} ranks")
    env = dict(os.environ, **{k: str(threads) for k in _THREAD_VARS})
    cmd = [sys.executable, "-m", "gluonkit.train.bench_dist", name, str(steps), str(batch)]
    if n > 1:
        mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
        cmd = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", str(n)] + cmd
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    return {"workload": name, "ranks": n, "threads_per_rank": threads, **row}


def _worker(name: str, steps: int, batch: int) -> dict:
    """The timed loop inside one rank (or the single process)."""
    comm = dist.init("mpi") if dist.launched_ranks() > 1 else None
    size = comm.size if comm else 1
    w = _TABLE[name]
    gk.random.seed(0)
    net = model_zoo.get_model(w.model, classes=w.classes)
    xs, ys = _data(w, batch // size, seed=comm.rank if comm else 0)
    x, y = gk.np.array(xs), gk.np.array(ys, dtype="int64")
    reducer = dist.GradientReducer(comm) if size > 1 else None
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9},
                      reduce_gradients=reducer)
    loss_fn = SoftmaxCrossEntropyLoss()
    times, reduced = [], []
    for i in range(WARMUP + steps):
        before = reducer.seconds if reducer else 0.0
        t0 = time.perf_counter()
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])
        if i >= WARMUP:
            times.append(time.perf_counter() - t0)
            reduced.append((reducer.seconds if reducer else 0.0) - before)
    return {"global_batch": batch, "images_per_s": batch / statistics.median(times),
            "allreduce_share": sum(reduced) / sum(times), "steps": steps}


if __name__ == "__main__":
    result = _worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
    if dist.current() is None or dist.current().rank == 0:
        print(json.dumps(result), flush=True)
