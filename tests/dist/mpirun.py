"""Start ``mpiexec -n N`` from a test and read what the ranks printed (no timing asserted: the
bounds are generous and only stop a hang from hanging the suite)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIGS = os.path.join(ROOT, "configs")
TRAIN = os.path.join(ROOT, "scripts", "train.py")


def mpiexec() -> str:
    """The mpiexec of this environment (the mpich wheel's), failing loudly when it is missing."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.fail("the distributed tests need mpi4py and an MPI: pip install -e '.[test]' "
                    "(it carries gluonkit[dist]: mpi4py and the mpich wheel)")
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found next to the Python or on PATH; "
                    "pip install mpich")
    return found


def environment(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **extra)
    # a test run under mpiexec itself must not make the children think they are its ranks
    for key in ("PMI_SIZE", "PMI_RANK", "PMI_FD", "PMI_PORT", "OMPI_COMM_WORLD_SIZE"):
        env.pop(key, None)
    return env


def run_ranks(n: int, args: list[str], timeout: float = 600, **env) -> subprocess.CompletedProcess:
    """``mpiexec -n n python args...``; output is stdout and stderr together."""
    return subprocess.run([mpiexec(), "-n", str(n), sys.executable] + args, cwd=ROOT,
                          env=environment(**env), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def train_args(config: str, *overrides: str) -> list[str]:
    return [TRAIN, "--config", os.path.join(CONFIGS, config), "--set", *overrides]
