"""Transforms against values worked out by hand on small arrays, and the presets' shapes."""
import math

import numpy as onp
import pytest

from gluonkit.data import presets
from gluonkit.data import transforms as T


class FixedRng:
    """A stand-in generator returning scripted draws, so expected values can be hand-computed."""

    def __init__(self, uniform=(), integers=(), random=(), normal=None, permutation=None):
        self._u, self._i, self._r = list(uniform), list(integers), list(random)
        self._normal, self._perm = normal, permutation

    def uniform(self, low, high):
        return self._u.pop(0)

    def integers(self, low, high):
        return self._i.pop(0)

    def random(self):
        return self._r.pop(0)

    def normal(self, loc, scale, size):
        return onp.asarray(self._normal, dtype=onp.float64)

    def permutation(self, n):
        return onp.asarray(self._perm if self._perm is not None else range(n))


def test_to_tensor_and_normalize():
    img = onp.array([[[0, 255, 51]], [[102, 0, 255]]], dtype=onp.uint8)  # 2x1x3
    x = T.ToTensor()(img)
    assert x.dtype == onp.float32 and x.shape == (3, 2, 1)
    onp.testing.assert_allclose(x[:, :, 0], [[0, 0.4], [1, 0], [0.2, 1]], rtol=1e-6)
    y = T.Normalize((0.5, 0.5, 0.5), (0.5, 0.25, 1.0))(x)
    onp.testing.assert_allclose(y[:, :, 0], [[-1, -0.2], [2, -2], [-0.3, 0.5]], rtol=1e-6)
    with pytest.raises(ValueError, match="CHW"):
        T.Normalize((0.5,) * 3, (0.5,) * 3)(onp.zeros((4, 2, 2), onp.float32))


def test_center_crop_and_resize_shorter_side():
    img = onp.arange(5 * 7).reshape(5, 7, 1).astype(onp.uint8)
    crop = T.CenterCrop(3)(img)
    onp.testing.assert_array_equal(crop[:, :, 0], img[1:4, 2:5, 0])
    with pytest.raises(ValueError, match="smaller than the crop"):
        T.CenterCrop(6)(img)
    # Shorter side 4 -> 2, longer side 6 -> 3: exact 2x2 averages (area interpolation).
    img = onp.array([[0, 4, 8, 8, 16, 16], [4, 0, 8, 8, 0, 0],
                     [10, 10, 2, 2, 6, 6], [10, 10, 2, 2, 2, 2]], onp.uint8)[:, :, None]
    out = T.Resize(2)(img)
    assert out.shape == (2, 3, 1)
    onp.testing.assert_array_equal(out[:, :, 0], [[2, 8, 8], [10, 2, 4]])
    assert T.Resize((5, 3))(onp.zeros((10, 20, 3), onp.uint8)).shape == (3, 5, 3)


def test_flip_and_random_crop_with_padding():
    img = onp.arange(6, dtype=onp.uint8).reshape(2, 3, 1)
    flipped = T.RandomFlipLeftRight()(img, FixedRng(random=[0.2]))
    onp.testing.assert_array_equal(flipped[:, :, 0], [[2, 1, 0], [5, 4, 3]])
    kept = T.RandomFlipLeftRight()(img, FixedRng(random=[0.7]))
    onp.testing.assert_array_equal(kept, img)
    # pad 1 -> 4x5 with a zero border; crop 2x3 at (y0, x0) = (0, 1).
    out = T.RandomCrop((2, 3), pad=1)(img, FixedRng(integers=[0, 1]))
    onp.testing.assert_array_equal(out[:, :, 0], [[0, 0, 0], [0, 1, 2]])


