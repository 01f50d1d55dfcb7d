"""``Communicator``: the collectives data-parallel training needs, over MPI (mpi4py).

One process per rank, launched by ``mpiexec``. Every blocking wait polls a non-blocking request
with a deadline, so a peer that hangs turns into a ``DistributedError`` instead of a silent hang.
A rank that raises calls ``abort``, which names it and makes the launcher end the others.

    comm = init_mpi()
    comm.allreduce(grad_buffer)            # in-place sum over ranks (a NumPy array)
    if comm.any(local_overflow): ...       # the same decision on every rank
"""
from __future__ import annotations

import os
import socket
import sys
import time
import traceback

import numpy as onp

__all__ = ["Communicator", "DistributedError", "import_mpi", "launched_ranks", "INSTALL_HINT"]

INSTALL_HINT = ("pip install 'gluonkit[dist]' (mpi4py and the mpich wheel, which brings its own "
                "mpiexec), then launch with: mpiexec -n 2 python scripts/train.py ...")

# Seconds a collective may wait for the other ranks before it gives up (checkpoint writes by
# rank 0 and the first step's warm-up fit well inside it).
DEFAULT_TIMEOUT = 300.0


class DistributedError(RuntimeError):
    """A collective could not complete: a peer rank hangs, died or raised."""


def import_mpi():
    """mpi4py's MPI module, or an ImportError that says how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"distributed training needs mpi4py and an MPI library ({e}); "
                          + INSTALL_HINT) from e
    return MPI


def launched_ranks() -> int:
    """How many ranks the MPI launcher started this process among (1 outside ``mpiexec``),
    read from the environment the launchers set, without initializing MPI."""
    for key in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        if os.environ.get(key, "").isdigit():
            return int(os.environ[key])
    return 1


class Communicator:
    """Collectives over an mpi4py communicator (default: ``COMM_WORLD``) on host arrays.

    ``timeout`` (seconds; ``GLUONKIT_DIST_TIMEOUT`` overrides the default) bounds every wait.
    """

    backend = "mpi"

    def __init__(self, mpi_comm=None, timeout: float | None = None):
        MPI = import_mpi()
        self.MPI = MPI
        self.comm = mpi_comm if mpi_comm is not None else MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        local = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        env = os.environ.get("GLUONKIT_DIST_TIMEOUT")
        self.timeout = float(env) if env else (timeout or DEFAULT_TIMEOUT)
        self.host, self.pid = socket.gethostname(), os.getpid()

    # ------------------------------------------------------------------ waiting
    def _wait(self, request, what: str) -> None:
        """Poll ``request`` until it completes, or raise once ``timeout`` has passed."""
        deadline = time.monotonic() + self.timeout
        delay = 0.0
        while not request.Test():
            if time.monotonic() > deadline:
                raise DistributedError(
                    f"rank {self.rank} of {self.size}: {what} got no answer from the other ranks "
                    f"in {self.timeout:.0f}s; a rank hangs or died (its own output says which "
                    "and why). If a step legitimately takes longer, raise GLUONKIT_DIST_TIMEOUT "
                    "(seconds).")
            time.sleep(delay)
            delay = min(2 * delay or 1e-5, 1e-3)

    # ------------------------------------------------------------------ collectives
    def allreduce(self, buf, op: str = "sum") -> None:
        """Reduce a contiguous host array over the ranks, in place (``op``: sum, max, min)."""
        if self.size == 1:
            return
        if not isinstance(buf, onp.ndarray):  # a GPU array; this MPI is not CUDA-aware
            host = buf.get()
            self.allreduce(host, op)
            buf.set(host)
            return
        mpi_op = {"sum": self.MPI.SUM, "max": self.MPI.MAX, "min": self.MPI.MIN}[op]
        self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=mpi_op),
                   f"allreduce({op}) of {buf.size} values")

    def broadcast(self, buf, root: int = 0) -> None:
        """Overwrite a contiguous host array with root's, in place."""
        if self.size == 1:
            return
        if not isinstance(buf, onp.ndarray):  # a GPU array, through the host
            host = buf.get()
            self.broadcast(host, root)
            buf.set(host)
            return
        self._wait(self.comm.Ibcast(buf, root=root), f"broadcast of {buf.size} values")

    def sum_values(self, values) -> onp.ndarray:
        """Float64 sums over the ranks of a few host numbers."""
        buf = onp.array(values, dtype=onp.float64)
        self.allreduce(buf)
        return buf

    def any(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is true on any rank."""
        buf = onp.array([1 if flag else 0], dtype=onp.int32)
        self.allreduce(buf, "max")
        return bool(buf[0])

    def allgather_object(self, obj) -> list:
        """Every rank's (small, picklable) object, in rank order."""
        if self.size == 1:
            return [obj]
        self.barrier()
        return self.comm.allgather(obj)

    def barrier(self) -> None:
        if self.size > 1:
            self._wait(self.comm.Ibarrier(), "barrier")

    # ------------------------------------------------------------------ failure
    def abort(self, error: BaseException, code: int = 1) -> None:
        """Print which rank failed and why, then end every rank (MPI_Abort)."""
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        sys.stderr.write(f"{tb}gluonkit.dist: rank {self.rank} of {self.size} (pid {self.pid} on "
                         f"{self.host}) failed: {type(error).__name__}: {error}; aborting all "
                         "ranks\n")
        sys.stderr.flush()
        self.comm.Abort(code)

    def describe(self) -> str:
        """One line naming every rank's pid and host (a launcher's report names pids)."""
        ranks = self.allgather_object((self.pid, self.host))
        return ", ".join(f"rank {r} pid {pid} on {host}" for r, (pid, host) in enumerate(ranks))
