"""Pure parts of the sync: sharding, journal location and state, progress maths, summary JSON."""
from __future__ import annotations

import json
import os

import pytest

from dataloop_core.sync import ProgressSnapshot, SyncSummary, cache_dir, parse_shard, shard_of, shards
from dataloop_core.sync.journal import Entry, Journal, JournalBusy, RemoteFile, journal_key, journal_path
from dataloop_core.sync.progress import ProgressTracker
from dataloop_core.sync.summary import Failure


def test_shard_of_is_deterministic_and_covers_every_shard():
    paths = [f"dir/file-{i}.png" for i in range(2000)]
    assignment = [shard_of(p, 4) for p in paths]
    assert assignment == [shard_of(p, 4) for p in paths]
    assert set(assignment) == {0, 1, 2, 3}
    assert min(assignment.count(s) for s in range(4)) > 400  # roughly even
    assert {shard_of(p, 1) for p in paths} == {0}
    with pytest.raises(ValueError):
        shard_of("x", 0)


def test_parse_shard_and_shards():
    assert parse_shard("2/8") == (2, 8) and parse_shard((0, 1)) == (0, 1) and parse_shard(None) is None
    for bad in ("8/8", "a/2", "1", "-1/2", (1, 0)):
        with pytest.raises(ValueError):
            parse_shard(bad)
    assert shards(3) == ["0/3", "1/3", "2/3"]
    with pytest.raises(ValueError):
        shards(0)


def test_journal_location_is_keyed_and_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == os.path.join(str(tmp_path), "dataloop-sync")
    key = journal_key("http://h:1/", "d" * 24, "/x", str(tmp_path), None)
    assert key["base_url"] == "http://h:1" and key["shard"] == "all"
    other = journal_key("http://h:1", "d" * 24, "/x", str(tmp_path), (0, 2))
    assert journal_path(key) != journal_path(other)
    assert journal_path(key).startswith(cache_dir())


def test_journal_state_survives_reopen_and_is_exclusive(tmp_path):
    path = str(tmp_path / "j.sqlite3")
    with Journal(path, {"k": 1}) as journal:
        journal.commit_file(Entry("a", 1, 2, "h", "i"))
        journal.add_remote([RemoteFile("a", "i", 1, "h"), RemoteFile("b", "j", 2, None)])
        journal.record_failure("c", "boom")
        journal.record_failure("c", "boom again")
        journal.mark_seen(["a"])
        assert [r.rel for r in journal.iter_remote(unseen_only=True)] == ["b"]
        with pytest.raises(JournalBusy):
            Journal(path)
    with Journal(path) as journal:
        assert journal.get("a") == Entry("a", 1, 2, "h", "i") and journal.count_files() == 1
        assert journal.failures() == [("c", "boom again", 2)]
        journal.add_plan([("x", "upload", "new", 10, None, None, None), ("y", "upload", "new", 5, None, None, None)])
        assert journal.plan_totals() == (2, 15)
        assert [[t.rel for t in chunk] for chunk in journal.iter_plan(1)] == [["x"], ["y"]]
        journal.forget("a")
        assert journal.get("a") is None


@pytest.mark.parametrize("digest_column", ["", ", sha256 TEXT"])
def test_a_journal_from_before_the_digest_column_keeps_its_files_and_rebuilds_its_run_tables(tmp_path,
                                                                                            digest_column):
    import sqlite3
    path = str(tmp_path / "old.sqlite3")
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE files (rel TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, hash TEXT, item_id TEXT);
        CREATE TABLE remote (rel TEXT PRIMARY KEY, item_id TEXT, size INTEGER, hash TEXT{0},
                             seen INTEGER DEFAULT 0);
        CREATE TABLE plan (seq INTEGER PRIMARY KEY, rel TEXT, action TEXT, reason TEXT, size INTEGER, item_id TEXT,
                           hash TEXT{0});
        INSERT INTO files VALUES ('a', 1, 2, 'h', 'i');
        INSERT INTO plan(rel, action) VALUES ('stale', 'upload');""".format(digest_column))
    old.commit()
    old.close()
    with Journal(path) as journal:
        assert journal.get("a") == Entry("a", 1, 2, "h", "i")  # the durable state is kept
        assert list(journal.iter_plan(10)) == []  # one run's plan is rebuilt by the next run anyway
        journal.add_remote([RemoteFile("b", "j", 2, "h", "blake3:" + "d" * 64)])
        journal.add_plan([("b", "download", "new", 2, "j", "h", "blake3:" + "d" * 64)])
        assert journal.remote("b").digest == "blake3:" + "d" * 64
        assert [t.digest for chunk in journal.iter_plan(10) for t in chunk] == ["blake3:" + "d" * 64]


def test_progress_snapshot_rates_and_eta():
    snap = ProgressSnapshot(files_done=5, files_total=10, bytes_done=500, bytes_total=1000, failed=0, elapsed=2.0)
    assert (snap.bytes_per_second, snap.files_per_second, snap.eta) == (250.0, 2.5, 2.0)
    assert ProgressSnapshot(0, 10, 0, 0, 0, 1.0).eta is None
    assert ProgressSnapshot(2, 4, 0, 0, 0, 1.0).eta == 1.0
    seen = []
    tracker = ProgressTracker(seen.append, interval=3600)
    tracker.set_totals(2, 10)
    tracker.add_bytes(10)
    tracker.file_done()
    tracker.file_done(failed=True)
    tracker.finish()
    assert len(seen) == 2 and (seen[-1].files_done, seen[-1].failed, seen[-1].bytes_done) == (2, 1, 10)


def test_summary_json():
    summary = SyncSummary("push", transferred=3, skipped=1, bytes=30, seconds=1.5,
                          failed=[Failure("a.txt", "400 rejected")])
    data = json.loads(summary.to_json())
    assert data["failed"] == [{"path": "a.txt", "reason": "400 rejected"}] and data["ok"] is False
    assert "planned" not in data and summary.files_per_second == 2.0
    assert "transferred 3, skipped 1" in str(summary)
