"""What the training engine asks about the ranks, in one object: ``setup(cfg.train)``.

A single-process run gets a ``Distributed`` without a communicator, whose hooks change nothing;
``train.distributed: mpi | nccl`` (under ``mpiexec``) gets one over all ranks: the global batch,
per-rank seeds, the gradient reducer, the agreed loss scaler, rank-0-only output, and combined
train/eval figures. ``true`` means ``nccl`` on a GPU device and ``mpi`` on the CPU.
"""
from __future__ import annotations

import contextlib

from gluonkit import dist
from gluonkit.optim.loss_scaler import DynamicLossScaler

__all__ = ["Distributed", "setup", "backend_for", "sync_norm_layer"]

# The families whose constructors take ``norm_layer``: lenet has no batch norm.
_NORM_FAMILIES = ("resnet", "cifar_resnet", "resnest", "googlenet", "inception")

_MEANS = ("train_loss", "train_acc")  # per-rank averages over equally many samples
_EVAL = ("val_loss", "val_top1", "val_top5")


def backend_for(mode, device: str):
    """The backend a ``train.distributed`` value asks for (None: a single process)."""
    if mode is False:
        return None
    if mode is True:
        return "nccl" if device.startswith("gpu") else "mpi"
    if mode == "nccl" and not device.startswith("gpu"):
        raise ValueError("train.distributed=nccl runs on GPUs: set train.device=gpu (one process "
                         "per GPU), or use train.distributed=mpi on the CPU")
    return mode


def sync_norm_layer(model_name: str):
    """``model.sync_bn``: the norm layer for a model, or an error when it has no batch norm."""
    if not model_name.startswith(_NORM_FAMILIES):
        raise ValueError(f"model.sync_bn: {model_name} has no batch norm to synchronize (the "
                         f"families with a norm_layer: {', '.join(_NORM_FAMILIES)})")
    return dist.SyncBatchNorm


def setup(train_cfg) -> "Distributed":
    """The Distributed context of a TrainConfig (starts MPI when it asks for ranks)."""
    backend = backend_for(train_cfg.distributed, train_cfg.device)
    if backend is None:
        launched = dist.launched_ranks()
        if launched > 1:
            raise ValueError(
                f"this process is one of {launched} MPI ranks but train.distributed is false: "
                "each rank would train alone and write the same files. Set "
                "train.distributed=mpi (or nccl on GPUs), or start one process without mpiexec")
        return Distributed(None)
    return Distributed(dist.init(backend))


class Distributed:
    """The ranks of a run as the engine sees them (``comm`` None: one process)."""

    def __init__(self, comm):
        self.comm = comm
        self.rank = comm.rank if comm else 0
        self.size = comm.size if comm else 1
        self.is_main = self.rank == 0
        self.reducer = dist.GradientReducer(comm) if self.size > 1 else None

    def device(self, device):
        """The NCCL backend drives the GPU of its local rank; otherwise ``device`` itself."""
        if self.comm is not None and self.comm.backend == "nccl":
            import gluonkit as gk
            return gk.gpu(self.comm.device_index)
        return device

    def seed(self, seed: int) -> int:
        """This rank's seed for dropout and mixup draws (augmentation follows the sample)."""
        return dist.rank_seed(seed, self.rank)

    def global_batch(self, batch_size: int) -> int:
        return batch_size * self.size

    def main_only(self, log):
        """``log`` on rank 0; a no-op on the others."""
        return log if self.is_main else (lambda *args, **kwargs: None)

    def loss_scaler(self) -> DynamicLossScaler:
        return dist.DistributedLossScaler(self.comm) if self.size > 1 else DynamicLossScaler()

    def output_dir(self, cfg, resume: bool) -> str:
        """The run's folder, made by rank 0 alone and known to every rank."""
        from .run_dir import resolve_output_dir
        path = resolve_output_dir(cfg, resume) if self.is_main else None
        return path if self.size == 1 else self.comm.allgather_object(path)[0]

    def describe(self) -> str:
        """The run's ranks in one line, for the first log line (pids map a launcher's report of a
        dead process to its rank)."""
        if self.comm is None:
            return "1 process"
        return f"{self.size} ranks over {self.comm.backend}: {self.comm.describe()}"

    def broadcast_parameters(self, net) -> None:
        """Give every rank rank 0's parameter values (equal seeds make them equal already; this
        holds it whatever a model's initialization does)."""
        if self.size == 1:
            return
        for p in net.collect_params().values():
            self.comm.broadcast(p.data().raw)

    def combine_train(self, stats: dict) -> dict:
        """One epoch's training figures over all ranks."""
        if self.size == 1:
            return stats
        sums = self.comm.sum_values([stats[k] for k in _MEANS] + [stats["images_per_s"]])
        out = dict(stats)
        for k, v in zip(_MEANS, sums):
            out[k] = float(v) / self.size
        out["images_per_s"] = float(sums[-1])
        return out

    def combine_eval(self, result: dict, images: int) -> dict:
        """Evaluation figures of all ranks' shards, weighted by their image counts."""
        if self.size == 1:
            return result
        sums = self.comm.sum_values([result[k] * images if images else 0.0 for k in _EVAL]
                                    + [images])
        total = float(sums[-1])
        return {**result, **{k: float(v) / total for k, v in zip(_EVAL, sums)}}

    @contextlib.contextmanager
    def guard(self):
        """A rank that raises names itself and ends the others (rather than leaving them
        waiting in a collective)."""
        try:
            yield
        except BaseException as e:
            if self.size > 1:
                self.comm.abort(e)
            raise
