"""The pretrained-weight store: download, verify, cache, carry offline.

Files live in ``$GLUONKIT_HOME/models`` (default ``~/.gluonkit/models``). A fetch tries the mirrors
in ``$GLUONKIT_REPO_URL`` (comma or space separated base URLs, in order), then the entry's own
URLs; it resumes a ``.part`` file with HTTP Range, retries with backoff, checks the SHA-256 before
an atomic rename, and holds a file lock so parallel processes download once.
``GLUONKIT_OFFLINE=1`` never touches the network. A cached file is re-hashed the first time it is
used in a process. ``pack``/``unpack`` carry a cache to a machine without internet.
"""
from __future__ import annotations

import fcntl
import fnmatch
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gluonkit.utils import download as _dl
from gluonkit.utils.download import digest_matches as _matches
from gluonkit.utils.download import sha256_of
from gluonkit.utils.errors import UserError

__all__ = ["WeightFile", "StoreError", "DownloadError", "fetch", "models_dir", "list_cached",
           "verify", "purge", "pack", "unpack", "sha256_of"]

BUNDLED = Path(__file__).parent / "weights"
MANIFEST = "manifest.json"


class StoreError(UserError, RuntimeError):
    """A weight file is missing, corrupt, or cannot be placed in the cache."""


class DownloadError(StoreError):
    """No URL gave the file with the expected hash; the message lists every attempt."""


@dataclass(frozen=True)
class WeightFile:
    """One weight file of a registry entry.

    ``sha256`` is the full hex digest; a shorter value is a digest prefix (torchvision publishes
    only the first 8 hex digits in its file names) and the full digest seen at the first
    download is recorded and enforced from then on. ``bundled`` names a file shipped inside the
    package (``model_zoo/weights``), which resolves offline.
    """

    filename: str
    sha256: str
    urls: tuple = ()
    tag: str = "default"
    format: str = "safetensors"
    bundled: bool = False
    metadata: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        _KNOWN.setdefault(self.filename, self.sha256)


_verified: set = set()
_KNOWN: dict = {}  # filename -> SHA-256 (maybe a prefix) of every WeightFile the zoo declares


def models_dir() -> Path:
    home = os.environ.get("GLUONKIT_HOME", os.path.join(os.path.expanduser("~"), ".gluonkit"))
    path = Path(home).expanduser() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _manifest() -> dict:
    """filename -> full SHA-256 of every file this cache downloaded, unpacked or verified."""
    path = models_dir() / MANIFEST
    if not path.exists():
        return {}
    with open(path) as f:
        return json.load(f)


