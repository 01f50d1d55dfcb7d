"""scripts/zoo.py table (the zoo from the registry, measured) and list (what is cached)."""
import json
import os
import runpy

import pytest

from gluonkit import np
from gluonkit.model_zoo import get_model, model_entry
from gluonkit.model_zoo.table import read_benchmarks

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "zoo.py")


@pytest.fixture
def zoo(monkeypatch, tmp_path):
    monkeypatch.setenv("GLUONKIT_HOME", str(tmp_path / "home"))
    return runpy.run_path(SCRIPT)["main"]


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_table_rows_are_measured_from_the_models(zoo, capsys, tmp_path):
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"workload": "lenet_train", "model": "lenet", "device": "cpu",
                                 "images_per_s": 4771.2}) + "\n"
                     + json.dumps({"workload": "ops", "gflops": 100.0}) + "\n")
    assert zoo(["table", "--models", "lenet", "--benchmarks", str(bench)]) == 0
    head, rule, row = capsys.readouterr().out.strip().splitlines()
    assert cells(head)[-1] == "images/s" and len(cells(rule.replace("---", "x"))) == 8
    row = cells(row)
    net = get_model("lenet")
    macs = net.summary(np.zeros((1, 1, 28, 28)), print_fn=None)["macs"]
    assert row[:4] == ["`lenet`", "0.06M", f"{macs / 1e9:.3g}", "28x28"]
    assert row[6:] == ["bundled", "4.77e+03 lenet_train (cpu)"]


def test_table_shows_published_top1_and_download_source(zoo, capsys):
    assert zoo(["table", "--models", "cifar_resnet20_v1"]) == 0
    row = cells(capsys.readouterr().out.strip().splitlines()[-1])
    meta = model_entry("cifar_resnet20_v1").metadata
    assert row[1] == f"{meta['num_params'] / 1e6:.2f}M" and row[4] == "92.10"
    assert row[5] == meta["top1_source"] and row[6] == "—"
    assert zoo(["table", "--models", "nothing*"]) == 2


def test_list_on_an_empty_cache_says_how_to_fetch(zoo, capsys):
    assert zoo(["list"]) == 0
    out = capsys.readouterr().out
    assert "no weights cached" in out and "zoo.py fetch resnet50_v1b" in out


def test_list_names_the_models_of_a_cached_file(zoo, capsys, tmp_path):
    models = tmp_path / "home" / "models"
    models.mkdir(parents=True)
    (models / "resnet50-0676ba61.pth").write_bytes(b"x")
    assert zoo(["list"]) == 0
    assert capsys.readouterr().out.strip().endswith("resnet50_v1b")


def test_read_benchmarks_rejects_a_line_that_is_not_json(tmp_path):
    bad = tmp_path / "b.jsonl"
    bad.write_text("images/s: 12\n")
    with pytest.raises(ValueError, match="b.jsonl:1"):
        read_benchmarks(str(bad))
