"""The model benchmarks run end to end on tiny batches and report the documented row."""
import importlib.util

import pytest

import gluonkit as gk
from gluonkit.train import bench_models

KEYS = {"workload", "device", "images_per_s", "median_step_s", "steps", "batch", "params",
        "peak_rss_mb"}


def test_workloads_are_the_benchmark_table():
    assert set(bench_models.WORKLOADS) == {
        "lenet_train", "resnet20_cifar_train", "resnet50_train", "resnet50_infer",
        "resnest50_train", "inception_v3_train", "googlenet_infer"}


@pytest.mark.parametrize("name,params", [("lenet_train", 61706), ("resnet20_cifar_train", 272474)])
def test_training_workload_row(name, params):
    has_torch = importlib.util.find_spec("torch") is not None
    rows = bench_models.WORKLOADS[name](gk.cpu(), steps=2, batch=4, compare_torch=has_torch)
    (row,) = rows
    assert KEYS <= set(row)
    assert row["workload"] == name and row["device"] == "cpu" and row["batch"] == 4
    assert row["params"] == params and row["steps"] == 2
    assert row["images_per_s"] == pytest.approx(4 / row["median_step_s"])
    if has_torch:
        assert row["ratio"] == pytest.approx(row["images_per_s"] / row["torch_images_per_s"])


def test_compare_torch_without_torch_says_why(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(bench_models.ComparisonUnavailableError,
                       match="--compare torch needs PyTorch.*pip install torch"):
        bench_models.run("lenet_train", gk.cpu(), steps=1, batch=2, compare_torch=True)


def test_training_updates_the_weights_and_inference_does_not(monkeypatch):
    import gluonkit.model_zoo as zoo

    built, build = [], zoo.get_model

    def get_model(*args, **kwargs):
        built.append(build(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(zoo, "get_model", get_model)
    monkeypatch.setitem(bench_models._TABLE, "lenet_infer",
                        bench_models.Workload("lenet", (1, 28, 28), 2, 2, False, 10))
    bench_models.run("lenet_train", gk.cpu(), steps=1, batch=2)
    bench_models.run("lenet_infer", gk.cpu(), steps=1)
    gk.random.seed(0)
    fresh = build("lenet").conv1.weight.data().asnumpy()
    trained, inferred = (net.conv1.weight.data().asnumpy() for net in built)
    assert (trained != fresh).any()
    assert (inferred == fresh).all()


def test_unknown_workload():
    with pytest.raises(ValueError, match="unknown workload.*lenet_train"):
        bench_models.run("alexnet_train")
