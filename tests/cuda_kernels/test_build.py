"""The CPU-side logic of the kernel loader: launch checks, dtype names, chunking, laziness."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gluonkit.cuda_kernels import build, multi_tensor
from gluonkit.optim import optimizer as opt


def test_check_launch_rejects_strided_views_and_wrong_dtypes():
    a = np.zeros((4, 6), np.float32)
    build.check_launch("k", {"x": np.float32}, ("x", a))  # contiguous, right dtype: passes
    with pytest.raises(ValueError, match="'x' must be C-contiguous"):
        build.check_launch("k", {"x": np.float32}, ("x", a[:, ::2]))
    with pytest.raises(ValueError, match="C-contiguous"):
        build.check_launch("k", {}, ("x", a.T))
    with pytest.raises(TypeError, match="'x' must be float32, got float64"):
        build.check_launch("k", {"x": np.float32}, ("x", a.astype(np.float64)))


def test_ctype_names():
    assert build.ctype(np.float32) == "float"
    assert build.ctype("float64") == "double"
    assert build.ctype(np.float16) == "__half"
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert build.ctype(ml_dtypes.bfloat16) == "__nv_bfloat16"
    with pytest.raises(TypeError, match="int32"):
        build.ctype(np.int32)


@pytest.mark.parametrize("sizes", [[1], [5, 16384, 16385, 3], [40000, 1, 32768]])
def test_chunk_table_covers_every_element_once(sizes):
    tensor, start = multi_tensor.chunk_table(sizes)
    seen = [np.zeros(n, int) for n in sizes]
    for t, s in zip(tensor, start):
        seen[t][s:min(s + multi_tensor.CHUNK, sizes[t])] += 1
    assert all((v == 1).all() for v in seen)
    assert len(tensor) == sum(-(-n // multi_tensor.CHUNK) for n in sizes)


def test_op_codes():
    assert multi_tensor.op_code(opt.SGD(momentum=0.9)) == multi_tensor.OPS["SGD"]
    assert multi_tensor.op_code(opt.SGD(momentum=0.9, nesterov=True)) == multi_tensor.OPS["NAG"]
    assert multi_tensor.op_code(opt.NAG()) == multi_tensor.OPS["NAG"]
    # NAG without momentum keeps no momentum state: the kernel runs it as plain SGD
    assert multi_tensor.op_code(opt.NAG(momentum=0.0)) == multi_tensor.OPS["SGD"]
    assert multi_tensor.op_code(opt.Adam()) == multi_tensor.OPS["Adam"]
    assert multi_tensor.op_code(opt.AdamW()) == multi_tensor.OPS["AdamW"]
    assert multi_tensor.op_code(opt.RMSProp()) is None


def test_update_leaves_cpu_entries_to_the_loop():
    o = opt.SGD(momentum=0.9)
    w, g = np.ones(3, np.float32), np.ones(3, np.float32)
    entries = [(w, g, o.create_state(w), 1.0, 1.0)]
    assert multi_tensor.update(o, entries) == entries


def test_importing_the_kernels_builds_nothing():
    code = ("import sys, gluonkit.cuda_kernels.softmax_ce, gluonkit.cuda_kernels.batchnorm, "
            "gluonkit.cuda_kernels.elementwise, gluonkit.cuda_kernels.multi_tensor, "
            "gluonkit.core.graph.cuda_graph; assert 'cupy' not in sys.modules, 'cupy imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
