"""Train a zoo model from a YAML recipe.

    python scripts/train.py --config configs/lenet_mnist.yaml [--set train.epochs=3 ...] [--resume]
"""
import argparse
import sys

from gluonkit import dist
from gluonkit.train import ConfigError, fit, load_config


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config", required=True, help="YAML recipe (configs/*.yaml)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override recipe values, e.g. optim.lr_per_256=0.2 train.epochs=3")
    p.add_argument("--resume", action="store_true", help="continue from train.output_dir/last")
    args = p.parse_args(argv)
    try:
        cfg = load_config(args.config, args.set)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    record = fit(cfg, resume=args.resume)
    if "val_top1" in record and (dist.current() is None or dist.current().rank == 0):
        print(f"final: val top-1 {record['val_top1']:.4f}, top-5 {record['val_top5']:.4f}, "
              f"checkpoints in {cfg.train.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