def test_random_resized_crop_box_and_fallback():
    t = T.RandomResizedCrop(2, scale=(0.25, 0.25), ratio=(1.0, 1.0))
    # area 0.25 * 8 * 8 = 16 with ratio 1 -> a 4x4 box at (y0, x0) = (2, 4).
    assert t.box(8, 8, FixedRng(uniform=[0.25, 0.0], integers=[2, 4])) == (2, 4, 4, 4)
    img = onp.zeros((8, 8, 1), onp.uint8)
    img[2:6, 4:8] = onp.array([[10, 10, 20, 20], [10, 10, 20, 20],
                               [30, 30, 40, 40], [30, 30, 40, 40]])[:, :, None]
    out = t(img, FixedRng(uniform=[0.25, 0.0], integers=[2, 4]))
    onp.testing.assert_array_equal(out[:, :, 0], [[10, 20], [30, 40]])
    # No box of area 4 * 100 fits: fall back to the largest central crop within the ratios,
    # here 10 wide x round(10 / (3/4)) = 13 tall out of a 10x40 (w x h) image.
    big = T.RandomResizedCrop(4, scale=(4.0, 4.0))
    rng = FixedRng(uniform=[4.0, 0.0] * 10)
    assert big.box(40, 10, rng) == ((40 - 13) // 2, 0, 13, 10)


def test_random_resized_crop_statistics():
    t = T.RandomResizedCrop(8)
    rng = onp.random.default_rng(0)
    boxes = onp.array([t.box(300, 400, rng) for _ in range(2000)])
    area = boxes[:, 2] * boxes[:, 3] / (300 * 400)
    aspect = boxes[:, 3] / boxes[:, 2]
    assert area.min() >= 0.07 and area.max() <= 1.0
    assert aspect.min() >= 0.7 and aspect.max() <= 1.4
    assert (boxes[:, 0] + boxes[:, 2] <= 300).all() and (boxes[:, 1] + boxes[:, 3] <= 400).all()


def test_color_jitter_by_hand():
    img = onp.array([[[100, 50, 0], [200, 150, 100]]], dtype=onp.uint8)
    # brightness only, factor 1.2 -> x * 1.2, rounded and clipped.
    out = T.RandomColorJitter(brightness=0.5)(img, FixedRng(uniform=[1.2]))
    onp.testing.assert_array_equal(out, [[[120, 60, 0], [240, 180, 120]]])
    # contrast 0.5 around the mean luma: luma = 0.299 R + 0.587 G + 0.114 B.
    luma = [0.299 * 100 + 0.587 * 50, 0.299 * 200 + 0.587 * 150 + 0.114 * 100]
    m = sum(luma) / 2
    out = T.RandomColorJitter(contrast=0.5)(img, FixedRng(uniform=[0.5]))
    expect = onp.rint((img.astype(onp.float64) - m) * 0.5 + m)
    onp.testing.assert_array_equal(out, expect)
    # saturation 0 -> every channel becomes the pixel's luma.
    out = T.RandomColorJitter(saturation=1.0)(img, FixedRng(uniform=[0.0]))
    onp.testing.assert_array_equal(out[0, :, 0], onp.rint(luma))
    assert (out[0] == out[0, :, :1]).all()
    # order matters and follows the permutation: brightness 2 then contrast 0 gives the mean of
    # the clipped, brightened image; the other order gives a brightened constant.
    both = T.RandomColorJitter(brightness=1.0, contrast=1.0)
    first_b = both(img, FixedRng(uniform=[2.0, 0.0], permutation=[0, 1]))
    first_c = both(img, FixedRng(uniform=[2.0, 0.0], permutation=[1, 0]))
    bright = onp.clip(img.astype(onp.float64) * 2, 0, 255)
    mb = (0.299 * bright[0, :, 0] + 0.587 * bright[0, :, 1] + 0.114 * bright[0, :, 2]).mean()
    onp.testing.assert_array_equal(first_b, onp.full_like(img, round(mb)))
    onp.testing.assert_array_equal(first_c, onp.full_like(img, round(min(2 * m, 255))))


def test_lighting_uses_the_imagenet_pca():
    img = onp.full((1, 2, 3), 100, onp.uint8)
    alpha = onp.array([0.1, -0.2, 0.3])
    out = T.RandomLighting(0.1)(img, FixedRng(normal=alpha))
    eigval = [0.2175, 0.0188, 0.0045]
    eigvec = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
              [-0.5836, -0.6948, 0.4203]]
    shift = [sum(eigvec[c][j] * alpha[j] * eigval[j] for j in range(3)) * 255 for c in range(3)]
    onp.testing.assert_array_equal(out[0, 0], onp.rint(100 + onp.array(shift)))
    assert T.RandomLighting(0.0)(img) is img


def test_grayscale_and_compose_threads_the_generator():
    img = onp.array([[[255, 0, 0], [0, 0, 255]]], onp.uint8)
    onp.testing.assert_array_equal(T.Grayscale()(img)[0, :, 0], [76, 29])
    pipe = T.Compose([T.RandomCrop(1, pad=0), T.ToTensor()])
    a = pipe(img, onp.random.default_rng(3))
    b = pipe(img, onp.random.default_rng(3))
    onp.testing.assert_array_equal(a, b)
    assert pipe(img).shape == (3, 1, 1)  # without a loader: a fresh generator


@pytest.mark.parametrize("make, shape", [
    (lambda: presets.imagenet_train(32), (3, 32, 32)),
    (lambda: presets.imagenet_eval(32), (3, 32, 32)),
    (presets.cifar_train, (3, 32, 32)),
    (presets.cifar_eval, (3, 32, 32)),
])
def test_presets_shapes(make, shape):
    img = onp.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=onp.uint8)
    if shape[1] == 32 and make in (presets.cifar_train, presets.cifar_eval):
        img = img[:32, :32]
    x = make()(img, onp.random.default_rng(1))
    assert x.shape == shape and x.dtype == onp.float32 and onp.isfinite(x).all()


def test_imagenet_eval_resizes_then_crops_the_centre():
    # 64x128 -> shorter side round(32 / 0.875) = 37 (37x74) -> central 32x32.
    img = onp.zeros((64, 128, 3), onp.uint8)
    img[:, 56:72] = 255  # a bright vertical band in the middle
    x = presets.imagenet_eval(32, 0.875, mean=(0, 0, 0), std=(1, 1, 1))(img)
    assert x.shape == (3, 32, 32)
    assert math.isclose(float(x[0, 16, 16]), 1.0, abs_tol=1e-6)
    assert float(x[0, 16, 0]) == 0.0


def test_mnist_preset_normalizes():
    img = onp.zeros((28, 28, 1), onp.uint8)
    x = presets.mnist()(img)
    onp.testing.assert_allclose(x, -0.1307 / 0.3081, rtol=1e-6)
    assert presets.mnist(train=True)(img, onp.random.default_rng(0)).shape == (1, 28, 28)
