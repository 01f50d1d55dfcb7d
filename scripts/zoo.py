"""Manage the pretrained-weight cache ($GLUONKIT_HOME/models).

    python scripts/zoo.py list                 # cached files, sizes, hashes
    python scripts/zoo.py verify               # re-hash every cached file
    python scripts/zoo.py fetch resnet50_v1b   # download (or find) a model's default weights
    python scripts/zoo.py purge ['resnet*']    # delete cached files
    python scripts/zoo.py pack cache.tar       # carry the cache to an offline machine ...
    python scripts/zoo.py unpack cache.tar     # ... and add it there, every hash checked
"""
import argparse
import sys

from gluonkit.model_zoo import model_entry, store


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    sub.add_parser("verify")
    f = sub.add_parser("fetch")
    f.add_argument("model")
    f.add_argument("--tag", default="default")
    pu = sub.add_parser("purge")
    pu.add_argument("pattern", nargs="?")
    for name in ("pack", "unpack"):
        sub.add_parser(name).add_argument("path")
    a = p.parse_args(argv)
    if a.cmd == "list":
        for item in store.list_cached():
            print(f"{item['filename']}\t{item['size']}\t{item['sha256'] or '?'}")
    elif a.cmd == "verify":
        result = store.verify()
        for name, ok in result.items():
            print(f"{'ok ' if ok else 'BAD'} {name}")
        return 0 if all(result.values()) else 1
    elif a.cmd == "fetch":
        weights = model_entry(a.model).metadata["weights"]
        if a.tag not in weights:
            print(f"{a.model} has no weights tagged {a.tag!r} (has: {sorted(weights)})",
                  file=sys.stderr)
            return 2
        print(store.fetch(weights[a.tag]))
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
    sys.exit(main())
