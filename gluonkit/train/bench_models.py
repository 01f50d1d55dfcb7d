"""Model benchmarks: the workloads of docs/BENCHMARKS.md, each optionally beside PyTorch.

A training step is forward + softmax cross-entropy + backward + SGD (momentum 0.9) through
``gluonkit.optim.Trainer``; an inference step is a forward in predict mode without recording.
A few warm-up steps run first, then the median of the timed steps is reported (the GPU is
synchronised before the clock is read). Inputs and labels are seeded random arrays.

``compare_torch=True`` runs the same workload in PyTorch in the same process when it is
importable (torchvision/timm supply the ImageNet models) and adds ``torch_images_per_s`` and
``ratio`` (gluonkit images/s over PyTorch's: above 1 means gluonkit is faster).

Example::

    from gluonkit.train import bench_models
    row = bench_models.run("resnet20_cifar_train", gluonkit.cpu(), steps=5)
"""
from __future__ import annotations

import importlib.util
import os
import resource
import statistics
import time
from dataclasses import dataclass

import numpy as onp

import gluonkit as gk
from gluonkit import autograd, model_zoo
from gluonkit.core.dtypes import resolve as resolve_dtype
from gluonkit.loss import SoftmaxCrossEntropyLoss
from gluonkit.optim import Trainer
from gluonkit.utils.errors import UserError

__all__ = ["Workload", "WORKLOADS", "run", "require_torch", "lenet_train", "resnet20_cifar_train",
           "resnet50_train", "resnet50_infer", "resnest50_train", "inception_v3_train",
           "googlenet_infer", "ComparisonUnavailableError"]

WARMUP = 2


@dataclass(frozen=True)
class Workload:
    model: str  # a gluonkit.model_zoo name
    input_shape: tuple  # (C, H, W)
    batch_cpu: int
    batch_gpu: int
    train: bool
    classes: int = 1000


_TABLE = {
    "lenet_train": Workload("lenet", (1, 28, 28), 256, 1024, True, 10),
    "resnet20_cifar_train": Workload("cifar_resnet20_v1", (3, 32, 32), 128, 512, True, 10),
    "resnet50_train": Workload("resnet50_v1b", (3, 224, 224), 16, 256, True),
    "resnet50_infer": Workload("resnet50_v1b", (3, 224, 224), 16, 256, False),
    "resnest50_train": Workload("resnest50", (3, 224, 224), 8, 128, True),
    "inception_v3_train": Workload("inceptionv3", (3, 299, 299), 8, 128, True),
    "googlenet_infer": Workload("googlenet", (3, 224, 224), 16, 256, False),
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def _median_step_s(step, sync, steps: int) -> float:
    for _ in range(WARMUP):
        step()
    sync()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _data(w: Workload, batch: int, seed: int = 0):
    rng = onp.random.default_rng(seed)
    x = rng.standard_normal((batch,) + w.input_shape, dtype=onp.float32)
    return x, rng.integers(0, w.classes, size=batch)


def _gluonkit_step(w: Workload, device, dtype: str, batch: int, hybridize: bool = False):
    """(step, sync, trainable parameter count) for the gluonkit side."""
    gk.random.seed(0)
    net = model_zoo.get_model(w.model, classes=w.classes, device=device)
    if dtype != "float32":
        net.cast(resolve_dtype(dtype))
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    xs, ys = _data(w, batch)
    x = gk.np.array(xs, dtype=dtype, device=device)
    y = gk.np.array(ys, dtype="int64", device=device)
    params = sum(p.data().size for p in net.collect_params().values() if p.grad_req != "null")
    if w.train:
        loss_fn = SoftmaxCrossEntropyLoss()
        trainer = Trainer(net.collect_params(), "sgd",
                          {"learning_rate": 0.01, "momentum": 0.9, "wd": 1e-4,
                           "multi_precision": dtype != "float32"})

        def step():
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(batch)
    else:
        def step():
            net(x)

    def sync():
        if device.kind == "gpu":
            device.xp.cuda.get_current_stream().synchronize()
    return step, sync, params


class ComparisonUnavailableError(UserError, ImportError):
    """``--compare torch`` where PyTorch (or the package with the model's twin) is missing."""


def require_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        raise ComparisonUnavailableError(
            "--compare torch needs PyTorch in this environment: pip install torch (and "
            "torchvision / timm for the ImageNet models), or leave out --compare")


def _torch_model(w: Workload):
    """The PyTorch twin of a workload's model (random init), or None if none is importable."""
    import torch.nn as tnn

    if w.model == "lenet":
        return tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
            tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
            tnn.Linear(84, w.classes))
    if w.model == "cifar_resnet20_v1":
        return _torch_cifar_resnet(3, w.classes)
    try:
        import torchvision.models as tvm
    except ImportError:
        tvm = None
    if tvm is not None and w.model == "resnet50_v1b":
        return tvm.resnet50(num_classes=w.classes)
    if tvm is not None and w.model == "inceptionv3":
        return tvm.inception_v3(num_classes=w.classes, aux_logits=False, init_weights=False)
    if tvm is not None and w.model == "googlenet":
        return tvm.googlenet(num_classes=w.classes, aux_logits=False, init_weights=False)
    timm_names = {"resnest50": "resnest50d", "resnet50_v1b": "resnet50"}
    try:
        import timm
    except ImportError:
        return None
    return timm.create_model(timm_names[w.model], num_classes=w.classes) \
        if w.model in timm_names else None


