"""Command-line entries: user errors are one line and exit 2, Ctrl-C one line and exit 130,
bugs keep their traceback, --debug shows it; a piped run prints per-epoch lines, no frames."""
import os
import runpy
import subprocess
import sys

import cv2
import numpy as onp
import pytest

from gluonkit.train import ConfigError
from gluonkit.utils.cli import run_cli
from gluonkit.utils.errors import Interrupted

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPTS = os.path.join(ROOT, "scripts")


def script(name, *args, cwd=None):
    """Run a script piped; stdout/stderr decoded as is (text mode would turn \r into \n)."""
    done = subprocess.run([sys.executable, os.path.join(SCRIPTS, name), *args], cwd=cwd,
                          capture_output=True, stdin=subprocess.DEVNULL)
    done.stdout, done.stderr = done.stdout.decode(), done.stderr.decode()
    return done


def test_run_cli_user_error_interrupt_and_bug(capsys):
    def bad_input(argv):
        raise ConfigError("train.epochs: expected int, got 'three'")

    def interrupted(argv):
        raise Interrupted("stopped during epoch 2; the last checkpoint is runs/x/last")

    def bug(argv):
        raise ZeroDivisionError("internal")

    assert run_cli(bad_input, []) == 2
    assert capsys.readouterr().err == "error: train.epochs: expected int, got 'three'\n"
    assert run_cli(interrupted, []) == 130
    assert capsys.readouterr().err == ("interrupted: stopped during epoch 2; the last "
                                       "checkpoint is runs/x/last\n")
    with pytest.raises(ZeroDivisionError):
        run_cli(bug, [])
    with pytest.raises(ConfigError):
        run_cli(bad_input, ["--debug"])


