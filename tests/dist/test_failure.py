"""A rank that dies, raises or hangs ends the run with an error that names it, not a hang.

The bounds are generous (a loaded machine is slow); the tests poll, they never time a step.
"""
import os
import re
import signal
import subprocess
import sys
import time

from .mpirun import ROOT, environment, mpiexec, run_ranks, train_args

BOUND = 120  # seconds: far above the second or two the launcher needs

RAISE = """
from gluonkit import dist
from gluonkit.train.distributed import Distributed
import numpy as np, time
ranks = Distributed(dist.init("mpi"))
with ranks.guard():
    if ranks.rank == 1:
        {fault}
    ranks.comm.allreduce(np.ones(4))   # rank 0 waits here for rank 1
"""


def test_killed_rank_ends_the_others_and_is_named(tmp_path):
    log = tmp_path / "out.txt"
    args = train_args("lenet_mnist.yaml", "data.synthetic=true", "data.synthetic_size=4096",
                      "train.epochs=100", "train.progress=false", "train.distributed=mpi",
                      f"train.output_dir={tmp_path / 'run'}")
    with open(log, "w") as out:
        proc = subprocess.Popen([mpiexec(), "-n", "2", sys.executable, *args], cwd=ROOT,
                                env=environment(), stdout=out, stderr=subprocess.STDOUT)
        try:
            pid = _wait_for_rank_pid(log, proc, rank=1)
            os.kill(pid, signal.SIGKILL)
            rc = proc.wait(timeout=BOUND)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text()
    assert rc != 0, text
    # the first log line maps pids to ranks; the launcher's report names the dead pid
    assert f"rank 1 pid {pid} on" in text
    assert re.search(rf"PID {pid}\b", text), text


def _wait_for_rank_pid(log, proc, rank: int) -> int:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        m = re.search(rf"rank {rank} pid (\d+) on", log.read_text())
        if m and " epochs of " in log.read_text():  # the run line: training has begun
            return int(m.group(1))
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    raise AssertionError(f"the ranks did not start within {BOUND}s:\n{log.read_text()}")


def test_rank_that_raises_names_itself_and_ends_the_others():
    code = RAISE.format(fault='raise RuntimeError("injected failure")')
    done = run_ranks(2, ["-c", code], timeout=BOUND)
    assert done.returncode != 0
    assert "gluonkit.dist: rank 1 of 2 (pid" in done.stdout, done.stdout
    assert "RuntimeError: injected failure; aborting all ranks" in done.stdout


def test_rank_that_hangs_times_out_with_an_error():
    code = RAISE.format(fault="time.sleep(300)")
    done = run_ranks(2, ["-c", code], timeout=BOUND, GLUONKIT_DIST_TIMEOUT="3")
    assert done.returncode != 0
    assert "rank 0 of 2: allreduce(sum) of 4 values got no answer from the other ranks in 3s" \
        in done.stdout, done.stdout
    assert "gluonkit.dist: rank 0 of 2 (pid" in done.stdout
