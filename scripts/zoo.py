"""Choose from the zoo and manage the pretrained-weight cache ($GLUONKIT_HOME/models).

    python scripts/zoo.py table [--benchmarks bench.jsonl] [--models 'resnet50*']
                                               # Markdown: parameters, GMACs, top-1, weights
    python scripts/zoo.py list                 # cached files, sizes, hashes, their models
    python scripts/zoo.py verify               # re-hash every cached file
    python scripts/zoo.py fetch resnet50_v1b   # download (or find) a model's default weights
    python scripts/zoo.py fetch --url URL --sha256 HEX   # any file, by its URL and hash
    python scripts/zoo.py purge ['resnet*']    # delete cached files
    python scripts/zoo.py pack cache.tar       # carry the cache to an offline machine ...
    python scripts/zoo.py unpack cache.tar     # ... and add it there, every hash checked
"""
import sys

from gluonkit.model_zoo import list_models, model_entry, store
from gluonkit.model_zoo.table import read_benchmarks, zoo_table
from gluonkit.utils import cli


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("table")
    t.add_argument("--benchmarks", metavar="FILE", help="scripts/benchmark.py JSON lines")
    t.add_argument("--models", metavar="PATTERN", help="only these models ('resnet50*')")
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
    if a.cmd == "table":
        names = list_models(a.models)
        if not names:
            print(f"no model matches {a.models!r}; see list_models()", file=sys.stderr)
            return 2
        print(zoo_table(names, read_benchmarks(a.benchmarks) if a.benchmarks else None))
    elif a.cmd == "list":
        _list()
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


def _weight_files() -> dict:
    """filename -> the models whose default weights it is."""
    out: dict = {}
    for name in list_models():
        wf = model_entry(name).metadata["weights"].get("default")
        if wf is not None and not wf.bundled:
            out.setdefault(wf.filename, []).append(name)
    return out


def _list() -> None:
    cached, owners = store.list_cached(), _weight_files()
    for item in cached:
        models = ", ".join(owners.get(item["filename"], []))
        print(f"{item['filename']}\t{item['size']}\t{item['sha256'] or '?'}"
              + (f"\t{models}" if models else ""))
    if not cached:
        example = "resnet50_v1b" if "resnet50-0676ba61.pth" in owners else "MODEL"
        print(f"no weights cached in {store.models_dir()}. Fetch a model's with "
              f"`python scripts/zoo.py fetch {example}` (downloadable: "
              f"{', '.join(sorted(n for ns in owners.values() for n in ns))}), or copy a cache "
              "made with `zoo.py pack` and `zoo.py unpack` it. LeNet's weights ship in the "
              "package and need no fetch.")


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
