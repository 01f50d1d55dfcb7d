"""The weight store against an HTTP server the test starts on 127.0.0.1."""
import hashlib
import http.server
import io
import json
import os
import runpy
import subprocess
import sys
import tarfile
import threading
import time

import pytest

from gluonkit.model_zoo import store

PAYLOAD = os.urandom(300_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Server:
    """Serves PAYLOAD at /good/w.bin with Range support; can cut the first transfer short."""

    def __init__(self, cut_first=False, delay=0.0, fail_first=0, stall_first=0.0):
        self.requests, self.ranges, self.full = [], [], 0
        self.cut_first, self.delay = cut_first, delay
        self.fail_first, self.stall_first = fail_first, stall_first
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.path)
                if not self.path.startswith("/good/"):
                    self.send_error(404)
                    return
                if outer.fail_first:
                    outer.fail_first -= 1
                    self.send_error(503)
                    return
                if outer.stall_first:
                    stall, outer.stall_first = outer.stall_first, 0.0
                    time.sleep(stall)
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    outer.ranges.append(rng)
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
                else:
                    outer.full += 1
                    self.send_response(200)
                body = PAYLOAD[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut_first:
                    outer.cut_first = False
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                for i in range(0, len(body), 65536):
                    self.wfile.write(body[i:i + 65536])
                    time.sleep(outer.delay)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GLUONKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GLUONKIT_RETRY_BACKOFF", "0")
    monkeypatch.delenv("GLUONKIT_REPO_URL", raising=False)
    monkeypatch.delenv("GLUONKIT_OFFLINE", raising=False)
    store._verified.clear()
    monkeypatch.setattr(store, "_KNOWN", dict(store._KNOWN))  # WeightFiles made here stay here
    return tmp_path / "home" / "models"


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def weight(server, sha=SHA):
    return store.WeightFile("w.bin", sha, urls=(f"{server.url}/good/w.bin",))


def test_download_verify_and_cache(home, server):
    path = store.fetch(weight(server), progress=False)
    assert path == home / "w.bin" and path.read_bytes() == PAYLOAD
    assert store.fetch(weight(server), progress=False) == path
    assert server.full == 1
    assert store.list_cached() == [{"filename": "w.bin", "size": len(PAYLOAD), "sha256": SHA}]
    assert store.verify() == {"w.bin": True}


def test_resume_after_connection_cut(home):
    s = Server(cut_first=True)
    try:
        path = store.fetch(weight(s), progress=False)
    finally:
        s.close()
    assert path.read_bytes() == PAYLOAD
    assert s.ranges and s.ranges[0] == f"bytes={len(PAYLOAD) // 2}-"


def test_hash_mismatch_names_url_and_both_hashes(home, server):
    with pytest.raises(store.DownloadError) as err:
        store.fetch(weight(server, sha="0" * 64), progress=False)
    text = str(err.value)
    assert f"{server.url}/good/w.bin" in text and "0" * 64 in text and SHA in text
    assert not (home / "w.bin").exists() and not (home / "w.bin.part").exists()


def test_mirrors_are_tried_in_order_then_upstream(home, server, monkeypatch):
    monkeypatch.setenv("GLUONKIT_REPO_URL", f"{server.url}/missing, {server.url}/good")
    wf = store.WeightFile("w.bin", SHA, urls=(f"{server.url}/never",))
    assert store.fetch(wf, progress=False).read_bytes() == PAYLOAD
    assert server.requests == ["/missing/w.bin", "/good/w.bin"]
    store.purge()
    monkeypatch.setenv("GLUONKIT_REPO_URL", f"{server.url}/gone {server.url}/also-gone")
    wf = store.WeightFile("w.bin", SHA, urls=(f"{server.url}/good/w.bin",))
    assert store.fetch(wf, progress=False).read_bytes() == PAYLOAD
    assert server.requests[2:] == ["/gone/w.bin", "/also-gone/w.bin", "/good/w.bin"]


def test_every_url_failing_lists_every_attempt(home, server, monkeypatch):
    monkeypatch.setenv("GLUONKIT_REPO_URL", f"{server.url}/mirror")
    wf = store.WeightFile("w.bin", SHA, urls=(f"{server.url}/upstream/w.bin",))
    with pytest.raises(store.DownloadError) as err:
        store.fetch(wf, progress=False)
    assert f"{server.url}/mirror/w.bin: HTTP 404" in str(err.value)
    assert f"{server.url}/upstream/w.bin: HTTP 404" in str(err.value)


def test_server_errors_and_timeouts_are_retried(home):
    s = Server(fail_first=2)
    try:
        assert store.fetch(weight(s), progress=False, retries=3).read_bytes() == PAYLOAD
    finally:
        s.close()
    assert len(s.requests) == 3
    store.purge()
    s = Server(stall_first=1.0)
    try:
        path = store.fetch(weight(s), progress=False, retries=2, timeout=0.2)
    finally:
        s.close()
    assert path.read_bytes() == PAYLOAD and len(s.requests) == 2


def test_torchvision_style_hash_prefix_records_the_full_digest(home, server):
    wf = weight(server, sha=SHA[:8])
    path = store.fetch(wf, progress=False)
    assert store.list_cached()[0]["sha256"] == SHA
    path.write_bytes(PAYLOAD[:-1] + b"x")  # same prefix would not save a corrupt file
    store._verified.clear()
    with pytest.raises(store.StoreError, match="corrupt"):
        store.fetch(wf, progress=False)


def test_offline_mode_never_touches_the_network(home, server, monkeypatch):
    monkeypatch.setenv("GLUONKIT_OFFLINE", "1")
    with pytest.raises(store.StoreError, match=r"GLUONKIT_OFFLINE=1.*put the file at .*w\.bin"):
        store.fetch(weight(server), progress=False)
    assert server.requests == []
    home.mkdir(parents=True, exist_ok=True)
    (home / "w.bin").write_bytes(PAYLOAD)  # copied in by hand, as the message says
    assert store.fetch(weight(server), progress=False).read_bytes() == PAYLOAD
    assert store.verify() == {"w.bin": True} and server.requests == []


def test_corrupt_cache_is_detected_on_first_use(home, server):
    path = store.fetch(weight(server), progress=False)
    path.write_bytes(b"garbage")
    store._verified.clear()  # a new process
    with pytest.raises(store.StoreError, match="corrupt"):
        store.fetch(weight(server), progress=False)


def test_two_processes_download_once(home, tmp_path):
    slow = Server(delay=0.06)
    code = ("import sys; from gluonkit.model_zoo import store; "
            f"wf = store.WeightFile('w.bin', {SHA!r}, urls=({slow.url + '/good/w.bin'!r},)); "
            "print(store.fetch(wf, progress=False))")
    env = dict(os.environ)
    try:
        procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    finally:
        slow.close()
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1] == str(home / "w.bin")
    assert slow.full == 1


