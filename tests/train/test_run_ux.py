"""A run as a user meets it: small folders train on every image, devices and output folders
are what was asked, the report tells best and last, auxiliary heads train, TensorBoard gets
the log's scalars, Ctrl-C says where the last checkpoint is."""
import json
import os
import struct

import numpy as onp
import pytest

from gluonkit.train import ConfigError, fit, load_config
from gluonkit.train import device as train_device
from gluonkit.train.checkpoint import load_checkpoint
from gluonkit.train.heads import HeadLoss
from gluonkit.train.plot import _y_range, nice_ticks
from gluonkit.train.progress import final_line
from gluonkit.train.run_dir import resolve_output_dir
from gluonkit.utils.errors import Interrupted

from .test_finetune import digits, write_folder

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "configs")


def folder_config(tmp_path, data, *extra):
    return load_config(os.path.join(CONFIGS, "finetune.yaml"), [
        "model.name=lenet", f"data.root={data}", "data.num_workers=0", "train.progress=false",
        f"train.output_dir={tmp_path / 'run'}", "finetune.min_steps=0", "train.epochs=2",
        "eval.batch_size=64"] + list(extra))


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory):
    """48 training images of digits 0-2 (16 each), 30 validation images."""
    root = tmp_path_factory.mktemp("small")
    write_folder(root / "train", *digits(True, [0, 1, 2]), per_class=16)
    write_folder(root / "val", *digits(False, [0, 1, 2]), per_class=10)
    return root


def test_a_partial_last_batch_trains_and_a_tiny_set_shrinks_the_batch(tmp_path, small_folder):
    lines = []
    fit(folder_config(tmp_path, small_folder, "train.batch_size=32"), log=lines.append)
    _, _, meta = load_checkpoint(str(tmp_path / "run" / "last.safetensors"))
    assert meta["step"] == 2 * 2  # 48 images at batch 32: 32 + 16, every image, each epoch
    lines.clear()
    fit(folder_config(tmp_path, small_folder, "train.batch_size=64"), log=lines.append)
    _, _, meta = load_checkpoint(str(tmp_path / "run" / "last.safetensors"))
    assert meta["step"] == 2
    assert any("48 training images, fewer than train.batch_size=64; training with batches of 48"
               in line for line in lines)
    lines.clear()
    fit(folder_config(tmp_path, small_folder, "train.batch_size=32", "train.last_batch=discard"),
        log=lines.append)
    _, _, meta = load_checkpoint(str(tmp_path / "run" / "last.safetensors"))
    assert meta["step"] == 2  # one full batch per epoch, and the run says what it leaves out
    assert any("train.last_batch=discard: 16 of the 48 training images" in line for line in lines)


def test_min_steps_raises_the_epochs_of_a_small_folder(tmp_path, small_folder):
    lines = []
    record = fit(folder_config(tmp_path, small_folder, "train.batch_size=16",
                               "finetune.min_steps=10"), log=lines.append)
    assert record["epoch"] == 4  # 3 steps per epoch: 4 epochs reach 10 steps
    assert any("training 4 epochs instead of 2" in line for line in lines)
    capped = fit(folder_config(tmp_path, small_folder, "train.batch_size=16",
                               "finetune.min_steps=10", "train.max_steps_per_epoch=1"),
                 log=lambda *_: None)
    assert capped["epoch"] == 2  # a capped (dry) run keeps its epochs


def test_an_empty_class_folder_is_a_config_error(tmp_path, small_folder):
    (tmp_path / "data" / "train" / "a").mkdir(parents=True)
    (tmp_path / "data" / "val" / "a").mkdir(parents=True)
    with pytest.raises(ConfigError, match="data.root: class folder .* holds no files"):
        fit(folder_config(tmp_path, tmp_path / "data"), log=lambda *_: None)


def test_report_has_best_and_last_and_no_top5_for_3_classes(tmp_path, small_folder):
    record = fit(folder_config(tmp_path, small_folder, "model.pretrained=false",
                               "train.epochs=3"), log=lambda *_: None)
    assert "val_top5" not in record and record["best_epoch"] in (1, 2, 3)
    with open(tmp_path / "run" / "log.jsonl") as f:
        tops = [json.loads(line)["val_top1"] for line in f]
    assert record["best_val_top1"] == max(tops) and record["val_top1"] == tops[-1]
    line = final_line(record, "trained lenet from scratch")
    assert f"best val top-1 {100 * max(tops):.1f}% (epoch {record['best_epoch']})" in line
    assert f"last {100 * tops[-1]:.1f}% (epoch 3)" in line and "top-5" not in line


