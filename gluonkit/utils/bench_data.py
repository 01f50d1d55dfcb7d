"""Input-pipeline throughput: decode, augment (ImageNet train preset) and batch JPEG files.

The JPEGs (about 500x375, ImageNet's typical size) are cut from the real photos scikit-image
ships (``pip install scikit-image``), or scikit-learn's two sample photos when only it is present,
and cached in ``$TMPDIR/gluonkit-bench-jpegs``. ``scripts/benchmark.py --workload data`` runs
``run`` and prints each row it returns as a JSON line.
"""
from __future__ import annotations

import os
import tempfile
import time

import numpy as onp

__all__ = ["photos", "make_jpeg_folder", "run"]


def photos() -> list[onp.ndarray]:
    """Real RGB photos (uint8 HxWx3) bundled with scikit-image, else scikit-learn."""
    try:
        from skimage import data
        names = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
                 "immunohistochemistry")
        return [onp.ascontiguousarray(getattr(data, n)()[:, :, :3]) for n in names]
    except ImportError:
        pass
    try:
        from sklearn.datasets import load_sample_images
        return list(load_sample_images().images)
    except ImportError:
        raise ImportError("the data benchmark cuts its JPEGs from real photos: "
                          "pip install scikit-image (or scikit-learn)") from None


def make_jpeg_folder(root: str | None = None, count: int = 256, classes: int = 4,
                     seed: int = 0) -> str:
    """An ImageFolder of ``count`` JPEGs (quality 90) of about 500x375, landscape or portrait,
    each a random crop of a photo, rescaled and possibly mirrored. Reused when present."""
    import cv2

    root = root or os.path.join(tempfile.gettempdir(), f"gluonkit-bench-jpegs-{count}")
    done = os.path.join(root, "COMPLETE")
    if os.path.exists(done):
        return root
    rng = onp.random.default_rng(seed)
    sources = photos()
    for i in range(count):
        img = sources[i % len(sources)]
        h, w = img.shape[:2]
        ch, cw = int(h * rng.uniform(0.6, 1.0)), int(w * rng.uniform(0.6, 1.0))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        size = (500, 375) if rng.random() < 0.75 else (375, 500)  # (w, h)
        crop = cv2.resize(img[y0:y0 + ch, x0:x0 + cw], size, interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        folder = os.path.join(root, f"class{i % classes}")
        os.makedirs(folder, exist_ok=True)
        bgr = onp.ascontiguousarray(crop[:, :, ::-1])
        cv2.imwrite(os.path.join(folder, f"{i:05d}.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    open(done, "w").close()
    return root


def run(num_workers_list: tuple[int, ...] = (0, 1, 2), batch_size: int = 32, batches: int = 16,
        size: int = 224, root: str | None = None) -> list[dict]:
    """Images per second through ``DataLoader(ImageFolderDataset(...).transform_first(
    imagenet_train(size)))`` for each worker count, after one warm-up batch (which includes
    starting the workers)."""
    import cv2

    from gluonkit.data import DataLoader, ImageFolderDataset, presets

    folder = make_jpeg_folder(root, count=batch_size * (batches + 1))
    dataset = ImageFolderDataset(folder).transform_first(presets.imagenet_train(size))
    results = []
    for workers in num_workers_list:
        with DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
                        last_batch="discard", seed=0) as loader:
            it = iter(loader)
            next(it)
            start = time.perf_counter()
            n = sum(len(x) for x, _ in it)
            elapsed = time.perf_counter() - start
        result = {"workload": "data", "num_workers": workers, "images_per_s": n / elapsed,
                  "images": n, "batch_size": batch_size, "size": size,
                  "preset": "imagenet_train", "cpu_count": os.cpu_count(),
                  "opencv_threads": cv2.getNumThreads()}
        results.append(result)
    return results
