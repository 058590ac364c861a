"""kill -9 of a running ``dataloop sync`` process, then a resumed run: nothing lost, nothing duplicated,
no partial file under a final name, finished files not sent again."""
from __future__ import annotations

import glob
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time


from dataloop_core.sync import pull
from dataloop_core._transfer import STAGING_DIR

COUNT = 120


def make_tree(root, count=COUNT, size=30_000):
    os.makedirs(root, exist_ok=True)
    files = {}
    for i in range(count):
        data = hashlib.sha256(b"%d" % i).digest() * (size // 32)
        files[f"d{i % 4}/f{i:03}.bin"] = data
        os.makedirs(os.path.join(root, f"d{i % 4}"), exist_ok=True)
        with open(os.path.join(root, f"d{i % 4}", f"f{i:03}.bin"), "wb") as handle:
            handle.write(data)
    return files


def run_cli(emulator, args, wait=True):
    env = dict(os.environ, DATALOOP_BASE_URL=emulator.url, DATALOOP_TOKEN=emulator.token("tester@dataloop.local"))
    process = subprocess.Popen([sys.executable, "-m", "dataloop_core.cli", "sync", *args, "--json", "--no-progress"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return process
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def journaled(journal_dir):
    paths = glob.glob(os.path.join(journal_dir, "*.sqlite3"))
    if not paths:
        return 0
    try:
        with sqlite3.connect(paths[0], timeout=1) as db:
            return db.execute("SELECT count(*) FROM files").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_when_journaled(process, journal_dir, at_least):
    deadline = time.monotonic() + 60
    while journaled(journal_dir) < at_least:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "the sync made no progress"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return journaled(journal_dir)


def remote_files(client, dataset_id):
    body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 1000, "resource": "items"}
    return [i["filename"] for i in client.transport.json("POST", f"/datasets/{dataset_id}/query",
                                                         json=body)["items"]]


def test_push_killed_mid_run_resumes_without_resending(emulator, client, dataset, faults, tmp_path):
    src, journals = str(tmp_path / "src"), str(tmp_path / "journals")
    files = make_tree(src)
    faults({"path": "/api/v1/datasets/*/items", "method": "POST", "action": "delay", "delay": 0.03, "times": -1})
    process = run_cli(emulator, ["push", src, "--project", dataset.project_id, "--dataset", dataset.id,
                                 "--remote-path", "/k", "--workers", "2", "--journal-dir", journals], wait=False)
    done_at_kill = kill_when_journaled(process, journals, COUNT // 3)
    assert done_at_kill < COUNT
    faults()
    code, out, err = run_cli(emulator, ["push", src, "--project", dataset.project_id, "--dataset", dataset.id,
                                        "--remote-path", "/k", "--journal-dir", journals])
    summary = json.loads(out)
    assert code == 0, err
    assert summary["skipped"] >= done_at_kill
    assert summary["transferred"] <= COUNT - done_at_kill  # finished files are never sent again
    assert summary["transferred"] + summary["skipped"] == COUNT
    names = remote_files(client, dataset.id)
    assert sorted(names) == sorted("/k/" + rel for rel in files)  # nothing lost, no duplicates
    dst = str(tmp_path / "check")
    pull(client, dataset.id, dst, "/k", journal_dir=journals + "-check")
    for rel, data in files.items():
        with open(os.path.join(dst, rel), "rb") as handle:
            assert handle.read() == data


def test_pull_killed_mid_run_leaves_no_partial_file_and_resumes(emulator, client, dataset, faults, tmp_path):
    src, journals, dst = str(tmp_path / "src"), str(tmp_path / "journals"), str(tmp_path / "dst")
    files = make_tree(src)
    from dataloop_core.sync import push
    push(client, dataset.id, src, journal_dir=str(tmp_path / "push-journal"))
    faults({"path": "/api/v1/items/*/stream", "method": "GET", "action": "delay", "delay": 0.03, "times": -1})
    process = run_cli(emulator, ["pull", dst, "--project", dataset.project_id, "--dataset", dataset.id,
                                 "--workers", "2", "--journal-dir", journals], wait=False)
    done_at_kill = kill_when_journaled(process, journals, COUNT // 3)
    for folder, _, names in os.walk(dst):  # whatever sits under a final name is complete
        for name in names:
            if os.path.basename(folder) != STAGING_DIR:
                rel = os.path.relpath(os.path.join(folder, name), dst).replace(os.sep, "/")
                with open(os.path.join(folder, name), "rb") as handle:
                    assert handle.read() == files[rel], rel
    faults()
    code, out, err = run_cli(emulator, ["pull", dst, "--project", dataset.project_id, "--dataset", dataset.id,
                                        "--journal-dir", journals])
    summary = json.loads(out)
    assert code == 0, err
    assert summary["skipped"] >= done_at_kill and summary["transferred"] + summary["skipped"] == COUNT
    found = {os.path.relpath(os.path.join(f, n), dst).replace(os.sep, "/"): open(os.path.join(f, n), "rb").read()
             for f, _, names in os.walk(dst) for n in names}
    assert found == files


def test_a_second_concurrent_run_on_the_same_journal_is_refused(emulator, dataset, faults, tmp_path):
    src, journals = str(tmp_path / "src"), str(tmp_path / "journals")
    make_tree(src, count=30)
    faults({"path": "/api/v1/datasets/*/items", "method": "POST", "action": "delay", "delay": 0.05, "times": -1})
    args = ["push", src, "--project", dataset.project_id, "--dataset", dataset.id, "--workers", "1",
            "--journal-dir", journals]
    first = run_cli(emulator, args, wait=False)
    try:
        while journaled(journals) < 1:
            assert first.poll() is None
            time.sleep(0.02)
        code, _, err = run_cli(emulator, args)
        assert code == 3 and "another sync" in err
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
