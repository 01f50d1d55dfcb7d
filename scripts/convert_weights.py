"""Convert a torchvision/timm checkpoint (.pth/.pt/.safetensors/.npz) into gluonkit .safetensors.

    python scripts/convert_weights.py resnet50-0676ba61.pth resnet50_v1b.safetensors \
        --model resnet50_v1b --meta top1=76.13 source_url=https://download.pytorch.org/...

The file is read without PyTorch (a restricted unpickler); names are mapped onto the zoo model
(batch norm weight/bias -> gamma/beta, 'module.' stripped), checked against its shapes, and
written with the model name and the source file's SHA-256 in the metadata.
"""
import os
import sys

from gluonkit.model_zoo import convert, get_model, store
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
        state = convert.to_gluonkit(convert.load_checkpoint(a.source), target)
    except (convert.CheckpointMismatchError, convert.UnsafeCheckpointError, ValueError,
            OSError) as e:  # a file that is not a checkpoint of this model, or is unreadable
        if a.debug:
            raise
        print(f"error: cannot convert {a.source}: {e}", file=sys.stderr)
        return 2
    meta = {"model": a.model, "source": os.path.basename(a.source),
            "source_sha256": store.sha256_of(a.source), "format": "gluonkit"}
    meta.update(item.split("=", 1) for item in a.meta)
    convert.save_safetensors(a.output, state, meta)
    print(f"wrote {a.output}: {len(state)} arrays for {a.model}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
