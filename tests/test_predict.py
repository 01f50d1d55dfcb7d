"""gluonkit.predict: real photos (scikit-image's) and real digits, against independent paths."""
import os

import cv2
import numpy as onp
import pytest
import skimage.data

import gluonkit as gk
from gluonkit import autograd
from gluonkit.data import MNIST
from gluonkit.data.presets import for_model
from gluonkit.model_zoo import get_model
from gluonkit.train import load_config
from gluonkit.train.engine import evaluate_checkpoint

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "configs")
PHOTOS = ["astronaut", "coffee", "chelsea", "rocket"]


def by_hand(img, size=224, resize=256, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
    """torchvision's eval recipe written out with OpenCV: shorter side 256, center 224."""
    h, w = img.shape[:2]
    s = resize / min(h, w)
    img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    y, x = (img.shape[0] - size) // 2, (img.shape[1] - size) // 2
    x = img[y:y + size, x:x + size].astype("float32") / 255.0
    return ((x - onp.array(mean, "float32")) / onp.array(std, "float32")).transpose(2, 0, 1)


@pytest.fixture(scope="module")
def resnet():
    gk.random.seed(0)
    return get_model("resnet18_v1b")


def test_photos_give_the_top_k_of_the_network_called_by_hand(resnet):
    photos = [getattr(skimage.data, n)() for n in PHOTOS]
    got = gk.predict(resnet, photos, topk=5, batch_size=3)
    with autograd.predict_mode():
        logits = resnet(gk.np.array(onp.stack([by_hand(p) for p in photos]))).asnumpy()
    names = resnet.default_cfg["class_names"]
    for r, row in zip(got, logits.astype("float64")):
        p = onp.exp(row - row.max())
        p /= p.sum()
        best = list(onp.argsort(-p)[:5])
        assert r["indices"] == best
        assert r["names"] == [names[i] for i in best]
        onp.testing.assert_allclose(r["probs"], p[best], rtol=1e-4)
        assert r["probs"] == sorted(r["probs"], reverse=True)
    assert [r["image"] for r in got] == [0, 1, 2, 3]


def test_paths_folders_gray_and_float_images(resnet, tmp_path):
    photo = skimage.data.chelsea()
    cv2.imwrite(str(tmp_path / "cat.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "camera.png"), skimage.data.camera())
    ref = gk.predict(resnet, photo, topk=3)[0]
    from_path = gk.predict(resnet, str(tmp_path / "cat.png"), topk=3)[0]
    assert from_path["indices"] == ref["indices"]
    from_float = gk.predict(resnet, photo / 255.0, topk=3)[0]
    assert from_float["indices"] == ref["indices"]
    folder = gk.predict(resnet, str(tmp_path), topk=3)
    assert [os.path.basename(r["image"]) for r in folder] == ["camera.png", "cat.png"]
    gray = skimage.data.camera()
    assert folder[0]["indices"] == gk.predict(resnet, gray, topk=3)[0]["indices"]
    assert folder[0]["indices"] == gk.predict(resnet, onp.repeat(gray[:, :, None], 3, 2),
                                              topk=3)[0]["indices"]


@pytest.mark.parametrize("bad, message", [
    (onp.zeros((4, 4, 2), "uint8"), "HxWx3"), (onp.full((8, 8, 3), 2.0), r"\[0, 1\]"),
    (onp.zeros((8, 8, 3), "int32"), "uint8"), ("no/such/image.jpg", "not found")])
def test_bad_images_fail_with_the_reason(resnet, bad, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        gk.predict(resnet, [bad])


def test_lenet_top1_through_predict_equals_eval_py():
    cfg = load_config(os.path.join(CONFIGS, "lenet_mnist.yaml"), ["data.num_workers=0"])
    evaluated = evaluate_checkpoint(cfg, pretrained=True)
    ds = MNIST(train=False)
    images, labels = zip(*(ds[i] for i in range(len(ds))))
    got = gk.predict(get_model("lenet", pretrained=True), list(images), topk=1, batch_size=250)
    top1 = onp.mean([int(r["names"][0]) == y for r, y in zip(got, labels)])
    assert len(got) == evaluated["images"] == 1000
    assert top1 == pytest.approx(evaluated["val_top1"], abs=1e-12)
    assert top1 > 0.95


def test_for_model_is_the_weights_preset():
    net = get_model("inceptionv3")
    x = for_model(net)(skimage.data.coffee())
    assert x.shape == (3, 299, 299)
    onp.testing.assert_allclose(x, by_hand(skimage.data.coffee(), 299, 342), atol=1e-6)
