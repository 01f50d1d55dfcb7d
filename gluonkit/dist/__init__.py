"""Data-parallel training on an existing engine: MPI (mpi4py) across processes and machines, NCCL
for GPU collectives (CuPy), a distributed sampler, bucketed gradient averaging and sync batch norm.

    comm = gluonkit.dist.init("mpi")           # under: mpiexec -n 2 python train.py
    trainer = Trainer(params, "sgd", {...}, reduce_gradients=GradientReducer(comm))

``scripts/train.py --set train.distributed=mpi`` wires all of it (gluonkit/train/distributed.py).
"""
from __future__ import annotations

from .comm import INSTALL_HINT, Communicator, DistributedError, launched_ranks
from .reducer import GradientReducer, plan_buckets
from .sampler import DistributedSampler, rank_seed
from .scaler import DistributedLossScaler
from .sync_bn import SyncBatchNorm

__all__ = ["init", "current", "Communicator", "DistributedError", "GradientReducer",
           "DistributedSampler", "DistributedLossScaler", "SyncBatchNorm", "rank_seed",
           "plan_buckets", "launched_ranks", "INSTALL_HINT", "BACKENDS"]

BACKENDS = ("mpi", "nccl")
_current: Communicator | None = None


def init(backend: str = "mpi") -> Communicator:
    """This process's communicator over all ranks (created once; MPI starts here)."""
    global _current
    if backend not in BACKENDS:
        raise ValueError(f"distributed backend must be one of {BACKENDS}, got {backend!r}")
    if _current is not None:
        if _current.backend != backend:
            raise RuntimeError(f"gluonkit.dist already runs on {_current.backend!r}; one "
                               f"process cannot switch to {backend!r}")
        return _current
    if backend == "nccl":
        from .nccl import NCCLCommunicator
        _current = NCCLCommunicator()
    else:
        _current = Communicator()
    return _current


def current() -> Communicator | None:
    """The communicator ``init`` made, or None in a single-process run."""
    return _current
