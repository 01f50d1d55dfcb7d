"""Classify images with a zoo model: the top-k class names and probabilities of each.

    python scripts/predict.py --model resnet50_v1b --pretrained cat.jpg dog.png --topk 3
    python scripts/predict.py --model lenet --checkpoint runs/lenet/best.safetensors digits/ \
        --save out.png

``--save out.png`` writes a picture of each image beside a bar chart of its top-k (drawn with
OpenCV, already a dependency; several images give out-0.png, out-1.png, ...).
"""
import os
import sys

import gluonkit as gk
from gluonkit.data import decode_image
from gluonkit.model_zoo import get_model
from gluonkit.utils.draw import prediction_card, save_png
from gluonkit.utils import cli


def _save_paths(save: str, n: int) -> list:
    if n == 1:
        return [save]
    stem, ext = os.path.splitext(save)
    return [f"{stem}-{i}{ext}" for i in range(n)]


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("images", nargs="+", help="image files or folders of images")
    p.add_argument("--model", required=True, help="zoo model name (or torchvision/timm's)")
    weights = p.add_mutually_exclusive_group(required=True)
    weights.add_argument("--pretrained", action="store_true",
                         help="the model's default pretrained weights")
    weights.add_argument("--checkpoint", help="a weights or training checkpoint file")
    p.add_argument("--topk", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--save", metavar="OUT.png", help="write image + bar chart PNG(s)")
    a = p.parse_args(argv)
    if a.save and not a.save.lower().endswith(".png"):
        p.error(f"--save writes PNG: give a name ending in .png, not {a.save!r}")
    net = get_model(a.model, pretrained=a.checkpoint or True)
    results = gk.predict(net, a.images, topk=a.topk, batch_size=a.batch_size)
    for r in results:
        print(r["image"])
        for name, prob in zip(r["names"], r["probs"]):
            print(f"  {prob:7.2%}  {name}")
    if a.save:
        for r, out in zip(results, _save_paths(a.save, len(results))):
            save_png(out, prediction_card(decode_image(r["image"]), r["names"], r["probs"]))
            print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