def test_pack_unpack_round_trip(home, server, tmp_path):
    store.fetch(weight(server), progress=False)
    pack = store.pack(tmp_path / "cache.tar")
    assert store.purge() == ["w.bin"] and store.list_cached() == []
    assert store.unpack(pack) == ["w.bin"]
    assert store.verify() == {"w.bin": True}


def test_unpack_is_all_or_nothing_and_keeps_good_files(home, server, tmp_path):
    store.fetch(weight(server), progress=False)
    bad = tmp_path / "bad.tar"
    manifest = {"a.bin": hashlib.sha256(b"a").hexdigest(), "w.bin": SHA}
    _tar(bad, {"manifest.json": json.dumps(manifest).encode(), "a.bin": b"a",
               "w.bin": b"tampered"})
    with pytest.raises(store.StoreError, match="nothing was replaced"):
        store.unpack(bad)
    assert (home / "w.bin").read_bytes() == PAYLOAD and not (home / "a.bin").exists()
    assert sorted(p.name for p in home.iterdir() if p.name.startswith(".unpack")) == []


def test_pack_refuses_a_corrupt_cache(home, server, tmp_path):
    store.fetch(weight(server), progress=False).write_bytes(b"rot")
    assert store.verify() == {"w.bin": False}
    with pytest.raises(store.StoreError, match="corrupt"):
        store.pack(tmp_path / "cache.tar")


