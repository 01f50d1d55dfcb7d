"""Train a zoo model from a YAML recipe.

    python scripts/train.py --config configs/lenet_mnist.yaml [--set train.epochs=3 ...] [--resume]
"""
import sys

from gluonkit import dist
from gluonkit.train import fit, load_config
from gluonkit.train.progress import final_line
from gluonkit.utils import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--config", required=True, help="YAML recipe (configs/*.yaml)")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                   help="override recipe values, e.g. optim.lr_per_256=0.2 train.epochs=3")
    p.add_argument("--resume", action="store_true", help="continue from train.output_dir/last")
    cli.progress_flag(p)
    args = p.parse_args(argv)
    extra = [] if args.progress is None else [f"train.progress={str(args.progress).lower()}"]
    cfg = load_config(args.config, args.set + extra)
    record = fit(cfg, resume=args.resume)
    if dist.current() is None or dist.current().rank == 0:
        print(final_line(record, f"trained {cfg.model.name}"))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
