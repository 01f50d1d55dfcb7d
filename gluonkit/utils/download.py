"""The one downloader (weights and datasets): resumable, retried, locked, hash-checked.

A file is written to ``<path>.part``, resumed with HTTP Range after a cut, retried with backoff,
and renamed onto ``path`` only once its SHA-256 matches; the folder is locked meanwhile, so
parallel processes download a file once and nobody reads a half-written one.

    with folder_lock(folder):
        if not os.path.exists(path):
            download_first([url, mirror_url], path, sha256)
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from typing import Iterator, Sequence

from tqdm import tqdm

from .errors import UserError

__all__ = ["DownloadError", "sha256_of", "digest_matches", "folder_lock", "download_first",
           "default_backoff"]


class DownloadError(UserError, RuntimeError):
    """No URL gave the file with the expected hash; the message lists every attempt."""


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def digest_matches(found: str, expected: str) -> bool:
    """``expected`` may be a prefix (torchvision publishes 8 hex digits in its file names)."""
    return found.startswith(expected.lower())


def default_backoff() -> float:
    """Seconds before the first retry (doubling after), ``$GLUONKIT_RETRY_BACKOFF`` or 1."""
    return float(os.environ.get("GLUONKIT_RETRY_BACKOFF", 1.0))


@contextlib.contextmanager
def folder_lock(folder) -> Iterator[None]:
    """Hold an exclusive lock on a folder (flock on the folder itself: no lock file is left)."""
    os.makedirs(folder, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def download_first(urls: Sequence[str], path, expected: str, progress: bool = True,
                   retries: int = 3, timeout: float = 30.0, backoff: float | None = None) -> str:
    """Download the first URL that gives a file matching ``expected`` to ``path``; returns
    the full SHA-256. Hold ``folder_lock`` around it when other processes may fetch too."""
    backoff = default_backoff() if backoff is None else backoff
    errors = []
    for url in urls:
        try:
            return _download(url, str(path), expected, progress, retries, timeout, backoff)
        except DownloadError as e:
            errors.append(str(e))
    raise DownloadError("\n  ".join(errors))


def _download(url: str, path: str, expected: str, progress: bool, retries: int,
              timeout: float, backoff: float) -> str:
    part = path + ".part"
    last = None
    for attempt in range(retries):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        offset = os.path.getsize(part) if os.path.exists(part) else 0
        headers = {"User-Agent": "gluonkit", **({"Range": f"bytes={offset}-"} if offset else {})}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        timeout=timeout) as r:
                if offset and r.status != 206:  # server ignored Range: start over
                    offset = 0
                elif offset and not r.headers.get("Content-Range", "").startswith(
                        f"bytes {offset}-"):
                    os.remove(part)  # a range we did not ask for: start over on the next try
                    raise http.client.HTTPException(f"unexpected Content-Range for {offset}-")
                length = r.headers.get("Content-Length")
                total = offset + int(length) if length else None
                with open(part, "ab" if offset else "wb") as out, \
                        tqdm(total=total, initial=offset, unit="B", unit_scale=True,
                             desc=os.path.basename(path), disable=not progress) as bar:
                    for chunk in iter(lambda: r.read(1 << 16), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
                if total is not None and os.path.getsize(part) < total:
                    raise http.client.IncompleteRead(b"", total - os.path.getsize(part))
            break
        except urllib.error.HTTPError as e:
            if e.code == 416:  # nothing left to send: the .part is complete or wrong
                break
            last = f"{url}: HTTP {e.code}"
            if 400 <= e.code < 500:
                raise DownloadError(last) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            last = f"{url}: {e!r}"
    else:
        kept = f"; the partial file {part} is kept for a later resume" \
            if os.path.exists(part) else ""
        raise DownloadError(f"{last} (gave up after {retries} tries{kept})")
    found = sha256_of(part)
    if not digest_matches(found, expected):
        os.remove(part)
        raise DownloadError(f"{url}: SHA-256 mismatch, expected {expected}, received {found} "
                            "(the download was discarded)")
    os.replace(part, path)
    return found
