"""Cooperative cancel and steady progress in push/pull, over HTTP; plain-JSON summaries and snapshots."""
from __future__ import annotations

import json
import logging
import threading

import pytest

from dataloop_core.sync import ProgressSnapshot, SyncSummary, pull, push
from dataloop_core.sync.summary import Failure, PlannedAction

SLOW_UPLOADS = {"path": "/api/v1/datasets/*/items", "method": "POST", "action": "delay", "delay": 0.05, "times": -1}
SLOW_DOWNLOADS = {"path": "/api/v1/items/*/stream", "method": "GET", "action": "delay", "delay": 0.05, "times": -1}


def make_files(folder, count):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"d{index % 3}" / f"f{index:03d}.txt").parent.mkdir(exist_ok=True)
        (folder / f"d{index % 3}" / f"f{index:03d}.txt").write_text(f"content of file {index}\n" * (index + 1))
    return folder


def local_files(folder):
    return {str(p.relative_to(folder)): p.read_text() for p in folder.rglob("*.txt")}


def cancel_after(event, files):
    """A progress callback that sets ``event`` once ``files`` files are done."""
    def on_progress(snapshot):
        if snapshot.files_done >= files:
            event.set()
    return on_progress


def item_names(client, dataset_id):
    return sorted(item.filename for item in client.datasets.get(dataset_id=dataset_id).items.list().all())


# -- cancel ---------------------------------------------------------------------------------------------
def test_cancel_before_start_transfers_nothing(client, dataset, tmp_path):
    src, cancel = make_files(tmp_path / "src", 5), threading.Event()
    cancel.set()
    snapshots = []
    summary = push(client, dataset.id, str(src), journal_dir=str(tmp_path / "j"), cancel_event=cancel,
                   progress=snapshots.append)
    assert summary.cancelled and not summary.ok and summary.transferred == 0 and summary.failed == []
    assert summary.to_dict()["cancelled"] is True and summary.to_dict()["ok"] is False
    assert item_names(client, dataset.id) == []
    assert len(snapshots) == 1  # the final report
    assert push(client, dataset.id, str(src), journal_dir=str(tmp_path / "j")).transferred == 5


def test_push_cancelled_mid_run_then_resumed(client, dataset, faults, tmp_path):
    src, journal_dir, cancel = make_files(tmp_path / "src", 30), str(tmp_path / "j"), threading.Event()
    faults(SLOW_UPLOADS)
    first = push(client, dataset.id, str(src), "/data", workers=2, journal_dir=journal_dir, cancel_event=cancel,
                 progress=cancel_after(cancel, 5), progress_interval=0)
    assert first.cancelled and first.failed == [] and 5 <= first.transferred < 30
    # in-flight files finished: every stored item is complete and counted, none half-registered
    assert len(item_names(client, dataset.id)) == first.transferred
    second = push(client, dataset.id, str(src), "/data", workers=2, journal_dir=journal_dir)
    assert second.ok and not second.cancelled
    assert (second.skipped, second.transferred) == (first.transferred, 30 - first.transferred)
    assert len(item_names(client, dataset.id)) == 30


def test_pull_cancelled_mid_run_leaves_no_partial_file_and_resumes(client, dataset, faults, tmp_path):
    src = make_files(tmp_path / "src", 24)
    push(client, dataset.id, str(src), workers=4, journal_dir=str(tmp_path / "jp"))
    dst, journal_dir, cancel = tmp_path / "dst", str(tmp_path / "j"), threading.Event()
    faults(SLOW_DOWNLOADS)
    first = pull(client, dataset.id, str(dst), workers=2, journal_dir=journal_dir, cancel_event=cancel,
                 progress=cancel_after(cancel, 4), progress_interval=0)
    assert first.cancelled and first.failed == [] and 4 <= first.transferred < 24
    expected = local_files(src)
    got = local_files(dst)
    assert len(got) == first.transferred and all(expected[rel] == text for rel, text in got.items())
    second = pull(client, dataset.id, str(dst), workers=2, journal_dir=journal_dir)
    assert second.ok and (second.skipped, second.transferred) == (first.transferred, 24 - first.transferred)
    assert local_files(dst) == expected


def test_a_cancelled_mirror_run_deletes_nothing(client, dataset, tmp_path):
    src = make_files(tmp_path / "src", 6)
    push(client, dataset.id, str(src), journal_dir=str(tmp_path / "j"))
    for path in list(src.rglob("*.txt"))[:3]:
        path.unlink()
    cancel = threading.Event()
    cancel.set()
    summary = push(client, dataset.id, str(src), delete=True, journal_dir=str(tmp_path / "j"), cancel_event=cancel)
    assert summary.cancelled and summary.deleted == 0 and len(item_names(client, dataset.id)) == 6