def test_pack_refuses_a_hand_copied_file_that_fails_the_zoo_hash(home, tmp_path):
    store.WeightFile("w.bin", SHA[:8])  # the zoo declares w.bin (a torchvision-style prefix)
    home.mkdir(parents=True, exist_ok=True)
    (home / "w.bin").write_bytes(b"not the weights")  # copied in by hand, never used
    with pytest.raises(store.StoreError, match=f"w.bin is corrupt .*expected {SHA[:8]}"):
        store.pack(tmp_path / "cache.tar")
    (home / "w.bin").write_bytes(PAYLOAD)
    assert store.pack(tmp_path / "cache.tar").exists()
    (home / "x.bin").write_bytes(b"unknown")
    with pytest.raises(store.StoreError, match="x.bin has no known SHA-256"):
        store.pack(tmp_path / "cache.tar")


def test_unpack_refuses_a_self_consistent_pack_of_a_bad_zoo_file(home, tmp_path):
    store.WeightFile("w.bin", SHA)
    bad = tmp_path / "bad.tar"
    rot = b"rotten weights"
    _tar(bad, {"manifest.json": json.dumps({"w.bin": hashlib.sha256(rot).hexdigest()}).encode(),
               "w.bin": rot})
    with pytest.raises(store.StoreError, match="the zoo expects .*nothing was replaced"):
        store.unpack(bad)
    assert not (home / "w.bin").exists()


def test_zoo_script_commands(home, server, tmp_path, capsys):
    main = runpy.run_path(os.path.join(os.path.dirname(__file__), "..", "..", "scripts",
                                       "zoo.py"))["main"]
    assert main(["fetch", "--url", f"{server.url}/good/w.bin", "--sha256", SHA]) == 0
    assert capsys.readouterr().out.strip().endswith("w.bin")
    assert main(["list"]) == 0
    assert capsys.readouterr().out == f"w.bin\t{len(PAYLOAD)}\t{SHA}\n"
    assert main(["pack", str(tmp_path / "c.tar")]) == 0
    assert main(["purge", "w.*"]) == 0 and "removed w.bin" in capsys.readouterr().out
    assert main(["unpack", str(tmp_path / "c.tar")]) == 0
    assert main(["verify"]) == 0 and "ok  w.bin" in capsys.readouterr().out
    (home / "w.bin").write_bytes(b"rot")
    assert main(["verify"]) == 1 and "BAD w.bin" in capsys.readouterr().out
    assert main(["fetch", "--url", f"{server.url}/good/x.bin", "--sha256", "0" * 64]) == 1
    assert "SHA-256 mismatch" in capsys.readouterr().err


def _tar(path, members):
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_unpack_refuses_tampered_and_traversing_members(home, tmp_path):
    bad = tmp_path / "bad.tar"
    _tar(bad, {"manifest.json": json.dumps({"w.bin": SHA}).encode(), "w.bin": b"tampered"})
    with pytest.raises(store.StoreError, match="nothing was replaced"):
        store.unpack(bad)
    assert not (home / "w.bin").exists()
    evil = tmp_path / "evil.tar"
    _tar(evil, {"manifest.json": b"{}", "../escape.bin": b"x"})
    with pytest.raises(store.StoreError, match="refusing member"):
        store.unpack(evil)
    assert not (home.parent / "escape.bin").exists()
