"""Benchmarks: one JSON line per measured row.

    python scripts/benchmark.py --workload ops [--device cpu|gpu] [--dtype float32] [--steps 3]
                                [--batch 16]

A workload is a function ``run(device, steps, dtype, batch) -> list[dict]`` registered in
``WORKLOADS``.
"""
import argparse
import json
import sys

import gluonkit as gk
from gluonkit.utils import bench_ops

WORKLOADS = {"ops": bench_ops.run}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    p.add_argument("--dtype", default="float32", choices=["float32", "float64", "float16"])
    p.add_argument("--steps", type=int, default=3, help="timed repetitions (the best is kept)")
    p.add_argument("--batch", type=int, default=16)
    args = p.parse_args(argv)
    if args.device == "gpu" and gk.num_gpus() == 0:
        print("--device gpu: no CUDA device (or CuPy) here", file=sys.stderr)
        return 2
    device = gk.gpu(0) if args.device == "gpu" else gk.cpu()
    for row in WORKLOADS[args.workload](device, steps=args.steps, dtype=args.dtype,
                                        batch=args.batch):
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