def test_a_file_waiting_for_a_retry_is_abandoned_on_cancel(client, dataset, faults, tmp_path):
    """Cancelled while a failed upload waits to be retried: abandoned, not failed, nothing stored."""
    cancel = threading.Event()

    class CancelOnRetry(logging.Handler):
        def emit(self, record):
            if "retry 1 in" in record.getMessage():
                cancel.set()
    handler = CancelOnRetry()
    logging.getLogger("dataloop_core.sync").addHandler(handler)
    logging.getLogger("dataloop_core.sync").setLevel(logging.INFO)
    faults({"path": "/api/v1/datasets/*/items", "method": "POST", "status": 500, "times": -1})
    try:
        summary = push(client, dataset.id, str(make_files(tmp_path / "src", 1)), journal_dir=str(tmp_path / "j"),
                       cancel_event=cancel)
    finally:
        logging.getLogger("dataloop_core.sync").removeHandler(handler)
        logging.getLogger("dataloop_core.sync").setLevel(logging.NOTSET)
    assert summary.cancelled and summary.failed == [] and summary.transferred == 0


# -- progress ---------------------------------------------------------------------------------------------
def test_progress_comes_from_the_calling_thread_at_the_interval(client, dataset, faults, tmp_path):
    src = make_files(tmp_path / "src", 40)
    faults(SLOW_UPLOADS)
    calls, inside = [], []
    caller = threading.get_ident()

    def on_progress(snapshot):
        assert not inside, "two progress calls at once"
        inside.append(1)
        calls.append((threading.get_ident(), snapshot))
        inside.pop()
    summary = push(client, dataset.id, str(src), workers=2, journal_dir=str(tmp_path / "j"), progress=on_progress,
                   progress_interval=0.2)
    assert summary.ok and summary.transferred == 40
    assert len(calls) > 3 and {ident for ident, _ in calls} == {caller}
    elapsed = [snapshot.elapsed for _, snapshot in calls]
    assert all(later - earlier >= 0.2 for earlier, later in zip(elapsed[:-2], elapsed[1:-1]))
    final = calls[-1][1]
    assert (final.files_done, final.files_total, final.failed) == (40, 40, 0)
    assert final.bytes_done == final.bytes_total == sum(p.stat().st_size for p in src.rglob("*.txt"))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"progress_interval": -1}, ValueError, "progress_interval must be a number of seconds >= 0, got -1"),
    ({"progress_interval": "fast"}, ValueError, "progress_interval must be a number of seconds >= 0, got 'fast'"),
    ({"progress": "bar"}, TypeError, "progress must be a callable taking a ProgressSnapshot, got str"),
    ({"cancel_event": True}, TypeError, "cancel_event must be a threading.Event or None, got bool"),
])
def test_bad_progress_and_cancel_arguments(client, dataset, tmp_path, kwargs, error, message):
    for sync in (push, pull):
        with pytest.raises(error, match=message.replace("(", r"\(")):
            sync(client, dataset.id, str(tmp_path), journal_dir=str(tmp_path / "j"), **kwargs)


# -- plain JSON -------------------------------------------------------------------------------------------
def test_summary_round_trips_through_json():
    summaries = [
        SyncSummary("push", transferred=3, skipped=1, bytes=30, seconds=1.5, cancelled=True,
                    failed=[Failure("a.txt", "400 rejected")]),
        SyncSummary("pull", dry_run=True, planned=[PlannedAction("b.txt", "download", "new", 7)]),
    ]
    for summary in summaries:
        data = json.loads(summary.to_json())
        assert SyncSummary.from_dict(data) == summary
    assert "(cancelled)" in str(summaries[0])


def test_summary_from_dict_names_bad_input():
    with pytest.raises(ValueError, match=r"SyncSummary.from_dict: unknown keys \['colour'\]"):
        SyncSummary.from_dict({"direction": "push", "colour": "red"})
    with pytest.raises(ValueError, match=r"SyncSummary.from_dict: missing keys \['direction'\]"):
        SyncSummary.from_dict({"transferred": 1})
    with pytest.raises(TypeError, match="SyncSummary.from_dict expects a dict, got str"):
        SyncSummary.from_dict("push")
    with pytest.raises(TypeError, match="failed must be a list, got dict"):
        SyncSummary.from_dict({"direction": "push", "failed": {"a": "b"}})
    with pytest.raises(ValueError, match=r"Failure.from_dict: missing keys \['reason'\]"):
        SyncSummary.from_dict({"direction": "push", "failed": [{"path": "a"}]})


def test_progress_snapshot_is_plain_json_with_rate_and_eta():
    snapshot = ProgressSnapshot(files_done=5, files_total=10, bytes_done=500, bytes_total=1000, failed=1,
                                elapsed=2.0)
    data = json.loads(json.dumps(snapshot.to_dict()))
    assert data == {"files_done": 5, "files_total": 10, "bytes_done": 500, "bytes_total": 1000, "failed": 1,
                    "elapsed": 2.0, "bytes_per_second": 250.0, "files_per_second": 2.5, "eta": 2.0}
    assert ProgressSnapshot.from_dict(data) == snapshot
    assert ProgressSnapshot(0, 3, 0, 0, 0, 0.5).to_dict()["eta"] is None
