"""Sync robustness: injected transient faults, permanent failures, hostile remote names, symlinks, Range resume."""
from __future__ import annotations

import builtins
import hashlib
import os

import pytest

from dataloop_core.sync import pull, push
from dataloop_core._transfer import part_path

UPLOADS = "/api/v1/datasets/*/items"
STREAMS = "/api/v1/items/*/stream"


def make_tree(root, count=12, size=20_000):
    os.makedirs(root, exist_ok=True)
    files = {}
    for i in range(count):
        data = hashlib.sha256(str(i).encode()).digest() * (size // 32)
        with open(os.path.join(root, f"f{i:02}.bin"), "wb") as handle:
            handle.write(data)
        files[f"f{i:02}.bin"] = data
    return files


def tree(root):
    return {os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/"): open(os.path.join(d, n), "rb").read()
            for d, _, names in os.walk(root) for n in names}


def remote_names(client, dataset_id):
    body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 1000, "resource": "items"}
    return sorted(i["filename"] for i in client.transport.json("POST", f"/datasets/{dataset_id}/query",
                                                              json=body)["items"])


@pytest.fixture
def jdir(tmp_path):
    return str(tmp_path / "journals")


def test_transient_upload_faults_still_sync_exactly(client, dataset, faults, tmp_path, jdir):
    files = make_tree(str(tmp_path / "src"))
    faults({"path": UPLOADS, "method": "POST", "action": "reset", "times": 3},
           {"path": UPLOADS, "method": "POST", "status": 429, "retry_after": 0.2, "times": 2},
           {"path": UPLOADS, "method": "POST", "status": 503, "times": 2})
    summary = push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir, workers=4)
    assert (summary.ok, summary.transferred) == (True, len(files))
    assert remote_names(client, dataset.id) == sorted("/" + n for n in files)
    pulled = str(tmp_path / "dst")
    faults({"path": STREAMS, "method": "GET", "action": "reset", "times": 3},
           {"path": STREAMS, "method": "GET", "status": 503, "times": 2},
           {"path": STREAMS, "method": "GET", "status": 429, "retry_after": 0.2, "times": 1})
    summary = pull(client, dataset.id, pulled, journal_dir=jdir, workers=4)
    assert (summary.ok, summary.transferred) == (True, len(files))
    assert tree(pulled) == files


def test_permanent_rejection_is_reported_and_retried_next_run(client, dataset, faults, tmp_path, jdir):
    files = make_tree(str(tmp_path / "src"), count=6)
    faults({"path": UPLOADS, "method": "POST", "status": 400, "times": 1})
    summary = push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir, workers=2)
    assert not summary.ok and summary.transferred == len(files) - 1
    assert len(summary.failed) == 1 and summary.failed[0].reason.startswith("400")
    assert summary.to_dict()["failed_count"] == 1
    again = push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir)
    assert (again.ok, again.transferred, again.skipped) == (True, 1, len(files) - 1)


def test_unreadable_file_and_rejected_name_fail_alone(client, dataset, tmp_path, jdir, monkeypatch):
    src = str(tmp_path / "src")
    files = make_tree(src, count=4)
    secret = os.path.join(src, "secret.bin")
    with open(secret, "wb") as handle:
        handle.write(b"no access")
    with open(os.path.join(src, "back\\slash.txt"), "wb") as handle:  # the server rejects backslashes
        handle.write(b"x")
    os.chmod(secret, 0)
    if os.geteuid() == 0:  # root reads anything: make exactly this file unreadable
        real_open = builtins.open

        def guarded(file, *args, **kwargs):
            if isinstance(file, str) and os.path.abspath(file) == secret:
                raise PermissionError(13, "Permission denied", file)
            return real_open(file, *args, **kwargs)
        monkeypatch.setattr(builtins, "open", guarded)
    summary = push(client, dataset.id, src, journal_dir=jdir)
    reasons = {f.path: f.reason for f in summary.failed}
    assert set(reasons) == {"secret.bin", "back\\slash.txt"}
    assert "Permission denied" in reasons["secret.bin"] and reasons["back\\slash.txt"].startswith("400")
    assert summary.transferred == len(files)


