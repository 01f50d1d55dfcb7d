"""The training loop: reproducibility, resume, atomic checkpoints, non-finite loss, recipes."""
import glob
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as onp
import pytest

from gluonkit.train import NonFiniteLossError, fit, load_config
from gluonkit.train.checkpoint import load_checkpoint

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "configs")
QUICK = ["train.progress=false", "train.max_steps_per_epoch=4", "train.batch_size=16",
         "eval.max_steps=1", "eval.batch_size=64"]


def lenet_config(tmp_path, *extra):
    return load_config(os.path.join(CONFIGS, "lenet_mnist.yaml"),
                       QUICK + [f"train.output_dir={tmp_path}", "train.epochs=2"] + list(extra))


def losses(out_dir):
    with open(os.path.join(out_dir, "log.jsonl")) as f:
        return [json.loads(line)["train_loss"] for line in f]


def test_same_seed_gives_identical_losses(tmp_path):
    fit(lenet_config(tmp_path / "a"), log=lambda *_: None)
    fit(lenet_config(tmp_path / "b"), log=lambda *_: None)
    assert losses(tmp_path / "a") == losses(tmp_path / "b")
    fit(lenet_config(tmp_path / "c", "train.seed=1"), log=lambda *_: None)
    assert losses(tmp_path / "a") != losses(tmp_path / "c")


def test_resume_continues_like_an_uninterrupted_run(tmp_path):
    full = lenet_config(tmp_path / "full", "train.epochs=3", "tricks.mixup_alpha=0.2")
    fit(full, log=lambda *_: None)
    part = lenet_config(tmp_path / "part", "train.epochs=1", "tricks.mixup_alpha=0.2")
    fit(part, log=lambda *_: None)
    rest = lenet_config(tmp_path / "part", "train.epochs=3", "tricks.mixup_alpha=0.2")
    fit(rest, resume=True, log=lambda *_: None)
    assert losses(tmp_path / "part") == losses(tmp_path / "full")
    model_a, _, meta = load_checkpoint(str(tmp_path / "full" / "last.safetensors"))
    model_b, _, _ = load_checkpoint(str(tmp_path / "part" / "last.safetensors"))
    assert meta["epoch"] == 3
    for name in model_a:
        onp.testing.assert_array_equal(model_a[name], model_b[name])


def test_checkpoint_has_model_optimizer_rng_and_config(tmp_path):
    fit(lenet_config(tmp_path), log=lambda *_: None)
    model, optim, meta = load_checkpoint(str(tmp_path / "last.safetensors"))
    assert "conv1.weight" in model and any(k.endswith("/mom") for k in optim)
    assert meta["config"]["model"]["name"] == "lenet" and "rng" in meta and meta["step"] == 8
    assert os.path.exists(tmp_path / "best.safetensors")
    assert os.path.exists(tmp_path / "curves.png")
    record = json.loads(open(tmp_path / "log.jsonl").readlines()[-1])
    for key in ("epoch", "train_loss", "val_loss", "val_top1", "val_top5", "lr",
                "images_per_s", "data_wait"):
        assert key in record


def test_killed_writer_leaves_previous_checkpoint_whole(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    script = textwrap.dedent(f"""
        import numpy as np, sys
        from gluonkit.train.checkpoint import save_checkpoint
        save_checkpoint({str(path)!r}, {{"w": np.full(4, 7.0, np.float32)}}, {{}}, {{"epoch": 1}})
        print("saved", flush=True)
        big = {{f"w{{i}}": np.ones(4_000_000, np.float32) for i in range(40)}}
        while True:
            save_checkpoint({str(path)!r}, big, {{}}, {{"epoch": 2}})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saved"
    import time
    time.sleep(0.5)  # let a large write get under way
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    model, _, meta = load_checkpoint(str(path))
    assert meta["epoch"] in (1, 2)
    if meta["epoch"] == 1:
        onp.testing.assert_array_equal(model["w"], onp.full(4, 7.0, onp.float32))
    else:
        assert len(model) == 40


def test_non_finite_loss_stops_with_a_hint(tmp_path):
    cfg = lenet_config(tmp_path, "optim.lr_per_256=1e12", "schedule.warmup_epochs=0",
                       "train.max_steps_per_epoch=20")
    with pytest.raises(NonFiniteLossError, match=r"step \d+ \(lr .*lower optim.lr_per_256"):
        fit(cfg, log=lambda *_: None)


RECIPES = sorted(glob.glob(os.path.join(CONFIGS, "*.yaml")))


@pytest.mark.parametrize("path", RECIPES, ids=os.path.basename)
def test_every_recipe_runs_two_iterations_on_synthetic_data(path, tmp_path):
    cfg = load_config(path)
    size = 75 if "inception" in cfg.model.name else 64
    overrides = ["data.synthetic=true", "data.synthetic_size=8", "data.num_workers=0",
                 "train.batch_size=4", "train.epochs=1", "train.max_steps_per_epoch=2",
                 "train.device=cpu", "train.dtype=float32", "eval.batch_size=4",
                 "eval.max_steps=1", "train.progress=false", f"train.output_dir={tmp_path}",
                 "tricks.teacher_pretrained=false", "model.pretrained=false"]
    if cfg.data.dataset in ("imagenet", "folder"):
        overrides += [f"data.image_size={size}", "model.classes=10"]
    record = fit(load_config(path, overrides), log=lambda *_: None)
    assert onp.isfinite(record["train_loss"]) and 0.0 <= record["val_top1"] <= 1.0


def test_float16_uses_master_weights_and_loss_scaling(tmp_path):
    cfg = lenet_config(tmp_path, "train.dtype=float16", "train.epochs=1",
                       "train.max_steps_per_epoch=3")
    record = fit(cfg, log=lambda *_: None)
    model, optim, meta = load_checkpoint(str(tmp_path / "last.safetensors"))
    assert onp.isfinite(record["train_loss"])
    assert model["conv1.weight"].dtype == onp.float16
    assert optim["conv1.weight/master"].dtype == onp.float32
    assert meta["loss_scaler"]["loss_scale"] > 0
