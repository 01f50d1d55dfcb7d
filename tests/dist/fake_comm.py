"""A stand-in communicator for one process: a sum over ranks is this rank's values plus what the
other (simulated) ranks sent, given in advance, one entry per collective."""
import numpy as onp


class FakeComm:
    backend = "mpi"

    def __init__(self, size: int, peers: list):
        self.rank, self.size = 0, size
        self.peers = list(peers)  # per collective: the others' contribution (summed, or max)
        self.calls = []

    def allreduce(self, buf, op="sum"):
        other = onp.asarray(self.peers.pop(0), dtype=buf.dtype)
        self.calls.append((op, buf.size))
        buf[...] = buf + other if op == "sum" else onp.maximum(buf, other)

    def any(self, flag):
        buf = onp.array([int(flag)], dtype=onp.int32)
        self.allreduce(buf, "max")
        return bool(buf[0])