def test_hostile_remote_names_never_escape_the_target(client, dataset, emulator, tmp_path, jdir):
    store, blobs = emulator.emulator.store, emulator.emulator.blobs
    names = ["/../escape.txt", "/a/../../escape2.txt", "/a\\..\\..\\escape3.txt", "//abs/inside.txt"]
    for name in names:  # written straight into the store: the HTTP API itself refuses such names
        doc = {"id": store.new_id(), "datasetId": dataset.id, "type": "file", "filename": name, "hidden": False,
               "name": name.rsplit("/", 1)[-1], "dir": "/", "metadata": {"system": {"size": 2}}}
        store.insert("item", doc, scope=dataset.id)
        blobs.write(doc["id"], b"hi")
    target = tmp_path / "deep" / "target"
    summary = pull(client, dataset.id, str(target), journal_dir=jdir)
    assert sorted(f.path for f in summary.failed) == sorted(n.lstrip("/") for n in names[:3])
    assert all("unsafe remote path" in f.reason for f in summary.failed)
    assert summary.transferred == 1 and tree(str(target)) == {"abs/inside.txt": b"hi"}
    assert sorted(os.listdir(tmp_path / "deep")) == ["target"] and "escape.txt" not in os.listdir(tmp_path)


def test_symlinks_skipped_by_default_followed_on_request_without_loops(client, dataset, tmp_path, jdir):
    src, outside = tmp_path / "src", tmp_path / "outside"
    os.makedirs(src / "dir")
    os.makedirs(outside)
    (src / "dir" / "real.txt").write_bytes(b"real")
    (outside / "linked.txt").write_bytes(b"linked")
    os.symlink(outside / "linked.txt", src / "file-link.txt")
    os.symlink(src / "dir", src / "dir" / "loop")  # a loop back to its own parent
    os.symlink(tmp_path / "nowhere", src / "broken")
    summary = push(client, dataset.id, str(src), "/plain", journal_dir=jdir)
    assert (summary.ok, summary.transferred) == (True, 1)
    summary = push(client, dataset.id, str(src), "/followed", journal_dir=jdir, follow_symlinks=True)
    assert summary.transferred == 2 and [f.path for f in summary.failed] == ["broken"]
    assert remote_names(client, dataset.id) == ["/followed/dir/real.txt", "/followed/file-link.txt",
                                                "/plain/dir/real.txt"]


def _write_part(target, data):
    os.makedirs(os.path.dirname(part_path(str(target))), exist_ok=True)
    with open(part_path(str(target)), "wb") as handle:
        handle.write(data)


def test_partial_download_resumes_by_range(client, dataset, tmp_path, jdir):
    files = make_tree(str(tmp_path / "src"), count=1, size=400_000)
    push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir)
    dst = tmp_path / "dst"
    os.makedirs(dst)
    data = files["f00.bin"]
    _write_part(dst / "f00.bin", data[:150_000])  # left by a killed run
    snapshots = []
    summary = pull(client, dataset.id, str(dst), journal_dir=jdir, progress=snapshots.append)
    assert summary.transferred == 1 and tree(str(dst)) == files
    assert snapshots[-1].bytes_done == len(data) - 150_000  # only the missing tail travelled


def test_corrupt_partial_download_is_discarded(client, dataset, tmp_path, jdir):
    files = make_tree(str(tmp_path / "src"), count=1, size=50_000)
    push(client, dataset.id, str(tmp_path / "src"), journal_dir=jdir)
    dst = tmp_path / "dst"
    os.makedirs(dst)
    _write_part(dst / "f00.bin", b"\0" * 1000)  # wrong bytes: md5 check fails, retried whole
    summary = pull(client, dataset.id, str(dst), journal_dir=jdir)
    assert summary.ok and tree(str(dst)) == files