def _update_manifest(add: dict | None = None, remove=()) -> None:
    """Read-modify-write the manifest under a lock, so parallel processes lose no entry."""
    folder = models_dir()
    with open(folder / (MANIFEST + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = _manifest()
        manifest.update(add or {})
        for name in remove:
            manifest.pop(name, None)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest-")
        with os.fdopen(fd, "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        os.replace(tmp, folder / MANIFEST)


def _expected(wf: WeightFile) -> str:
    """The full digest recorded at the first download, else the entry's (maybe a prefix)."""
    recorded = _manifest().get(wf.filename)
    return recorded if recorded and _matches(recorded, wf.sha256) else wf.sha256


def _check_cached(path: Path, expected: str) -> str:
    """Hash ``path`` once per process; returns its digest ('' when already checked)."""
    if str(path) in _verified:
        return ""
    found = sha256_of(path)
    if not _matches(found, expected):
        raise StoreError(f"cached file {path} is corrupt: SHA-256 {found}, expected {expected}. "
                         f"Delete it (gluonkit.model_zoo.store.purge({path.name!r})) and fetch "
                         "again")
    _verified.add(str(path))
    return found


def _use_cached(path: Path, wf: WeightFile) -> Path:
    """A cached file, checked; a file put there by hand gets its digest recorded."""
    found = _check_cached(path, _expected(wf))
    if found and wf.filename not in _manifest():
        _update_manifest({wf.filename: found})
    return path


def _mirrors() -> list:
    raw = os.environ.get("GLUONKIT_REPO_URL", "")
    return [u.rstrip("/") for u in raw.replace(",", " ").split() if u]


def fetch(wf: WeightFile, progress: bool = True, retries: int = 3, timeout: float = 30.0,
          backoff: float | None = None) -> Path:
    """The local path of ``wf``, downloading and verifying it first if needed."""
    if wf.bundled:
        path = BUNDLED / wf.filename
        if not path.exists():
            raise StoreError(f"bundled weight file {path} is missing from the installation")
        _check_cached(path, wf.sha256)
        return path
    folder = models_dir()
    path = folder / wf.filename
    if path.exists():
        return _use_cached(path, wf)
    urls = [f"{m}/{wf.filename}" for m in _mirrors()] + list(wf.urls)
    if os.environ.get("GLUONKIT_OFFLINE") == "1":
        raise StoreError(f"GLUONKIT_OFFLINE=1 and {wf.filename} is not cached: put the file at "
                         f"{path} (from {', '.join(urls) or 'a gluonkit cache pack'}), or unpack "
                         "a cache made with `scripts/zoo.py pack` on a connected machine")
    if not urls:
        raise StoreError(f"{wf.filename} has no download URL; set GLUONKIT_REPO_URL to a mirror")
    with _dl.folder_lock(folder):  # one process downloads; the others wait, then reuse
        if path.exists():
            return _use_cached(path, wf)
        try:
            digest = _dl.download_first(urls, path, wf.sha256, progress, retries, timeout,
                                        backoff)
        except _dl.DownloadError as e:
            raise DownloadError(
                f"could not fetch {wf.filename}:\n  {e}\nTry again later, set "
                f"GLUONKIT_REPO_URL to a mirror, or put a copy with SHA-256 {wf.sha256} at "
                f"{path}") from None
        _update_manifest({wf.filename: digest})
        _verified.add(str(path))
        return path


def _is_weight_file(path: Path) -> bool:
    return path.is_file() and path.name != MANIFEST and not path.name.startswith(".") \
        and not path.name.endswith((".lock", ".part"))


def list_cached() -> list:
    """[{'filename', 'size', 'sha256'}] of the cache (sha256 as recorded, None if never)."""
    manifest = _manifest()
    return [{"filename": p.name, "size": p.stat().st_size, "sha256": manifest.get(p.name)}
            for p in sorted(models_dir().iterdir()) if _is_weight_file(p)]


def verify(names=None) -> dict:
    """Re-hash cached files; {filename: True if it matches its recorded SHA-256}.

    A file with no recorded hash (copied in by hand and never used) reports False.
    """
    result = {}
    for item in list_cached():
        name = item["filename"]
        if names is None or name in names:
            result[name] = item["sha256"] == sha256_of(models_dir() / name)
            if not result[name]:
                _verified.discard(str(models_dir() / name))
    return result


def purge(pattern: str | None = None) -> list:
    """Delete cached files (all, or those matching a shell pattern); returns their names.

    Partial downloads and lock files matching the pattern go too but are not listed.
    """
    removed = []
    for path in list(models_dir().iterdir()):
        if path.name.startswith((MANIFEST, ".")) or not path.is_file():
            continue
        if pattern is None or fnmatch.fnmatch(path.name, pattern):
            path.unlink()
            _verified.discard(str(path))
            removed.append(path.name)
    _update_manifest(remove=removed)
    return sorted(n for n in removed if not n.endswith((".lock", ".part")))


def _pack_digest(name: str, manifest: dict) -> str:
    """The SHA-256 of cached file ``name``, refused unless it matches what is known of it."""
    found = sha256_of(models_dir() / name)
    recorded, known = manifest.get(name), _KNOWN.get(name)
    if recorded not in (None, found) or (known and not _matches(found, known)):
        raise StoreError(f"cached file {name} is corrupt (SHA-256 {found}, expected "
                         f"{recorded or known}); purge it and fetch again before packing")
    if recorded is None and known is None:
        raise StoreError(f"cached file {name} has no known SHA-256 (it was put there by hand "
                         "and never used), so the pack could not be checked on arrival; load "
                         f"it once through gluonkit, or purge it ({name!r}) before packing")
    return found


def pack(path) -> Path:
    """Write the cache to a tar file, with a manifest of every file's SHA-256, to carry it to
    a machine without internet. A file that does not match its recorded hash (or the zoo's),
    or whose hash nobody knows, is refused."""
    path = Path(path)
    manifest, packed = _manifest(), {}
    with tarfile.open(path, "w") as tar:
        for item in list_cached():
            name = item["filename"]
            packed[name] = _pack_digest(name, manifest)
            tar.add(models_dir() / name, arcname=name)
        data = json.dumps(packed, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime = len(data), int(time.time())
        tar.addfile(info, io.BytesIO(data))
    return path


def unpack(path) -> list:
    """Add the files of a ``pack`` tar to the cache, each checked against the packed hashes
    and, for the zoo's own files, against the zoo's.

    All or nothing: every member is extracted to a temporary file and checked before any is
    moved into place, so a bad pack never replaces a good cached file. Only plain files with
    plain names are read (no links, no path traversal).
    """
    folder = models_dir()
    staged = {}
    try:
        with tarfile.open(path) as tar:
            members = tar.getmembers()
            by_name = {m.name: m for m in members}
            if MANIFEST not in by_name or not by_name[MANIFEST].isfile():
                raise StoreError(f"{path} has no {MANIFEST}; make packs with store.pack()")
            packed = json.load(tar.extractfile(by_name[MANIFEST]))
            for member in members:
                name = member.name
                if name == MANIFEST:
                    continue
                if not member.isfile() or os.path.basename(name) != name \
                        or name.startswith(".") or name in staged:
                    raise StoreError(f"{path}: refusing member {name!r} (not a plain file name)")
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=".unpack-")
                staged[name] = tmp
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(tar.extractfile(member), out)
                found, known = sha256_of(tmp), _KNOWN.get(name)
                if found != packed.get(name):
                    raise StoreError(f"{path}: {name} has SHA-256 {found}, the pack says "
                                     f"{packed.get(name)}; nothing was replaced")
                if known and not _matches(found, known):
                    raise StoreError(f"{path}: {name} has SHA-256 {found}, the zoo expects "
                                     f"{known}; the pack is corrupt, nothing was replaced")
        for name, tmp in staged.items():
            os.replace(tmp, folder / name)
            _verified.discard(str(folder / name))
        _update_manifest({name: packed[name] for name in staged})
    finally:
        for tmp in staged.values():
            if os.path.exists(tmp):
                os.remove(tmp)
    return sorted(staged)