def test_each_run_without_output_dir_gets_its_own_folder(tmp_path, small_folder, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = folder_config(tmp_path, small_folder, "train.output_dir=null")
    first, second = resolve_output_dir(cfg), resolve_output_dir(cfg)
    assert first != second and os.path.basename(first).startswith("lenet-small")
    assert os.path.isdir(first) and os.path.isdir(second)
    with pytest.raises(ConfigError, match="--resume needs the run's folder"):
        resolve_output_dir(cfg, resume=True)


def test_a_gpu_recipe_without_a_gpu_falls_back_or_fails_with_the_fix(monkeypatch):
    monkeypatch.setattr(train_device, "_no_gpu_reason", lambda: "CuPy is not installed")
    lines = []
    device, dtype = train_device.resolve_device("auto", "float16", lines.append)
    assert device.kind == "cpu" and dtype == "float32"
    assert lines == ["note: the recipe asks for a GPU (train.device=auto) and this machine has "
                     "none; training on the CPU in float32 instead of float16"]
    with pytest.raises(ConfigError, match=r"train.device=gpu, but CuPy is not installed.*"
                                          r"--set train.device=cpu train.dtype=float32"):
        train_device.resolve_device("gpu", "float16", lines.append)


def test_aux_heads_add_their_published_weight_and_eval_uses_the_main_head(tmp_path):
    from gluonkit.loss import SoftmaxCrossEntropyLoss
    from gluonkit.model_zoo import get_model

    import gluonkit as gk

    loss_fn = SoftmaxCrossEntropyLoss()
    rng = onp.random.default_rng(0)
    main, a1, a2 = (gk.np.array(rng.normal(size=(4, 5)).astype("float32")) for _ in range(3))
    y = gk.np.array(onp.array([0, 1, 2, 3]))
    for name, weight in (("googlenet", 0.3), ("inceptionv3", 0.4)):
        cfg = load_config(os.path.join(CONFIGS, f"{name}.yaml"))
        heads = HeadLoss(cfg, get_model(name, classes=5), loss_fn)
        out, aux = heads.split((main, a1, a2))
        got = (loss_fn(out, y) + heads.aux(aux, y)).asnumpy()
        want = (loss_fn(main, y) + weight * (loss_fn(a1, y) + loss_fn(a2, y))).asnumpy()
        onp.testing.assert_allclose(got, want, rtol=1e-6)
    cfg = load_config(os.path.join(CONFIGS, "googlenet.yaml"), [
        "data.synthetic=true", "data.synthetic_size=8", "data.num_workers=0", "model.classes=10",
        "train.batch_size=4", "train.epochs=1", "train.max_steps_per_epoch=2",
        "train.device=cpu", "train.dtype=float32", "eval.batch_size=4", "eval.max_steps=1",
        "train.progress=false", f"train.output_dir={tmp_path}", "data.image_size=64",
        "model.kwargs={aux_logits: true}", "loss.aux_weight=0.5"])
    with_aux = get_model("googlenet", classes=5, aux_logits=True)
    assert HeadLoss(cfg, with_aux, loss_fn).weight == 0.5
    with pytest.raises(ConfigError, match="loss.aux_weight is set but googlenet has no aux"):
        HeadLoss(cfg, get_model("googlenet", classes=5), loss_fn)
    record = fit(cfg, log=lambda *_: None)  # crashed in the loss on the tuple before
    assert onp.isfinite(record["train_loss"]) and 0.0 <= record["val_top1"] <= 1.0


def _events(folder):
    """(tag, step, value) of every scalar in a folder's TensorBoard event files."""
    from tensorboardX.proto import event_pb2

    found = []
    for name in sorted(os.listdir(folder)):
        data = open(os.path.join(folder, name), "rb").read()
        pos = 0
        while pos < len(data):  # TFRecord: length (8), crc (4), payload, crc (4)
            (length,) = struct.unpack("<Q", data[pos:pos + 8])
            event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])
            pos += 16 + length
            for v in event.summary.value:
                found.append((v.tag, event.step, v.simple_value))
    return found


def test_tensorboard_gets_the_scalars_of_log_jsonl(tmp_path, small_folder):
    fit(folder_config(tmp_path, small_folder, "train.tensorboard=true"), log=lambda *_: None)
    events = _events(tmp_path / "run" / "tensorboard")
    with open(tmp_path / "run" / "log.jsonl") as f:
        records = [json.loads(line) for line in f]
    want = [(k, r["epoch"], v) for r in records for k, v in r.items() if k != "epoch"]
    assert sorted(t for t, _, _ in events) == sorted(t for t, _, _ in want)
    got = {(t, s): v for t, s, v in events}
    for tag, step, value in want:
        assert got[(tag, step)] == pytest.approx(value, rel=1e-6), tag


def test_ctrl_c_names_the_last_checkpoint(tmp_path, small_folder):
    def log(line):
        if line.startswith("epoch 2/"):
            raise KeyboardInterrupt

    with pytest.raises(Interrupted, match=r"stopped during epoch 2; the last checkpoint is "
                                          r".*last.safetensors \(epoch 2\); continue with "
                                          r"--resume"):
        fit(folder_config(tmp_path, small_folder, "train.epochs=3"), log=log)
    _, _, meta = load_checkpoint(str(tmp_path / "run" / "last.safetensors"))
    assert meta["epoch"] == 2


def test_curve_axes():
    assert nice_ticks(0.9, 0.99) == pytest.approx([0.9, 0.95, 1.0])
    assert nice_ticks(1, 30, 8) == [0, 5, 10, 15, 20, 25, 30]
    lo, hi = _y_range([0.2, 0.9, 0.95, 0.97, 0.98, 0.98, 0.985, 0.99, 0.99, 0.99, 0.991], True)
    assert 0.8 < lo < 0.9 and hi <= 1.0  # the first epoch's 20% does not squash the rest


def test_epoch_line_is_short_and_human():
    from gluonkit.train.progress import epoch_line

    record = {"epoch": 3, "train_loss": 0.4123, "val_top1": 0.979, "val_top5": 0.9991,
              "images_per_s": 3350.2, "lr": 0.0123, "data_wait": 0.01}
    assert epoch_line(record, 30) == ("epoch 3/30  loss 0.412  top-1 97.9%  top-5 99.9%  "
                                      "3,350 img/s  lr 0.0123")
    slow = {"epoch": 1, "train_loss": 7.0, "images_per_s": 0.42, "lr": 0.00125}
    assert epoch_line(slow, 1) == "epoch 1/1  loss 7.000  0.42 img/s  lr 0.00125"
