"""``NCCLCommunicator``: gradient collectives on GPUs through NCCL (CuPy's ``cupy.cuda.nccl``).

One process per GPU: rank r of a machine drives GPU ``local_rank``. MPI starts the processes and
carries the NCCL unique id from rank 0 to the others; device arrays are reduced by NCCL on the
current stream, host arrays (flags, metrics) still go through MPI. A wait polls a CUDA event
with the same deadline as the MPI waits and aborts the NCCL communicator when it passes.
"""
from __future__ import annotations

import time

from .comm import Communicator, DistributedError

__all__ = ["NCCLCommunicator"]

_DTYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
           "int32": "NCCL_INT32", "int64": "NCCL_INT64", "uint8": "NCCL_UINT8",
           "int8": "NCCL_INT8", "bfloat16": "NCCL_BFLOAT16"}
_OPS = {"sum": "NCCL_SUM", "max": "NCCL_MAX", "min": "NCCL_MIN"}


def _import_nccl():
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as e:
        raise ImportError(f"train.distributed='nccl' needs CuPy built with NCCL ({e}); "
                          "pip install 'gluonkit[gpu,dist]', or use train.distributed=mpi") from e
    if not getattr(nccl, "available", True):
        raise ImportError("this CuPy finds no NCCL library; install the nvidia-nccl-cu12 wheel, "
                          "or use train.distributed=mpi")
    return cupy, nccl


class NCCLCommunicator(Communicator):
    """An MPI ``Communicator`` whose collectives on CuPy arrays run through NCCL."""

    backend = "nccl"

    def __init__(self, mpi_comm=None, timeout: float | None = None):
        super().__init__(mpi_comm, timeout)
        self.cupy, self.nccl = _import_nccl()
        if self.local_rank >= self.cupy.cuda.runtime.getDeviceCount():
            raise DistributedError(
                f"rank {self.rank} is local rank {self.local_rank} on {self.host}, which has "
                f"{self.cupy.cuda.runtime.getDeviceCount()} GPU(s): start one process per GPU")
        self.device_index = self.local_rank
        self.cupy.cuda.Device(self.device_index).use()
        uid = self.nccl.get_unique_id() if self.rank == 0 else None
        self.barrier()
        uid = self.comm.bcast(uid, root=0)
        self.group = self.nccl.NcclCommunicator(self.size, uid, self.rank)

    def _on_gpu(self, buf) -> bool:
        return isinstance(buf, self.cupy.ndarray)

    def _wait_stream(self, stream, what: str) -> None:
        event = stream.record()
        deadline = time.monotonic() + self.timeout
        while not event.done:
            if time.monotonic() > deadline:
                self.group.abort()
                raise DistributedError(
                    f"rank {self.rank} of {self.size}: NCCL {what} did not finish in "
                    f"{self.timeout:.0f}s; a rank hangs or died (its own output says which). "
                    "Raise GLUONKIT_DIST_TIMEOUT (seconds) if a step legitimately takes longer.")
            time.sleep(1e-4)

    def _args(self, buf):
        name = _DTYPES.get(str(buf.dtype))
        if name is None or not hasattr(self.nccl, name):
            raise TypeError(f"NCCL cannot reduce {buf.dtype} arrays")
        if not buf.flags.c_contiguous:
            raise ValueError("NCCL collectives need contiguous arrays")
        return buf.data.ptr, buf.size, getattr(self.nccl, name)

    def allreduce(self, buf, op: str = "sum") -> None:
        if not self._on_gpu(buf):
            return super().allreduce(buf, op)
        if self.size == 1:
            return
        ptr, count, dtype = self._args(buf)
        stream = self.cupy.cuda.get_current_stream()
        self.group.allReduce(ptr, ptr, count, dtype, getattr(self.nccl, _OPS[op]), stream.ptr)
        self._wait_stream(stream, f"allreduce({op}) of {count} values")

    def broadcast(self, buf, root: int = 0) -> None:
        if not self._on_gpu(buf):
            return super().broadcast(buf, root)
        if self.size == 1:
            return
        ptr, count, dtype = self._args(buf)
        stream = self.cupy.cuda.get_current_stream()
        self.group.bcast(ptr, count, dtype, root, stream.ptr)
        self._wait_stream(stream, f"broadcast of {count} values")
