"""Print top-1/top-5 of a model on a dataset's validation split, with the eval preset.

    python scripts/eval.py --config configs/lenet_mnist.yaml \
        --checkpoint runs/lenet_mnist/best.safetensors
    python scripts/eval.py --config configs/lenet_mnist.yaml --model lenet --pretrained
"""
import json
import sys

from gluonkit.train import load_config
from gluonkit.train.engine import evaluate_checkpoint
from gluonkit.utils import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--config", required=True, help="recipe naming the dataset and model")
    p.add_argument("--checkpoint", help="a training checkpoint or .safetensors weights file")
    p.add_argument("--model", help="zoo model name (overrides the recipe's)")
    p.add_argument("--pretrained", nargs="?", const=True, default=False,
                   help="load the model's pretrained weights (optionally a tag or a file)")
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)
    if not args.checkpoint and not args.pretrained:
        p.error("give --checkpoint PATH or --pretrained")
    cfg = load_config(args.config, args.set + ([f"model.name={args.model}"] if args.model
                                               else []))
    result = evaluate_checkpoint(cfg, checkpoint=args.checkpoint, pretrained=args.pretrained)
    print(json.dumps(result))
    top5 = f"  top-5 {result['val_top5']:.4f}" if "val_top5" in result else ""
    print(f"top-1 {result['val_top1']:.4f}{top5}  ({result['images']} images)")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
