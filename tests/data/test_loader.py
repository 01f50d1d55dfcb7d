"""DataLoader: order and augmentation independent of num_workers, batching modes, worker errors,
seeding, and clean shutdown (no orphaned processes, no shared memory left behind)."""
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as onp
import pytest

from gluonkit.data import ArrayDataset, DataLoader, Dataset, WorkerError
from gluonkit.data import transforms as T


def _images(n=23):
    rng = onp.random.default_rng(0)
    return ArrayDataset(rng.integers(0, 256, (n, 12, 16, 3), dtype=onp.uint8), onp.arange(n))


def _augmented():
    return _images().transform_first(T.Compose([
        T.RandomResizedCrop(8), T.RandomFlipLeftRight(), T.RandomColorJitter(0.4, 0.4, 0.4),
        T.RandomLighting(0.1), T.ToTensor()]))


def _epochs(loader, n):
    return [[(x.copy(), y.copy()) for x, y in loader] for _ in range(n)]


def _shm_left(prefix):
    return [f for f in os.listdir("/dev/shm") if f.startswith(prefix)] \
        if os.path.isdir("/dev/shm") else []


def test_same_batches_with_0_and_2_workers():
    runs = []
    for workers in (0, 2):
        with DataLoader(_augmented(), batch_size=5, shuffle=True, num_workers=workers,
                        seed=11) as loader:
            runs.append(_epochs(loader, 2))
    for e in range(2):
        assert len(runs[0][e]) == len(runs[1][e]) == 5
        for (x0, y0), (x2, y2) in zip(runs[0][e], runs[1][e]):
            onp.testing.assert_array_equal(y0, y2)
            onp.testing.assert_array_equal(x0, x2)
    x, y = runs[0][0][0]
    assert x.dtype == onp.float32 and x.shape == (5, 3, 8, 8) and y.dtype == onp.int64
    # A new epoch reshuffles and re-draws the augmentation; set_epoch repeats one.
    assert not onp.array_equal(runs[0][0][0][1], runs[0][1][0][1])
    loader = DataLoader(_augmented(), batch_size=5, shuffle=True, seed=11)
    loader.set_epoch(1)
    onp.testing.assert_array_equal(next(iter(loader))[0], runs[1][1][0][0])


def test_last_batch_modes_and_sampler():
    ds = ArrayDataset(onp.arange(10))
    labels = lambda loader: [b[0].tolist() for b in loader]  # noqa: E731
    assert labels(DataLoader(ds, 4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert labels(DataLoader(ds, 4, last_batch="discard")) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    roll = DataLoader(ds, 4, last_batch="rollover")
    assert labels(roll) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert labels(roll) == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    assert len(DataLoader(ds, 4)) == 3 and len(DataLoader(ds, 4, last_batch="discard")) == 2
    assert labels(DataLoader(ds, 3, sampler=[9, 1, 5, 5])) == [[9, 1, 5], [5]]
    with pytest.raises(ValueError, match="last_batch"):
        DataLoader(ds, 2, last_batch="drop")
    shuffled = [v for b in labels(DataLoader(ds, 3, shuffle=True, seed=1)) for v in b]
    assert sorted(shuffled) == list(range(10)) and shuffled != list(range(10))


class _Failing(Dataset):
    def __len__(self):
        return 12

    def __getitem__(self, idx):
        if idx == 7:
            raise ValueError(f"cannot read sample {idx}")
        return onp.zeros(2, onp.float32), idx


def test_worker_exception_reraised_with_traceback():
    loader = DataLoader(_Failing(), batch_size=2, num_workers=2)
    seen = []
    with pytest.raises(WorkerError) as info:
        for _, y in loader:
            seen.append(y.tolist())
    assert seen == [[0, 1], [2, 3], [4, 5]]  # in order up to the failing batch
    message = str(info.value)
    assert "ValueError: cannot read sample 7" in message and "__getitem__" in message
    assert isinstance(info.value.__cause__, ValueError)
    assert loader._pool is None and mp.active_children() == []


class _GlobalRandom(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return onp.random.random(), os.getpid()


def test_workers_are_seeded_distinctly():
    with DataLoader(_GlobalRandom(), batch_size=1, num_workers=2, prefetch=1) as loader:
        batches = [b for b in loader]
    pids = {int(b[1][0]) for b in batches}
    draws = [float(b[0][0]) for b in batches]
    assert len(pids) == 2 and os.getpid() not in pids
    assert len(set(draws)) == 4  # forked workers would repeat the parent's stream otherwise


def test_leaving_an_epoch_early_then_closing_leaves_nothing_behind():
    loader = DataLoader(_images(40), batch_size=2, shuffle=True, num_workers=2, prefetch=4)
    for step, _ in enumerate(loader):
        if step == 1:
            break
    prefix = loader._pool.prefix
    full = [y.tolist() for _, y in loader]  # the next epoch is whole and correct
    loader.set_epoch(1)
    assert full == [y.tolist() for _, y in DataLoader(_images(40), batch_size=2, shuffle=True,
                                                      seed=0)][:0] + full
    reference = DataLoader(_images(40), batch_size=2, shuffle=True)
    reference.set_epoch(1)
    assert full == [y.tolist() for _, y in reference]
    loader.close()
    assert mp.active_children() == [] and _shm_left(prefix) == []


_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as onp
    from gluonkit.data import ArrayDataset, DataLoader, Dataset

    class Slow(Dataset):
        def __len__(self):
            return 10 ** 6
        def __getitem__(self, i):
            time.sleep(0.01)
            return onp.zeros(4, onp.float32), i

    loader = DataLoader(Slow(), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    print(" ".join(str(w.pid) for w in loader._pool.workers), loader._pool.prefix, flush=True)
    import os, signal
    # Once the test has seen the workers alive, the process signals itself at this known point,
    # mid-epoch with workers busy: no race with the test's timing on a loaded machine (SIGINT is
    # what Ctrl-C sends).
    sys.stdin.readline()
    os.kill(os.getpid(), signal.SIGKILL if sys.argv[1] == "kill" else signal.SIGINT)
    for _ in it:
        pass
""")


HANG = 300  # seconds: only a guard against a hang, far above any wait on a loaded machine


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie counts as gone
        return f.read().split()[2] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["ctrl-c", "kill"])
def test_no_orphaned_workers(how):
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT, how], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    *pids, prefix = proc.stdout.readline().split()
    pids = [int(p) for p in pids]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    _, err = proc.communicate("go\n", timeout=HANG)
    if how == "ctrl-c":
        assert "KeyboardInterrupt" in err and proc.returncode != 0
    else:
        assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + HANG
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)
    # Ctrl-C: the loader unlinks its blocks; a kill: the resource tracker does, once all exit.
    while _shm_left(prefix) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _shm_left(prefix) == []


def test_batchify_pin_memory_and_bad_arguments():
    ds = ArrayDataset(onp.arange(6).reshape(6, 1).astype(onp.float32), [0.5] * 6)
    x, y = next(iter(DataLoader(ds, 3, pin_memory=True, num_workers=1)))
    assert x.shape == (3, 1) and y.dtype == onp.float32
    total = next(iter(DataLoader(ds, 3, batchify_fn=lambda s: onp.array([sum(a for a, _ in s)]),
                                 num_workers=1)))
    onp.testing.assert_array_equal(total, [[3.0]])
    with pytest.raises(ValueError, match="shuffle=True or a sampler"):
        DataLoader(ds, 2, shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, 0)
