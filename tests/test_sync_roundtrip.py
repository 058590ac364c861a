"""Sync push/pull against the emulator over HTTP: round trips, change detection, mirror, dry run, shards."""
from __future__ import annotations

import hashlib
import os

import pytest

from dataloop_core.sync import ProgressSnapshot, pull, push, shards

FILES = {
    "a.bin": os.urandom(3000),
    "empty.txt": b"",
    "sub/deeper/b.bin": os.urandom(70_000),
    "with space/ünïcødé name.txt": "héllo wörld".encode(),
    "sub/c.json": b'{"k": 1}',
}


def write_tree(root, files):
    for rel, data in files.items():
        path = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)


def read_tree(root):
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root).replace(os.sep, "/")] = open(path, "rb").read()
    return found


def remote_items(client, dataset_id):
    body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 1000, "resource": "items"}
    return client.transport.json("POST", f"/datasets/{dataset_id}/query", json=body)["items"]


@pytest.fixture
def src(tmp_path):
    root = tmp_path / "src"
    write_tree(str(root), FILES)
    os.makedirs(root / "empty folder")
    return str(root)


@pytest.fixture
def journal_dir(tmp_path):
    return str(tmp_path / "journals")


def test_push_then_pull_round_trip_byte_for_byte(client, dataset, src, tmp_path, journal_dir):
    snapshots = []
    summary = push(client, dataset.id, src, "/data", journal_dir=journal_dir, progress=snapshots.append)
    assert (summary.ok, summary.transferred, summary.skipped) == (True, len(FILES), 0)
    assert summary.bytes == sum(len(v) for v in FILES.values())
    last = snapshots[-1]
    assert isinstance(last, ProgressSnapshot)
    assert (last.files_done, last.files_total, last.bytes_done) == (len(FILES), len(FILES), summary.bytes)
    items = {i["filename"]: i for i in remote_items(client, dataset.id)}
    assert set(items) == {"/data/" + rel for rel in FILES}
    for rel, data in FILES.items():  # content hash recorded on the item (one-pass md5)
        assert items["/data/" + rel]["metadata"]["user"]["sync"]["md5"] == hashlib.md5(data).hexdigest()
        assert items["/data/" + rel]["metadata"]["system"]["size"] == len(data)

    dst = str(tmp_path / "dst")
    summary = pull(client, dataset.id, dst, "/data", journal_dir=journal_dir)
    assert (summary.ok, summary.transferred) == (True, len(FILES))
    assert read_tree(dst) == FILES


def test_rerun_is_a_noop(client, dataset, src, tmp_path, journal_dir):
    push(client, dataset.id, src, journal_dir=journal_dir)
    again = push(client, dataset.id, src, journal_dir=journal_dir)
    assert (again.transferred, again.skipped, again.bytes) == (0, len(FILES), 0)
    dst = str(tmp_path / "dst")
    pull(client, dataset.id, dst, journal_dir=journal_dir)
    again = pull(client, dataset.id, dst, journal_dir=journal_dir)
    assert (again.transferred, again.skipped) == (0, len(FILES))