def _torch_cifar_resnet(n: int, classes: int):
    """CIFAR ResNet-(6n+2) v1 in PyTorch: 3x3 stem, stages of 16/32/64, projection shortcuts."""
    import torch.nn as tnn

    def cbr(cin, cout, stride, relu=True):
        layers = [tnn.Conv2d(cin, cout, 3, stride, 1, bias=False), tnn.BatchNorm2d(cout)]
        return layers + [tnn.ReLU()] if relu else layers

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = tnn.Sequential(*cbr(cin, cout, stride), *cbr(cout, cout, 1, False))
            self.down = tnn.Identity() if stride == 1 and cin == cout else tnn.Sequential(
                tnn.Conv2d(cin, cout, 1, stride, bias=False), tnn.BatchNorm2d(cout))

        def forward(self, x):
            return (self.body(x) + self.down(x)).relu()

    layers, cin = cbr(3, 16, 1), 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(n):
            layers.append(Block(cin, cout, stride if i == 0 else 1))
            cin = cout
    return tnn.Sequential(*layers, tnn.AdaptiveAvgPool2d(1), tnn.Flatten(),
                          tnn.Linear(64, classes))


def _torch_step(w: Workload, device, dtype: str, batch: int):
    """(step, sync) for the PyTorch side; says which package is missing when one is."""
    # NOTE: PyTorch's OpenMP threads busy-wait between ops by default, which starves NumPy's
    # BLAS threads in the same process (measured: ResNet-50 inference 5x slower on both sides
    # once both had run). A passive wait policy, set before the first import, avoids that.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch  # present: run() checked

    torch.manual_seed(0)
    model = _torch_model(w)
    if model is None:
        package = "timm" if w.model == "resnest50" else "torchvision"
        raise ComparisonUnavailableError(
            f"--compare torch: the PyTorch twin of {w.model} comes from {package}, which is not "
            f"installed: pip install {package}")
    dev = torch.device("cuda" if device.kind == "gpu" else "cpu")
    # On the GPU PyTorch runs its fastest setup: channels-last, 16-bit dtypes through AMP
    # (float32 weights, autocast, loss scaling for float16), fused SGD.
    gpu, tdtype = dev.type == "cuda", getattr(torch, dtype)
    if gpu:  # TF32 as gluonkit has it (off unless benchmark.py --tf32), for GEMMs and convs
        from gluonkit.core.gpu_math import tf32_allowed
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32_allowed()
    amp = gpu and dtype in ("float16", "bfloat16")
    fmt = torch.channels_last if gpu and len(w.input_shape) == 3 else torch.contiguous_format
    model = model.to(dev, torch.float32 if amp else tdtype, memory_format=fmt)
    xs, ys = _data(w, batch)
    x = torch.from_numpy(xs).to(dev, torch.float32 if amp else tdtype).to(memory_format=fmt)
    y = torch.from_numpy(ys).to(dev)
    autocast = torch.autocast("cuda", dtype=tdtype, enabled=amp)
    if w.train:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4,
                              **({"fused": True} if gpu else {}))
        scaler = torch.amp.GradScaler("cuda", enabled=amp and dtype == "float16")

        def step():
            opt.zero_grad(set_to_none=True)
            with autocast:
                loss = torch.nn.functional.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    else:
        model.eval()

        def step():
            with torch.inference_mode(), autocast:
                model(x)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()
    return step, sync


