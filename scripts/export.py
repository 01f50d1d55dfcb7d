"""Export a zoo model as a gluonkit graph (run by SymbolBlock.imports) or as ONNX.

    python scripts/export.py --model resnet50_v1b --pretrained --format onnx --out resnet50
    python scripts/export.py --model lenet --checkpoint runs/lenet_mnist/best.safetensors \
        --format graph --out lenet          # lenet-graph.json + lenet.safetensors

The model is traced in predict mode on one input of its default size (``--input-size`` to
change it); both formats run at any batch size.
"""
import sys

import gluonkit as gk
from gluonkit.model_zoo import get_model, model_entry
from gluonkit.utils import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--model", required=True, help="zoo model name (scripts/zoo.py lists them)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--pretrained", nargs="?", const=True, default=False,
                     help="the model's published weights (optionally a tag)")
    src.add_argument("--checkpoint", help="a .safetensors/.pth file with the model's weights")
    p.add_argument("--classes", type=int, help="classifier size (default: the weights' own)")
    p.add_argument("--format", choices=["graph", "onnx"], default="graph")
    p.add_argument("--out", required=True, help="output prefix (.onnx is added for onnx)")
    p.add_argument("--input-size", help="C,H,W of the example input (default: the model's)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset")
    args = p.parse_args(argv)
    kwargs = {} if args.classes is None else {"classes": args.classes}
    pretrained = args.checkpoint or args.pretrained
    net = get_model(args.model, pretrained=pretrained, **kwargs)
    size = tuple(int(v) for v in args.input_size.split(",")) if args.input_size else \
        tuple(model_entry(args.model).metadata["input_size"])
    example = gk.np.zeros((1,) + size)
    if args.format == "onnx":
        from gluonkit import onnx
        path = args.out if args.out.endswith(".onnx") else args.out + ".onnx"
        print(f"wrote {onnx.export(net, example, path, opset=args.opset)}")
    else:
        graph_file, params_file = net.export(args.out, example=example)
        print(f"wrote {graph_file} and {params_file}")
    if not pretrained:
        print("note: no --pretrained or --checkpoint given: the weights are random",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
