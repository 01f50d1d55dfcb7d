"""Manage the pretrained-weight cache ($GLUONKIT_HOME/models).

    python scripts/zoo.py list                 # cached files, sizes, hashes
    python scripts/zoo.py verify               # re-hash every cached file
    python scripts/zoo.py fetch resnet50_v1b   # download (or find) a model's default weights
    python scripts/zoo.py fetch --url URL --sha256 HEX   # any file, by its URL and hash
    python scripts/zoo.py purge ['resnet*']    # delete cached files
    python scripts/zoo.py pack cache.tar       # carry the cache to an offline machine ...
    python scripts/zoo.py unpack cache.tar     # ... and add it there, every hash checked
"""
import sys

from gluonkit.model_zoo import model_entry, store
from gluonkit.utils import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    sub.add_parser("verify")
    f = sub.add_parser("fetch")
    f.add_argument("model", nargs="?")
    f.add_argument("--tag", default="default")
    f.add_argument("--url", help="fetch this file instead of a model's weights")
    f.add_argument("--sha256", help="the file's SHA-256 (required with --url)")
    pu = sub.add_parser("purge")
    pu.add_argument("pattern", nargs="?")
    for name in ("pack", "unpack"):
        sub.add_parser(name).add_argument("path")
    a = p.parse_args(argv)
    if a.cmd == "fetch" and ((a.url is None) == (a.model is None)
                             or (a.url is None) != (a.sha256 is None)):
        f.error("fetch takes a model name, or --url with --sha256")
    try:
        return _run(a)
    except store.StoreError as e:
        if a.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1


def _run(a) -> int:
    if a.cmd == "list":
        for item in store.list_cached():
            print(f"{item['filename']}\t{item['size']}\t{item['sha256'] or '?'}")
    elif a.cmd == "verify":
        result = store.verify()
        for name, ok in result.items():
            print(f"{'ok ' if ok else 'BAD'} {name}")
        return 0 if all(result.values()) else 1
    elif a.cmd == "fetch":
        if a.url:
            wf = store.WeightFile(a.url.rsplit("/", 1)[-1], a.sha256, urls=(a.url,))
        else:
            weights = model_entry(a.model).metadata["weights"]
            if a.tag not in weights:
                print(f"{a.model} has no weights tagged {a.tag!r} (has: {sorted(weights)})",
                      file=sys.stderr)
                return 2
            wf = weights[a.tag]
        print(store.fetch(wf))
    elif a.cmd == "purge":
        for name in store.purge(a.pattern):
            print(f"removed {name}")
    elif a.cmd == "pack":
        print(store.pack(a.path))
    else:
        for name in store.unpack(a.path):
            print(f"added {name}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