def _onnxruntime_step(w: Workload, device, batch: int, threads: int = 2):
    """(step, sync) running gluonkit's own ONNX export of the model in onnxruntime."""
    import tempfile

    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError("--compare onnxruntime needs onnxruntime and onnx: "
                          "pip install 'gluonkit[onnx]'") from None
    from gluonkit import onnx as gonnx

    gk.random.seed(0)
    net = model_zoo.get_model(w.model, classes=w.classes)
    xs, _ = _data(w, batch)
    with tempfile.TemporaryDirectory() as tmp:
        path = gonnx.export(net, gk.np.array(xs), os.path.join(tmp, "model.onnx"))
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    return (lambda: session.run(None, {"data0": xs})), (lambda: None)


def profile(workload: str, device=None, batch: int | None = None, steps: int = 3) -> list:
    """Per-op time of a hybridized predict-mode replay of the workload's model (median of
    ``steps`` replays), one row per op kind, largest first."""
    w = _TABLE[workload]
    device = device or gk.cpu()
    batch = batch or (w.batch_gpu if device.kind == "gpu" else w.batch_cpu)
    gk.random.seed(0)
    net = model_zoo.get_model(w.model, classes=w.classes, device=device)
    net.hybridize(static_alloc=True)
    x = gk.np.array(_data(w, batch)[0], device=device)
    net(x)
    executor, params = net.graph_executor(x)
    data = [p.data() for p in params]
    if device.kind == "gpu":  # device time per op from CUDA events, not host clocks
        from gluonkit.utils.bench_gpu import event_profile
        runs = [event_profile(executor, [x.raw], [d.raw for d in data]) for _ in range(steps)]
    else:
        runs = [executor.profile([x.raw], [d.raw for d in data]) for _ in range(steps)]
    total = statistics.median(sum(t for _, t in r.values()) for r in runs)
    rows = []
    for op in runs[0]:
        seconds = statistics.median(r[op][1] for r in runs)
        rows.append({"workload": workload, "op": op, "calls": runs[0][op][0],
                     "seconds": seconds, "share": seconds / total})
    return sorted(rows, key=lambda r: -r["seconds"])


def run(workload: str, device=None, dtype: str = "float32", steps: int = 5,
        compare_torch: bool = False, batch: int | None = None, hybridize: bool = False,
        compare_onnxruntime: bool = False) -> dict:
    """Measure one workload of docs/BENCHMARKS.md and return its row (``scripts/benchmark.py``
    prints it as one JSON line). ``batch=None`` takes the table's batch for the device;
    ``hybridize`` runs it through a traced graph; ``compare_onnxruntime`` adds onnxruntime
    running gluonkit's ONNX export of the model (inference workloads, CPU, 2 threads).
    """
    if compare_torch:  # before measuring: a missing PyTorch fails at once, not after minutes
        require_torch()
    if workload not in _TABLE:
        raise ValueError(f"unknown workload {workload!r}; choose one of {sorted(_TABLE)}")
    w = _TABLE[workload]
    device = device or gk.cpu()
    batch = batch or (w.batch_gpu if device.kind == "gpu" else w.batch_cpu)
    step, sync, params = _gluonkit_step(w, device, dtype, batch, hybridize)
    median = _median_step_s(step, sync, steps)
    row = {"workload": workload, "model": w.model, "device": device.kind,
           "hybridize": hybridize, "images_per_s": batch / median, "median_step_s": median,
           "steps": steps, "batch": batch, "params": params, "peak_rss_mb": _peak_rss_mb()}
    if compare_onnxruntime and not w.train:  # onnxruntime runs inference only
        o_median = _median_step_s(*_onnxruntime_step(w, device, batch), steps)
        row["onnxruntime_images_per_s"] = batch / o_median
        row["ratio"] = row["images_per_s"] / row["onnxruntime_images_per_s"]
    if compare_torch:
        t_median = _median_step_s(*_torch_step(w, device, dtype, batch), steps)
        row["torch_images_per_s"] = batch / t_median
        row["ratio"] = row["images_per_s"] / row["torch_images_per_s"]
    return row


def _entry(name: str):
    def measure(device, steps: int = 5, dtype: str = "float32", batch: int | None = None,
                compare_torch: bool = False, hybridize: bool = False) -> list:
        return [run(name, device, dtype, steps, compare_torch, batch, hybridize)]

    measure.__name__ = measure.__qualname__ = name
    measure.__doc__ = f"The ``{name}`` workload as a list of one row (scripts/benchmark.py)."
    return measure


lenet_train = _entry("lenet_train")
resnet20_cifar_train = _entry("resnet20_cifar_train")
resnet50_train = _entry("resnet50_train")
resnet50_infer = _entry("resnet50_infer")
resnest50_train = _entry("resnest50_train")
inception_v3_train = _entry("inception_v3_train")
googlenet_infer = _entry("googlenet_infer")

WORKLOADS = {name: globals()[name] for name in _TABLE}
