"""Convert a torchvision/timm (.pth/.pt/.safetensors/.npz) or GluonCV (.params) checkpoint into
gluonkit .safetensors.

    python scripts/convert_weights.py resnet50-0676ba61.pth resnet50_v1b.safetensors \
        --model resnet50_v1b --meta top1=76.13 source_url=https://download.pytorch.org/...
    python scripts/convert_weights.py cifar_resnet20_v1.params cifar20.safetensors \
        --model cifar_resnet20_v1

The file is read without PyTorch (a restricted unpickler) or MXNet (a bounds-checked reader of
its NDArray format); names are mapped onto the zoo model (batch norm weight/bias -> gamma/beta,
'module.' stripped, GluonCV's layouts renamed), checked against its shapes, and written with the
model name, the source file's SHA-256 and the class names (the source's, else the model's
default ones when the class count is the default) in the metadata.
"""
import json
import os
import sys

from gluonkit.model_zoo import convert, get_model, store
from gluonkit.model_zoo.class_names import CLASS_NAMES_KEY, read_class_names
from gluonkit.utils import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("source")
    p.add_argument("output")
    p.add_argument("--model", required=True, help="zoo model the checkpoint belongs to")
    p.add_argument("--classes", type=int, help="classifier size if not the model's default")
    p.add_argument("--meta", nargs="*", default=[], metavar="KEY=VALUE",
                   help="extra metadata to record (recipe, seed, accuracy, ...)")
    a = p.parse_args(argv)
    if any("=" not in item for item in a.meta):
        p.error("--meta takes KEY=VALUE items")
    model = get_model(a.model, classes=a.classes)
    target = {n: tuple(prm.shape) for n, prm in model.collect_params().items()}
    try:
        state = convert.to_gluonkit(convert.load_checkpoint(a.source, model=a.model), target)
    except (convert.CheckpointMismatchError, convert.UnsafeCheckpointError, ValueError,
            OSError) as e:  # a file that is not a checkpoint of this model, or is unreadable
        if a.debug:
            raise
        print(f"error: cannot convert {a.source}: {e}", file=sys.stderr)
        return 2
    meta = {"model": a.model, "source": os.path.basename(a.source),
            "source_sha256": store.sha256_of(a.source), "format": "gluonkit"}
    names = read_class_names(a.source) or model.default_cfg["class_names"]
    if names:
        meta[CLASS_NAMES_KEY] = json.dumps(list(names))
    meta.update(item.split("=", 1) for item in a.meta)
    convert.save_safetensors(a.output, state, meta)
    print(f"wrote {a.output}: {len(state)} arrays for {a.model}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