def test_same_size_content_change_is_detected(client, dataset, src, tmp_path, journal_dir):
    push(client, dataset.id, src, journal_dir=journal_dir)
    path = os.path.join(src, "a.bin")
    before = os.stat(path)
    changed = bytes(b ^ 0xFF for b in FILES["a.bin"])
    with open(path, "wb") as handle:
        handle.write(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    summary = push(client, dataset.id, src, journal_dir=journal_dir)
    assert (summary.transferred, summary.skipped) == (1, len(FILES) - 1)
    dst = str(tmp_path / "dst")
    pull(client, dataset.id, dst, journal_dir=journal_dir)
    assert read_tree(dst)["a.bin"] == changed


def test_checksum_catches_change_with_restored_mtime(client, dataset, src, journal_dir):
    push(client, dataset.id, src, journal_dir=journal_dir)
    path = os.path.join(src, "a.bin")
    before = os.stat(path)
    with open(path, "wb") as handle:
        handle.write(bytes(b ^ 0x0F for b in FILES["a.bin"]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert push(client, dataset.id, src, journal_dir=journal_dir).transferred == 0  # size+mtime shortcut
    summary = push(client, dataset.id, src, journal_dir=journal_dir, checksum=True)
    assert (summary.transferred, summary.skipped) == (1, len(FILES) - 1)


def test_lost_journal_verifies_by_hash_instead_of_resending(client, dataset, src, tmp_path):
    push(client, dataset.id, src, journal_dir=str(tmp_path / "j1"))
    summary = push(client, dataset.id, src, journal_dir=str(tmp_path / "j2"))
    assert (summary.transferred, summary.skipped) == (0, len(FILES))


def test_pull_fetches_remote_changes(client, dataset, src, tmp_path, journal_dir):
    push(client, dataset.id, src, journal_dir=journal_dir)
    dst = str(tmp_path / "dst")
    pull(client, dataset.id, dst, journal_dir=journal_dir)
    other = str(tmp_path / "other")
    changed = bytes(reversed(FILES["a.bin"]))
    write_tree(other, {"a.bin": changed})
    push(client, dataset.id, other, journal_dir=str(tmp_path / "other-journal"))
    summary = pull(client, dataset.id, dst, journal_dir=journal_dir)
    assert (summary.transferred, summary.skipped) == (1, len(FILES) - 1)
    assert read_tree(dst)["a.bin"] == changed


def test_pull_with_filter_and_existing_identical_files(client, dataset, src, tmp_path, journal_dir):
    push(client, dataset.id, src, journal_dir=journal_dir)
    dst = str(tmp_path / "dst")
    summary = pull(client, dataset.id, dst, filters={"metadata.system.mimetype": "application/json"},
                   journal_dir=journal_dir)
    assert summary.transferred == 1 and read_tree(dst) == {"sub/c.json": FILES["sub/c.json"]}
    copy = str(tmp_path / "copy")
    write_tree(copy, FILES)  # already identical, no journal: verified by hash, not downloaded
    summary = pull(client, dataset.id, copy, journal_dir=str(tmp_path / "fresh"))
    assert (summary.transferred, summary.skipped) == (0, len(FILES))


def test_mirror_delete_both_ways(client, dataset, src, tmp_path, journal_dir):
    push(client, dataset.id, src, "/m", journal_dir=journal_dir)
    os.remove(os.path.join(src, "a.bin"))
    kept = push(client, dataset.id, src, "/m", journal_dir=journal_dir)
    assert kept.deleted == 0 and "/m/a.bin" in {i["filename"] for i in remote_items(client, dataset.id)}
    mirrored = push(client, dataset.id, src, "/m", journal_dir=journal_dir, delete=True)
    assert mirrored.deleted == 1
    assert "/m/a.bin" not in {i["filename"] for i in remote_items(client, dataset.id)}

    dst = str(tmp_path / "dst")
    write_tree(dst, {"stale.txt": b"x"})
    assert pull(client, dataset.id, dst, "/m", journal_dir=journal_dir).deleted == 0
    summary = pull(client, dataset.id, dst, "/m", journal_dir=journal_dir, delete=True)
    assert summary.deleted == 1 and "stale.txt" not in read_tree(dst)


def test_dry_run_plans_without_transferring(client, dataset, src, journal_dir):
    summary = push(client, dataset.id, src, journal_dir=journal_dir, dry_run=True)
    assert summary.dry_run and summary.transferred == 0
    assert sorted(p.path for p in summary.planned) == sorted(FILES)
    assert {p.action for p in summary.planned} == {"upload"} and {p.reason for p in summary.planned} == {"new"}
    assert remote_items(client, dataset.id) == []
    assert "planned" in summary.to_dict()


def test_shards_split_the_work_disjointly(client, dataset, src, journal_dir):
    results = [push(client, dataset.id, src, journal_dir=journal_dir, shard=spec) for spec in shards(3)]
    assert sum(r.transferred for r in results) == len(FILES)
    assert sum(r.skipped for r in results) == 0
    assert len(remote_items(client, dataset.id)) == len(FILES)
    assert all(r.transferred == 0 for r in
               [push(client, dataset.id, src, journal_dir=journal_dir, shard=s) for s in shards(3)])


def test_bad_arguments(client, dataset, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        push(client, dataset.id, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="workers"):
        push(client, dataset.id, str(tmp_path), workers=0)
    with pytest.raises(ValueError, match="remote path"):
        push(client, dataset.id, str(tmp_path), "/a/../b")
    with pytest.raises(ValueError, match="shard"):
        pull(client, dataset.id, str(tmp_path), shard="3/2")