def test_malformed_yaml_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  epochs: [3\n")
    done = script("train.py", "--config", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert f"{bad}:3:1: malformed YAML" in done.stderr
    debug = script("train.py", "--config", str(bad), "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


@pytest.mark.parametrize("args,message", [
    (["--set", "model.name=lenett"], "model.name: unknown model 'lenett'; did you mean lenet"),
    (["--set", "train.device=gpu"], "--set train.device=cpu train.dtype=float32"),
    (["--set", "optim.lr_per_256=1e12", "schedule.warmup_epochs=0"], "lower optim.lr_per_256"),
])
def test_user_errors_of_train_py(tmp_path, args, message):
    import gluonkit as gk

    if "train.device=gpu" in args and gk.num_gpus():
        args = ["--set", "train.device=gpu:99"]  # where a GPU exists, ask for one that does not
        message = "gpu:99"
    done = script("train.py", "--config", os.path.join(ROOT, "configs", "lenet_mnist.yaml"),
                  *args, "train.max_steps_per_epoch=20", "train.epochs=1",
                  f"train.output_dir={tmp_path}")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and message in done.stderr


def test_piped_training_prints_epoch_lines_not_frames(tmp_path):
    done = script("train.py", "--config", os.path.join(ROOT, "configs", "lenet_mnist.yaml"),
                  "--set", "train.epochs=2", "train.max_steps_per_epoch=3", "eval.max_steps=1",
                  f"train.output_dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert "\r" not in out and "{" not in done.stdout  # no tqdm frames, no JSON on screen
    lines = done.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines if line.startswith("epoch ")] == [
        "epoch 1/2", "epoch 2/2"]
    assert "trained lenet: best val top-1" in lines[-1] and str(tmp_path) in lines[-1]
    forced = script("train.py", "--config", os.path.join(ROOT, "configs", "lenet_mnist.yaml"),
                    "--progress", "--set", "train.epochs=1", "train.max_steps_per_epoch=3",
                    "eval.max_steps=1", f"train.output_dir={tmp_path}")
    assert forced.returncode == 0 and "\r" in forced.stderr  # --progress: the bar, even piped


def test_finetune_no_pretrained_reports_from_scratch(tmp_path):
    from tests.train.test_finetune import digits, write_folder

    write_folder(tmp_path / "data" / "train", *digits(True, [0, 1, 2]), per_class=8)
    write_folder(tmp_path / "data" / "val", *digits(False, [0, 1, 2]), per_class=4)
    done = script("finetune.py", "--model", "lenet", "--no-pretrained", "--data",
                  str(tmp_path / "data"), "--epochs", "1", "--set", "finetune.min_steps=0",
                  "data.num_workers=0", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    last = done.stdout.splitlines()[-1]
    assert last.startswith("trained lenet from scratch: best val top-1") and "top-5" not in last
    runs = os.listdir(tmp_path / "runs")
    assert len(runs) == 1 and runs[0].startswith("lenet-data-") and runs[0] in last


def test_benchmark_help_points_to_a_shipped_file():
    done = script("benchmark.py", "--help")
    assert done.returncode == 0 and "docs/BENCHMARKS.md" in done.stdout
    assert os.path.exists(os.path.join(ROOT, "docs", "BENCHMARKS.md"))


def test_every_script_ends_through_run_cli():
    for name in ("train.py", "eval.py", "finetune.py", "benchmark.py", "convert_weights.py",
                 "zoo.py"):
        text = open(os.path.join(SCRIPTS, name)).read()
        assert "sys.exit(cli.run_cli(main))" in text, name
        assert callable(runpy.run_path(os.path.join(SCRIPTS, name))["main"])


def test_more_user_errors_are_one_line(tmp_path, monkeypatch):
    lenet = os.path.join(ROOT, "configs", "lenet_mnist.yaml")
    cifar = os.path.join(ROOT, "configs", "cifar_resnet20.yaml")
    monkeypatch.setenv("GLUONKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GLUONKIT_OFFLINE", "1")
    (tmp_path / "imgs" / "a").mkdir(parents=True)
    (tmp_path / "imgs" / "b").mkdir(parents=True)
    for cls in ("a", "b"):
        for i in range(3):
            cv2.imwrite(str(tmp_path / "imgs" / cls / f"{i}.png"), onp.zeros((8, 8), onp.uint8))
    cases = [
        (["eval.py", "--config", lenet, "--checkpoint", str(tmp_path / "nope.safetensors")],
         "checkpoint not found"),
        (["train.py", "--config", lenet, "--resume", "--set", f"train.output_dir={tmp_path}"],
         "--resume: no checkpoint at"),
        (["train.py", "--config", cifar, "--set", f"data.root={tmp_path / 'c10'}",
          "data.download=false"], "data.download: true"),
        (["finetune.py", "--model", "resnet18_v1b", "--data", str(tmp_path / "imgs"),
          "--set", "data.num_workers=0"], "--no-pretrained trains resnet18_v1b from scratch"),
    ]
    for args, message in cases:
        done = script(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and message in done.stderr, (args, done.stderr)


@pytest.mark.parametrize("name,extra", [("train.py", []), ("eval.py", ["--pretrained"])])
def test_repeated_set_flags_all_apply(name, extra):
    """``--set a=1 --set b=2`` applies both: a bad first key must be reported, not dropped."""
    done = script(name, "--config", os.path.join(ROOT, "configs", "lenet_mnist.yaml"), *extra,
                  "--set", "train.epochs=three", "--set", "train.seed=0")
    assert done.returncode == 2 and "train.epochs" in done.stderr, done.stderr


def test_the_main_job_repeats_bit_for_bit_across_processes(tmp_path):
    """Two processes of the seeded main-job recipe (one epoch) log the same losses, bit for bit.
    Separate processes put buffers at other addresses: a kernel whose sums depend on alignment
    (OpenBLAS's small-matrix GEMMs did, for per-sample weight gradients) shows up here."""
    import json
    logs = []
    for run in ("a", "b"):
        done = script("train.py", "--config", os.path.join(ROOT, "configs", "lenet_mnist.yaml"),
                      "--set", "train.epochs=1", "--set", f"train.output_dir={tmp_path / run}")
        assert done.returncode == 0, done.stderr
        with open(tmp_path / run / "log.jsonl") as f:
            logs.append([(r["train_loss"], r["val_loss"]) for r in map(json.loads, f)])
    assert logs[0] == logs[1]
