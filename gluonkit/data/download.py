"""Dataset downloads: to a ``.part`` file, SHA-256 checked, renamed into place only on a match.

Archives land in ``$GLUONKIT_HOME/datasets`` (default ``~/.gluonkit/datasets``).
``$GLUONKIT_DATA_URL`` replaces every archive's base URL (a mirror, or a test server).
"""
from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request

from tqdm import tqdm

__all__ = ["data_home", "download", "sha256_of", "DatasetDownloadError"]


class DatasetDownloadError(RuntimeError):
    """A dataset archive could not be fetched or did not match its known hash."""


def data_home() -> str:
    """``$GLUONKIT_HOME/datasets``, by default ``~/.gluonkit/datasets``."""
    home = os.environ.get("GLUONKIT_HOME", os.path.join(os.path.expanduser("~"), ".gluonkit"))
    return os.path.join(os.path.expanduser(home), "datasets")


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url: str, folder: str, sha256: str, progress: bool = True,
             timeout: float = 30.0) -> str:
    """The path of ``url``'s file in ``folder``, downloading and verifying it when missing.

    Example::

        path = download(MNIST.base_url + "t10k-labels-idx1-ubyte.gz", "/tmp/mnist",
                        MNIST.files["t10k-labels-idx1-ubyte.gz"])
    """
    filename = url.rsplit("/", 1)[-1]
    mirror = os.environ.get("GLUONKIT_DATA_URL")
    if mirror:
        url = mirror.rstrip("/") + "/" + filename
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    if os.path.exists(path):
        return path
    part = path + ".part"
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "gluonkit"})
        with urllib.request.urlopen(request, timeout=timeout) as response, \
                open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=filename,
                      disable=not progress) as bar:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError) as e:
        if os.path.exists(part):
            os.remove(part)
        raise DatasetDownloadError(
            f"could not download {url}: {e}. If this machine is offline, copy {filename} into "
            f"{folder} by hand, or set GLUONKIT_DATA_URL to a reachable mirror") from e
    found = sha256_of(part)
    if found != sha256:
        os.remove(part)
        raise DatasetDownloadError(f"{url} has SHA-256 {found}, expected {sha256}; the file was "
                                   "discarded. Retry, or use another mirror (GLUONKIT_DATA_URL)")
    os.replace(part, path)
    return path
