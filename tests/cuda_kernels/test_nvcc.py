"""Every CUDA kernel of gluonkit compiles for sm_90 (H100/H200) with nvcc: no GPU needed."""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

from gluonkit.cuda_kernels import batchnorm, build, elementwise, multi_tensor, softmax_ce
from gluonkit.cuda_kernels.build import Elementwise, Reduction

from . import nvcc_harness

NVCC = shutil.which("nvcc")
pytestmark = pytest.mark.skipif(NVCC is None, reason="nvcc (CUDA toolkit) is not on PATH; CI "
                                                     "machines have nvcc 13")
MODULES = (batchnorm, elementwise, multi_tensor, softmax_ce)


def _compile(tmp_path: pathlib.Path, name: str, text: str) -> bytes:
    src = tmp_path / f"{name}.cu"
    src.write_text(text)
    out = tmp_path / f"{name}.cubin"
    r = subprocess.run([NVCC, "-arch=sm_90", "--cubin", "-std=c++17", "-Xptxas", "-v",
                        "-o", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"nvcc failed on {name}:\n{r.stderr}"
    assert "spill" not in r.stderr or "0 bytes spill" in r.stderr, r.stderr
    return out.read_bytes()


def _recipes():
    for mod in MODULES:
        for attr, v in vars(mod).items():
            if isinstance(v, (Elementwise, Reduction)):
                yield f"{mod.__name__.rsplit('.', 1)[1]}.{attr}", v
    for relu, pair in batchnorm._SUMS.items():
        for k, r in enumerate(pair):
            yield f"batchnorm._SUMS[{relu}][{k}]", r


def test_every_cu_file_has_its_instantiations():
    shipped = {p.name for p in build.HERE.glob("*.cu")}
    assert shipped == set(build.RAW_TEMPLATES), "a .cu file without a RawTemplate (or the reverse)"


@pytest.mark.parametrize("file", sorted(build.RAW_TEMPLATES))
def test_cu_file_compiles_for_sm90(tmp_path, file):
    expressions = build.RAW_TEMPLATES[file]
    cubin = _compile(tmp_path, file[:-3], nvcc_harness.raw_template_source(
        str(build.HERE / file), expressions))
    for e in expressions:  # each instantiation is in the cubin, by its mangled name
        name = e.split("<")[0]
        assert re.search(rb"_Z\d+" + name.encode() + rb"I", cubin), f"{e} missing from the cubin"


@pytest.mark.parametrize("label,recipe", [pytest.param(k, r, id=k) for k, r in _recipes()])
def test_kernel_body_compiles_for_sm90(tmp_path, label, recipe):
    if isinstance(recipe, Elementwise):
        text = nvcc_harness.elementwise_source(recipe.args[3], *recipe.args[:3])
    else:
        i, o, m, r, p, ident, name, rt = recipe.args
        text = nvcc_harness.reduction_source(name, i, o, m, r, p, ident, rt)
    cubin = _compile(tmp_path, label.replace(".", "_").replace("[", "_").replace("]", ""), text)
    assert recipe.args[3 if isinstance(recipe, Elementwise) else 6].encode() in cubin
