"""``gluonkit.predict``: classify images with a zoo model, names and probabilities included.

    import gluonkit as gk
    from gluonkit.model_zoo import get_model

    net = get_model("resnet50_v1b", pretrained=True)
    for r in gk.predict(net, ["cat.jpg", "dog.png"], topk=3):
        print(r["names"], r["probs"])
"""
from __future__ import annotations

import os

import numpy as onp

__all__ = ["predict"]


def _expand(images) -> list:
    """A flat list of (label, image source): paths, folders' image files, or arrays."""
    from gluonkit.data.folder import IMAGE_EXTENSIONS

    if isinstance(images, (str, os.PathLike)) or (isinstance(images, onp.ndarray)
                                                   and images.ndim in (2, 3)):
        images = [images]
    out = []
    for i, item in enumerate(images):
        if isinstance(item, (str, os.PathLike)):
            path = os.path.expanduser(str(item))
            if os.path.isdir(path):
                files = sorted(f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTENSIONS))
                if not files:
                    raise ValueError(f"folder {path} holds no image files ({IMAGE_EXTENSIONS})")
                out.extend((os.path.join(path, f), os.path.join(path, f)) for f in files)
            elif os.path.isfile(path):
                out.append((path, path))
            else:
                raise FileNotFoundError(f"image not found: {path}")
        else:
            out.append((i, onp.asarray(item)))
    if not out:
        raise ValueError("predict got no images")
    return out


def _load(source, channels: int) -> onp.ndarray:
    from gluonkit.data import decode_image

    if not isinstance(source, str):
        return source
    img = decode_image(source, flag=1 if channels == 3 else 0)
    if img is None:
        raise ValueError(f"{source} is not an image OpenCV can decode")
    return img


def predict(net, images, topk: int = 5, batch_size: int = 64) -> list:
    """Top-k classes of each image, best first: ``[{'image', 'indices', 'names', 'probs'}]``.

    ``images``: a path, a folder (its image files, sorted), a NumPy HWC array (uint8 0..255 or
    float 0..1, gray or RGB), or a list of these. Each is brought through the eval preset of the
    model's weights (``gluonkit.data.presets.for_model``), in batches of ``batch_size``, in
    predict mode. ``names`` are the class names the weights carry (the index as a string when
    none are known); ``image`` is the path, or the position of an array in the input.
    """
    from gluonkit import autograd, np
    from gluonkit.data.presets import for_model

    if not isinstance(topk, int) or topk < 1:
        raise ValueError(f"topk must be a positive integer, got {topk!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    preset = for_model(net)
    channels = net.default_cfg["input_size"][0]
    names = net.default_cfg.get("class_names")
    device = next(iter(net.collect_params().values())).data().device
    items = _expand(images)
    results = []
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        batch = onp.stack([preset(_load(src, channels)) for _, src in chunk])
        with autograd.predict_mode():
            logits = net(np.array(batch, device=device)).asnumpy().astype(onp.float64)
        logits -= logits.max(axis=1, keepdims=True)
        probs = onp.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        k = min(topk, probs.shape[1])
        for (label, _), p in zip(chunk, probs):
            best = onp.argsort(-p, kind="stable")[:k]
            results.append({"image": label, "indices": [int(i) for i in best],
                            "names": [names[i] if names else str(i) for i in best],
                            "probs": [float(p[i]) for i in best]})
    return results
