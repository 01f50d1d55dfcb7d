"""Every code block of the README runs: Python blocks are executed in a scratch folder (the
files a block reads are written there first, from real data), command blocks must name existing
scripts and flags their --help lists, and the zoo table is `scripts/zoo.py table` output."""
import os
import re
import shutil
import subprocess
import sys

import cv2
import pytest

from gluonkit.data import MNIST
from gluonkit.model_zoo import convert, get_model, list_models
from gluonkit.model_zoo.table import table_row

ROOT = os.path.join(os.path.dirname(__file__), "..")
with open(os.path.join(ROOT, "README.md")) as _f:
    README = _f.read()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.S | re.M)
PYTHON = [code for lang, code in BLOCKS if lang == "python"]
COMMANDS = [line for lang, code in BLOCKS if lang == "" for line in code.splitlines()
            if line.startswith("python scripts/")]
GLUONCV = os.path.join(ROOT, "tests", "model_zoo", "fixtures", "gluoncv")


def _torch_named_weights(model: str, path: str) -> None:
    """A checkpoint in timm's naming (``bn.weight``, ``running_mean``) of a zoo model."""
    state = convert.to_torch_names(get_model(model).state_dict())
    convert.save_safetensors(path, state)


def _digit_folder(path: str) -> None:
    ds = MNIST(train=False)
    for digit in (1, 4, 7):
        os.makedirs(os.path.join(path, f"digit{digit}"))
        for i, img in enumerate(ds._images[ds._labels == digit][:8]):
            cv2.imwrite(os.path.join(path, f"digit{digit}", f"{i}.png"), img[:, :, 0])


SETUP = {  # a file a block reads -> how the test writes it first
    "model.safetensors": lambda: _torch_named_weights("resnet18_v1b", "model.safetensors"),
    "resnest50d.safetensors": lambda: _torch_named_weights("resnest50", "resnest50d.safetensors"),
    "cifar_resnet20_v1.params": lambda: shutil.copy(
        os.path.join(GLUONCV, "cifar_resnet20_v1.params"), "."),
    "my_digits": lambda: _digit_folder("my_digits"),
}


def test_the_readme_has_the_blocks_this_test_runs():
    assert len(PYTHON) >= 7 and len(COMMANDS) >= 7  # the regex found them: none skipped


@pytest.mark.parametrize("code", PYTHON, ids=[f"block{i}" for i in range(len(PYTHON))])
def test_python_block_runs(code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    os.symlink(os.path.join(os.path.abspath(ROOT), "configs"), "configs")
    for name, make in SETUP.items():
        if name in code:
            make()
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})


def test_class_names_block_prints_the_folder_names(tmp_path, monkeypatch, capsys):
    code = next(c for c in PYTHON if "my_digits" in c)
    test_python_block_runs(code, tmp_path, monkeypatch, capsys)
    assert capsys.readouterr().out.strip() == "('digit1', 'digit4', 'digit7')"


@pytest.mark.parametrize("script", sorted({c.split()[1] for c in COMMANDS}))
def test_commands_use_existing_scripts_and_flags(script):
    help_text = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout
    for line in COMMANDS:
        if line.split()[1] == script:
            for flag in re.findall(r"(?<=\s)--[\w-]+", line):
                assert flag in help_text, f"README: {line!r}: {script} has no {flag}"


def test_zoo_table_is_zoo_py_table_output():
    section = README.split("### Choose from the zoo", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = [re.match(r"\| `([^`]+)`", r).group(1) for r in rows]
    assert names == list_models()
    by_name = dict(zip(names, rows))
    # the rows of the cheap models regenerated here; the whole table: `scripts/zoo.py table`
    for name in ("lenet", "cifar_resnet20_v1", "cifar_resnet56_v2", "resnet18_v1b"):
        assert by_name[name] == table_row(name)
