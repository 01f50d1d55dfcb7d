"""Fine-tune a pretrained zoo model on an image folder and report validation top-1.

    python scripts/finetune.py --model resnet50_v1b --pretrained --data path/to/folder
    python scripts/finetune.py --config configs/finetune.yaml --data path/to/folder --freeze-bn
"""
import argparse
import os
import sys

from gluonkit.train import ConfigError, fit, load_config

DEFAULT = os.path.join(os.path.dirname(__file__), "..", "configs", "finetune.yaml")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config", default=DEFAULT, help="fine-tuning recipe (configs/finetune.yaml)")
    p.add_argument("--model", help="zoo model name")
    p.add_argument("--pretrained", nargs="?", const="true",
                   help="pretrained weights: the default, a tag, or a checkpoint path")
    p.add_argument("--data", required=True, help="image folder: class sub-folders, or train/ val/")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr-per-256", type=float)
    p.add_argument("--backbone-lr-mult", type=float)
    p.add_argument("--freeze-backbone", action="store_true")
    p.add_argument("--freeze-bn", action="store_true")
    p.add_argument("--val-split", type=float)
    p.add_argument("--device")
    p.add_argument("--output-dir")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    a = p.parse_args(argv)
    pairs = {"model.name": a.model, "model.pretrained": a.pretrained, "data.root": a.data,
             "train.epochs": a.epochs, "train.batch_size": a.batch_size,
             "optim.lr_per_256": a.lr_per_256, "finetune.backbone_lr_mult": a.backbone_lr_mult,
             "data.val_split": a.val_split, "train.device": a.device,
             "train.output_dir": a.output_dir}
    overrides = ["data.dataset=folder"] + [f"{k}={v}" for k, v in pairs.items() if v is not None]
    if a.freeze_backbone:
        overrides.append("finetune.freeze_backbone=true")
    if a.freeze_bn:
        overrides.append("finetune.freeze_bn=true")
    try:
        cfg = load_config(a.config, overrides + a.set)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    record = fit(cfg)
    print(f"fine-tuned {cfg.model.name}: val top-1 {record['val_top1']:.4f} "
          f"(checkpoints in {cfg.train.output_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
