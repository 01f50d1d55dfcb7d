"""Dataset downloads through the one downloader (``gluonkit.utils.download``): resumable,
retried, locked against parallel processes, SHA-256 checked before the file is renamed into place.

Archives land in ``$GLUONKIT_HOME/datasets`` (default ``~/.gluonkit/datasets``).
``$GLUONKIT_DATA_URL`` replaces every archive's base URL (a mirror, or a test server).
"""
from __future__ import annotations

import os

from gluonkit.utils import download as _dl
from gluonkit.utils.download import sha256_of

__all__ = ["data_home", "download", "sha256_of", "DatasetDownloadError"]


class DatasetDownloadError(_dl.DownloadError):
    """A dataset archive could not be fetched or did not match its known hash."""


def data_home() -> str:
    """``$GLUONKIT_HOME/datasets``, by default ``~/.gluonkit/datasets``."""
    home = os.environ.get("GLUONKIT_HOME", os.path.join(os.path.expanduser("~"), ".gluonkit"))
    return os.path.join(os.path.expanduser(home), "datasets")


def download(url: str, folder: str, sha256: str, progress: bool = True,
             timeout: float = 30.0, retries: int = 3) -> str:
    """The path of ``url``'s file in ``folder``, downloading and verifying it when missing.

    Example::

        path = download(MNIST.base_url + "t10k-labels-idx1-ubyte.gz", "/tmp/mnist",
                        MNIST.files["t10k-labels-idx1-ubyte.gz"])
    """
    filename = url.rsplit("/", 1)[-1]
    mirror = os.environ.get("GLUONKIT_DATA_URL")
    if mirror:
        url = mirror.rstrip("/") + "/" + filename
    path = os.path.join(folder, filename)
    with _dl.folder_lock(folder):  # a parallel process may be fetching it: wait, then reuse
        if os.path.exists(path):
            return path
        try:
            _dl.download_first([url], path, sha256, progress, retries, timeout)
        except _dl.DownloadError as e:
            raise DatasetDownloadError(
                f"could not download {filename}: {e}. If this machine is offline, copy "
                f"{filename} into {folder} by hand, or set GLUONKIT_DATA_URL to a reachable "
                "mirror") from None
    return path
