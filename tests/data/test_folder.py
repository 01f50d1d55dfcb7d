"""ImageFolderDataset and ImageListDataset on real PNG/JPEG files, corrupt ones included."""
import os
import warnings

import cv2
import numpy as onp
import pytest

from gluonkit.data import ImageFolderDataset, ImageListDataset


def _png(path, rgb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    assert cv2.imwrite(str(path), onp.ascontiguousarray(rgb[:, :, ::-1]))  # OpenCV writes BGR


def _image(value):
    img = onp.zeros((4, 5, 3), onp.uint8)
    img[..., 0], img[..., 1], img[..., 2] = value, 2 * value, 255 - value
    return img


def test_folder_classes_labels_and_pixels(tmp_path):
    _png(tmp_path / "dog" / "b.png", _image(20))
    _png(tmp_path / "dog" / "a.png", _image(10))
    _png(tmp_path / "cat" / "x.png", _image(30))
    (tmp_path / "cat" / "notes.txt").write_text("not an image, and not listed")
    ds = ImageFolderDataset(str(tmp_path))
    assert ds.classes == ds.synsets == ["cat", "dog"]
    assert [os.path.basename(p) for p, _ in ds.items] == ["x.png", "a.png", "b.png"]
    img, label = ds[1]
    assert label == 1 and img.shape == (4, 5, 3) and img.dtype == onp.uint8
    onp.testing.assert_array_equal(img, _image(10))  # RGB, lossless
    gray = ImageFolderDataset(str(tmp_path), flag=0)[0][0]
    assert gray.shape == (4, 5, 1)


def test_corrupt_files_are_skipped_with_one_counting_warning(tmp_path):
    for i in range(3):
        _png(tmp_path / "a" / f"{i}.png", _image(i))
    (tmp_path / "a" / "broken.jpg").write_bytes(b"this is not a jpeg")
    (tmp_path / "a" / "empty.png").write_bytes(b"")
    _png(tmp_path / "b" / "0.png", _image(9))
    with pytest.warns(RuntimeWarning, match="skipped 2 of 6 files") as record:
        ds = ImageFolderDataset(str(tmp_path))
    assert len(record) == 1
    assert len(ds) == 4 and sorted(map(os.path.basename, ds.skipped)) == ["broken.jpg",
                                                                          "empty.png"]
    # A file with a JPEG signature but a broken body: found on access, replaced and counted.
    (tmp_path / "b" / "1.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    with pytest.warns(RuntimeWarning):
        ds = ImageFolderDataset(str(tmp_path))
    with pytest.warns(RuntimeWarning, match="could not be decoded") as record:
        img, label = ds[len(ds) - 1]
        ds[len(ds) - 1]
    assert len(record) == 1 and label == 0 and img.shape == (4, 5, 3)
    assert sum(os.path.basename(p) == "1.jpg" for p in ds.skipped) == 2


def test_folder_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        ImageFolderDataset(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="no class sub-folders"):
        ImageFolderDataset(str(tmp_path))
    _png(tmp_path / "a" / "0.png", _image(1))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=str(tmp_path / "empty")):
        ImageFolderDataset(str(tmp_path))
    bad = tmp_path / "bad"
    (bad / "c").mkdir(parents=True)
    (bad / "c" / "x.png").write_bytes(b"junk")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=f"{bad} holds no decodable images"):
            ImageFolderDataset(str(bad))


def test_image_list(tmp_path):
    _png(tmp_path / "imgs" / "one two.png", _image(5))
    cv2.imwrite(str(tmp_path / "imgs" / "b.jpg"), _image(7)[:, :, ::-1].copy())
    (tmp_path / "list.txt").write_text("imgs/one two.png 3\n\n# a comment\nimgs/b.jpg 0\n")
    ds = ImageListDataset(str(tmp_path / "list.txt"))
    assert len(ds) == 2 and ds.classes == ["0", "1", "2", "3"]
    img, label = ds[0]
    assert label == 3
    onp.testing.assert_array_equal(img, _image(5))
    img, label = ds[1]
    assert label == 0 and onp.abs(img.astype(int) - _image(7)).max() <= 8  # JPEG is lossy
    (tmp_path / "bad.txt").write_text("imgs/b.jpg cat\n")
    with pytest.raises(ValueError, match="bad.txt:1"):
        ImageListDataset(str(tmp_path / "bad.txt"))
