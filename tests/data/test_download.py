"""download=True against an HTTP server on 127.0.0.1: hash check, .part handling, offline error."""
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading

import numpy as onp
import pytest

from gluonkit.data import CIFAR10, MNIST, DatasetDownloadError, FashionMNIST

from .test_vision import _cifar_batch, _write, write_idx


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/www; yields (base URL, list of requested paths)."""
    www = tmp_path / "www"
    www.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(www), **kw)

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}/", requests
    httpd.shutdown()
    httpd.server_close()


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _serve_idx(www, split="t10k"):
    rng = onp.random.default_rng(0)
    write_idx(str(www / f"{split}-images-idx3-ubyte.gz"), rng.integers(0, 256, (3, 28, 28)))
    write_idx(str(www / f"{split}-labels-idx1-ubyte.gz"), onp.array([7, 2, 1]))
    return {p.name: _sha(p) for p in www.iterdir()}


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_download_verifies_and_caches(tmp_path, server, monkeypatch, cls):
    www, url, requests = server
    monkeypatch.setattr(cls, "files", _serve_idx(www))
    monkeypatch.setenv("GLUONKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GLUONKIT_DATA_URL", url)
    ds = cls(train=False, download=True)
    assert [ds[i][1] for i in range(3)] == [7, 2, 1]
    folder = tmp_path / "home" / "datasets" / cls.name
    assert sorted(os.listdir(folder)) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert len(requests) == 2
    cls(train=False, download=True)  # cached: no second request
    assert len(requests) == 2


def test_hash_mismatch_keeps_nothing(tmp_path, server, monkeypatch):
    www, url, _ = server
    files = _serve_idx(www)
    files["t10k-labels-idx1-ubyte.gz"] = "0" * 64
    monkeypatch.setattr(MNIST, "files", files)
    monkeypatch.setenv("GLUONKIT_DATA_URL", url)
    root = tmp_path / "mnist"
    with pytest.raises(DatasetDownloadError, match="expected 0000") as info:
        MNIST(str(root), train=False, download=True)
    assert _sha(www / "t10k-labels-idx1-ubyte.gz") in str(info.value)
    assert sorted(os.listdir(root)) == ["t10k-images-idx3-ubyte.gz"]  # no .part, no bad file


def test_offline_error_is_clear(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("GLUONKIT_DATA_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(DatasetDownloadError, match="offline") as info:
        MNIST(str(tmp_path), train=False, download=True)
    assert f"127.0.0.1:{port}" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_cifar_archive_download_and_extract(tmp_path, server, monkeypatch):
    www, url, _ = server
    src = tmp_path / "src"
    rng = onp.random.default_rng(0)
    for i in range(1, 6):
        _write(str(src / "cifar-10-batches-py" / f"data_batch_{i}"),
               _cifar_batch(rng, 2, {"labels": 10}), "py2")
    _write(str(src / "cifar-10-batches-py" / "test_batch"), _cifar_batch(rng, 2, {"labels": 10}),
           "py2")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(str(src / "cifar-10-batches-py"), arcname="cifar-10-batches-py")
    (www / CIFAR10.archive).write_bytes(buf.getvalue())
    monkeypatch.setattr(CIFAR10, "sha256", _sha(www / CIFAR10.archive))
    monkeypatch.setenv("GLUONKIT_DATA_URL", url)
    ds = CIFAR10(str(tmp_path / "c10"), download=True)
    assert len(ds) == 10 and ds[0][0].shape == (32, 32, 3)
    assert sorted(os.listdir(tmp_path / "c10")) == ["cifar-10-batches-py", CIFAR10.archive]


def test_dataset_download_resumes_a_cut_transfer(tmp_path, monkeypatch):
    """Datasets share the weight store's downloader: a cut transfer resumes with HTTP Range."""
    from gluonkit.data.download import download

    from ..model_zoo.test_store import PAYLOAD, SHA, Server

    monkeypatch.setenv("GLUONKIT_RETRY_BACKOFF", "0")
    monkeypatch.delenv("GLUONKIT_DATA_URL", raising=False)
    cut = Server(cut_first=True)
    try:
        path = download(f"{cut.url}/good/w.bin", str(tmp_path / "ds"), SHA, progress=False)
    finally:
        cut.close()
    assert open(path, "rb").read() == PAYLOAD
    assert cut.ranges and cut.full == 1  # the second request asked only for the rest
    assert os.listdir(tmp_path / "ds") == ["w.bin"]  # no .part, no lock file left
