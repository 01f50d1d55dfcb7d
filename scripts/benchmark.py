"""Benchmarks: one JSON line per measured row.

    python scripts/benchmark.py --workload lenet_train [--device cpu|gpu] [--compare torch]
    python scripts/benchmark.py --workload resnet50_infer --hybridize --compare onnxruntime
    python scripts/benchmark.py --workload resnet50_infer --profile   # per-op time of a replay
    python scripts/benchmark.py --workload models --device gpu --dtype float16 --compare torch
    python scripts/benchmark.py --workload resnet50_infer --device gpu --profile  # CUDA events
    python scripts/benchmark.py --workload models --compare torch     # every model workload
    python scripts/benchmark.py --workload ops        # conv/BN at ResNet-50 shapes vs GEMM rate
    python scripts/benchmark.py --workload data       # JPEG decode + ImageNet augmentation
    python scripts/benchmark.py --workload memory --compare torch  # peak of a ResNet-50 step
    python scripts/benchmark.py --workload overhead   # microseconds per small op
    python scripts/benchmark.py --workload lenet_train --ranks 1,2   # 1 x 2 threads vs 2 ranks

Model workloads are those of docs/BENCHMARKS.md (batch from its table unless --batch is
given); the README's "Speed" section has the figures measured here.
"""
import json
import sys

import gluonkit as gk
from gluonkit.core.device import DeviceError
from gluonkit.train import bench_dist, bench_memory, bench_models
from gluonkit.utils import bench_data, bench_ops, bench_overhead, cli


def _models(a, device):
    for name in bench_models.WORKLOADS:  # a generator: each row prints as soon as it is measured
        yield from _model(name, a, device)


def _model(name, a, device):
    if a.profile:
        return bench_models.profile(name, device, batch=a.batch, steps=a.steps or 3)
    return [bench_models.run(name, device, dtype=a.dtype, steps=a.steps or 5,
                             compare_torch=a.compare == "torch", batch=a.batch,
                             hybridize=a.hybridize,
                             compare_onnxruntime=a.compare == "onnxruntime")]


WORKLOADS = {
    "ops": lambda a, d: bench_ops.run(d, steps=a.steps or 3, dtype=a.dtype, batch=a.batch or 16),
    "data": lambda a, d: bench_data.run(batch_size=a.batch or 32),
    "memory": lambda a, d: [bench_memory.run(batch=a.batch or 16,
                                             compare_torch=a.compare == "torch")],
    "overhead": lambda a, d: bench_overhead.run(d),
    "models": _models,
}
WORKLOADS.update({name: (lambda a, d, name=name: _model(name, a, d))
                  for name in bench_models.WORKLOADS})


def main(argv=None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    p.add_argument("--dtype", default="float32",
                   choices=["float32", "float64", "float16", "bfloat16"],
                   help="16-bit: mixed precision (float32 master weights; PyTorch runs AMP)")
    p.add_argument("--tf32", action="store_true",
                   help="GPU: float32 GEMMs on TF32 tensor cores (both gluonkit and PyTorch)")
    p.add_argument("--steps", type=int, help="timed steps (the median is reported)")
    p.add_argument("--batch", type=int, help="batch size (default: the workload's own)")
    p.add_argument("--compare", choices=["torch", "onnxruntime"],
                   help="run the same workload in PyTorch, or (inference workloads) gluonkit's "
                        "ONNX export in onnxruntime with 2 threads, in the same process")
    p.add_argument("--profile", action="store_true",
                   help="per-op time of a hybridized predict-mode replay of the model")
    p.add_argument("--hybridize", action="store_true",
                   help="run gluonkit through a hybridized (traced, replayed) graph")
    p.add_argument("--ranks", help="data-parallel rows, e.g. 1,2: one process with 2 threads vs "
                   f"2 MPI ranks with 1 thread each ({', '.join(bench_dist.WORKLOADS)}; CPU)")
    args = p.parse_args(argv)
    if args.ranks:
        ranks = [int(n) for n in args.ranks.split(",")]
        for row in bench_dist.run(args.workload, ranks, steps=args.steps or 10, batch=args.batch):
            print(json.dumps(row), flush=True)
        return 0
    if args.device == "gpu" and gk.num_gpus() == 0:
        raise DeviceError("--device gpu: no CUDA device (or CuPy) here; use --device cpu")
    device = gk.gpu(0) if args.device == "gpu" else gk.cpu()
    if args.tf32:
        from gluonkit.core.gpu_math import allow_tf32
        allow_tf32(True)  # PyTorch follows gluonkit's setting (bench_models._torch_step)
    for row in WORKLOADS[args.workload](args, device):
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_cli(main))
