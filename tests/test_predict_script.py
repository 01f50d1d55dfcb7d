"""scripts/predict.py prints what gluonkit.predict returns and draws the PNG it was asked for."""
import os
import runpy

import cv2
import pytest

import gluonkit as gk
from gluonkit.data import MNIST
from gluonkit.model_zoo import get_model

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "scripts", "predict.py")


def test_predict_script_prints_top_k_and_saves_pngs(tmp_path, capsys):
    ds = MNIST(train=False)
    paths = []
    for i in range(2):
        paths.append(str(tmp_path / f"d{i}.png"))
        cv2.imwrite(paths[-1], ds[i][0])
    main = runpy.run_path(SCRIPT)["main"]
    out = str(tmp_path / "card.png")
    assert main(["--model", "lenet", "--pretrained", *paths, "--topk", "3", "--save", out]) == 0
    printed = capsys.readouterr().out
    want = gk.predict(get_model("lenet", pretrained=True), paths, topk=3)
    for r in want:
        assert f"{r['probs'][0]:7.2%}  {r['names'][0]}" in printed
    for i in range(2):
        card = cv2.imread(str(tmp_path / f"card-{i}.png"))
        assert card.shape == (256, 256 + 360, 3)


def test_predict_script_refuses_a_non_png_save(tmp_path):
    main = runpy.run_path(SCRIPT)["main"]
    with pytest.raises(SystemExit):
        main(["--model", "lenet", "--pretrained", "x.png", "--save", str(tmp_path / "o.jpg")])
