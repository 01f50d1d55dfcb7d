"""Transfer learning on real digits: LeNet pretrained on digits 0-4 of the bundled MNIST,
fine-tuned on 20 images per class of digits 5-9, beats the same model trained from scratch;
the shipped LeNet with finetune.yaml's defaults learns scikit-learn's digits from 200 images."""
import os

import cv2
import numpy as onp
import pytest

from gluonkit.data import MNIST
from gluonkit.train import fit, load_config

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "configs")


def write_folder(root, images, labels, per_class=None, offset=0):
    counts = {}
    for img, label in zip(images, labels):
        if per_class is not None and counts.get(label, 0) >= per_class:
            continue
        counts[label] = counts.get(label, 0) + 1
        folder = os.path.join(root, f"digit{label}")
        os.makedirs(folder, exist_ok=True)
        cv2.imwrite(os.path.join(folder, f"{counts[label]:04d}.png"), img[:, :, 0])


def digits(train, wanted):
    ds = MNIST(train=train)
    images, labels = ds._images, ds._labels
    keep = onp.isin(labels, wanted)
    return images[keep], labels[keep]


def run(tmp_path, name, data, extra):
    cfg = load_config(os.path.join(CONFIGS, "finetune.yaml"), [
        "model.name=lenet", f"data.root={data}", "data.num_workers=0", "train.progress=false",
        f"train.output_dir={tmp_path / name}", "train.batch_size=20", "eval.batch_size=250",
        "optim.lr_per_256=0.4", "finetune.min_steps=0"] + extra)
    return fit(cfg, log=lambda *_: None)["val_top1"]


def test_pretrained_beats_scratch_on_20_images_per_class(tmp_path):
    source = tmp_path / "digits0to4"
    write_folder(source / "train", *digits(True, [0, 1, 2, 3, 4]))
    write_folder(source / "val", *digits(False, [0, 1, 2, 3, 4]))
    run(tmp_path, "pretrain", source, ["model.pretrained=false", "train.epochs=4"])
    target = tmp_path / "digits5to9"
    write_folder(target / "train", *digits(True, [5, 6, 7, 8, 9]), per_class=20)
    write_folder(target / "val", *digits(False, [5, 6, 7, 8, 9]))
    weights = tmp_path / "pretrain" / "best.safetensors"
    same = ["train.epochs=8", "finetune.backbone_lr_mult=0.1"]
    tuned = [run(tmp_path, "tuned", target, [f"model.pretrained={weights}", f"train.seed={s}"]
                 + same) for s in (0, 1)]
    scratch = [run(tmp_path, "scratch", target, ["model.pretrained=false", f"train.seed={s}"]
                   + same) for s in (0, 1)]
    print(f"digits 5-9 from 20 images/class, val top-1 over seeds 0 and 1: "
          f"fine-tuned {tuned}, from scratch {scratch}")
    assert onp.mean(tuned) > onp.mean(scratch) + 0.03
    assert min(tuned) > 0.75


def sklearn_digits_folder(root, per_class=20, seed=0):
    """scikit-learn's 8x8 digits (not MNIST: other writers, scanned at 8x8) as an image folder:
    ``per_class`` training images per digit, the other 1,597 for validation."""
    from sklearn.datasets import load_digits

    d = load_digits()
    rng = onp.random.default_rng(seed)
    for c in range(10):
        idx = rng.permutation(onp.flatnonzero(d.target == c))
        for split, ids in (("train", idx[:per_class]), ("val", idx[per_class:])):
            os.makedirs(os.path.join(root, split, str(c)), exist_ok=True)
            for i in ids:
                img = (d.images[i] * (255 / 16)).round().astype(onp.uint8)
                cv2.imwrite(os.path.join(root, split, str(c), f"{i:04d}.png"), img)


@pytest.mark.slow  # ~1,000 LeNet steps plus 11 evaluations of 1,597 images
def test_finetune_defaults_learn_sklearn_digits_from_200_images(tmp_path):
    """The issue's comparison: PyTorch's careful run reached 0.984 on this task; gluonkit's
    defaults then reached 0.954 (0.872 on this split), as they ran 70 steps at a low rate."""
    sklearn_digits_folder(tmp_path / "digits")
    cfg = load_config(os.path.join(CONFIGS, "finetune.yaml"), [
        "model.name=lenet", f"data.root={tmp_path / 'digits'}", "data.num_workers=0",
        "train.progress=false", f"train.output_dir={tmp_path / 'run'}", "eval.batch_size=500"])
    lines = []
    record = fit(cfg, log=lines.append)
    print(f"scikit-learn digits, 20 per class, finetune.yaml defaults: val top-1 "
          f"{record['val_top1']:.4f} (best {record['best_val_top1']:.4f})")
    assert any("to make finetune.min_steps=1000 steps" in line for line in lines)
    assert record["val_top1"] >= 0.98
