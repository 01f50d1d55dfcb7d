"""Fine-tune a pretrained zoo model on an image folder and report validation top-1.

    python scripts/finetune.py --model resnet50_v1b --pretrained --data path/to/folder
    python scripts/finetune.py --model resnet18_v1b --no-pretrained --data path/to/folder
    python scripts/finetune.py --config configs/finetune.yaml --data path/to/folder --freeze-bn

Each run writes to its own folder, runs/<model>-<folder>-<date>-<time>, unless --output-dir is
given. A small folder trains for at least finetune.min_steps steps (more epochs).
"""
import os
import sys

from gluonkit.model_zoo import store
from gluonkit.model_zoo.registry import UnknownWeightsTagError
from gluonkit.train import fit, load_config
from gluonkit.train.progress import final_line
from gluonkit.utils import cli

DEFAULT = os.path.join(os.path.dirname(__file__), "..", "configs", "finetune.yaml")


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--config", default=DEFAULT, help="fine-tuning recipe (configs/finetune.yaml)")
    p.add_argument("--model", help="zoo model name")
    weights = p.add_mutually_exclusive_group()
    weights.add_argument("--pretrained", nargs="?", const="true",
                         help="pretrained weights: the default, a tag, or a checkpoint path "
                              "(the recipe's default: the model's own weights)")
    weights.add_argument("--no-pretrained", action="store_true",
                         help="train from scratch, without downloading weights")
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
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE")
    cli.progress_flag(p)
    a = p.parse_args(argv)
    pairs = {"model.name": a.model, "model.pretrained": "false" if a.no_pretrained
             else a.pretrained, "data.root": a.data, "train.epochs": a.epochs,
             "train.batch_size": a.batch_size, "optim.lr_per_256": a.lr_per_256,
             "finetune.backbone_lr_mult": a.backbone_lr_mult, "data.val_split": a.val_split,
             "train.device": a.device, "train.output_dir": a.output_dir,
             "train.progress": None if a.progress is None else str(a.progress).lower()}
    overrides = ["data.dataset=folder"] + [f"{k}={v}" for k, v in pairs.items() if v is not None]
    if a.freeze_backbone:
        overrides.append("finetune.freeze_backbone=true")
    if a.freeze_bn:
        overrides.append("finetune.freeze_bn=true")
    cfg = load_config(a.config, overrides + a.set)
    try:
        record = fit(cfg)
    except (store.StoreError, UnknownWeightsTagError) as e:
        if not cfg.model.pretrained:
            raise
        raise type(e)(f"{e}\n--no-pretrained trains {cfg.model.name} from scratch, "
                      "without weights") from None
    what = (f"fine-tuned {cfg.model.name} from {_weights(cfg.model.pretrained)}"
            if cfg.model.pretrained else f"trained {cfg.model.name} from scratch")
    print(final_line(record, what))
    return 0


def _weights(pretrained) -> str:
    return "its pretrained weights" if pretrained is True else str(pretrained)


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
