"""``dataloop sync push|pull`` in-process: JSON summary, name resolution, dry run, exit codes."""
from __future__ import annotations

import json
import os

import pytest

from dataloop_core.cli import main


@pytest.fixture
def env(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("DATALOOP_BASE_URL", emulator.url)
    monkeypatch.setenv("DATALOOP_TOKEN", emulator.token("tester@dataloop.local"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # default journal location


@pytest.fixture
def src(tmp_path):
    root = tmp_path / "src"
    os.makedirs(root / "img")
    (root / "img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    (root / "notes.txt").write_bytes(b"hello")
    return str(root)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_push_and_pull_by_names_with_json(env, capsys, project, dataset, src, tmp_path):
    code, out, _ = run(capsys, "sync", "push", src, "--project", project.name, "--dataset", dataset.name,
                       "--remote-path", "/cli", "--workers", "4", "--json")
    summary = json.loads(out)
    assert code == 0 and (summary["transferred"], summary["failed"], summary["ok"]) == (2, [], True)
    assert os.listdir(tmp_path / "cache" / "dataloop-sync")  # journal in the user cache dir
    dst = str(tmp_path / "dst")
    code, out, _ = run(capsys, "sync", "pull", "--project", project.id, "--dataset", dataset.id, dst,
                       "--remote-path", "/cli", "--filter", '{"metadata.system.mimetype": "image/png"}', "--json")
    assert code == 0 and json.loads(out)["transferred"] == 1
    assert os.listdir(dst) == ["img"]
    code, out, _ = run(capsys, "sync", "push", src, "--project", project.id, "--dataset", dataset.id,
                       "--remote-path", "/cli")
    assert code == 0 and "transferred 0, skipped 2" in out


def test_dry_run_prints_the_plan(env, capsys, dataset, src):
    code, out, _ = run(capsys, "sync", "push", src, "--project", dataset.project_id, "--dataset", dataset.id,
                       "--dry-run")
    assert code == 0
    assert "upload   new          img/a.png" in out and "would transfer 2" in out


def test_failed_files_exit_non_zero(env, capsys, dataset, src):
    with open(os.path.join(src, "bad\\name.txt"), "wb") as handle:
        handle.write(b"x")
    code, out, err = run(capsys, "sync", "push", src, "--project", dataset.project_id, "--dataset", dataset.id)
    assert code == 1 and "transferred 2" in out and "FAILED bad\\name.txt: 400" in err


def test_configuration_errors_exit_2(env, capsys, monkeypatch, dataset, src):
    code, _, err = run(capsys, "sync", "push", src, "--project", dataset.project_id,
                       "--dataset", "0123456789abcdef01234567")
    assert code == 2 and "Dataset not found" in err
    code, _, err = run(capsys, "sync", "pull", "--project", dataset.project_id, "--dataset", dataset.id, src,
                       "--filter", "[1]")
    assert code == 2 and "--filter must be a JSON object" in err
    code, _, err = run(capsys, "sync", "push", src, "--project", dataset.project_id, "--dataset", dataset.id,
                       "--shard", "5/2")
    assert code == 2 and "shard" in err
    monkeypatch.delenv("DATALOOP_BASE_URL")
    code, _, err = run(capsys, "sync", "push", src, "--project", "p", "--dataset", dataset.id)
    assert code == 2 and "DATALOOP_BASE_URL" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "push", src, "--dataset", dataset.id])
    assert exit_info.value.code == 2


def test_ctrl_c_cancels_cleanly_and_a_rerun_resumes(env, capsys, faults, dataset, tmp_path):
    import signal
    import threading
    src = tmp_path / "many"
    src.mkdir()
    for n in range(40):
        (src / f"{n:02}.txt").write_bytes(b"x" * n)
    faults({"path": "/api/v1/datasets/*/items", "method": "POST", "action": "delay", "delay": 0.2, "times": -1})
    threading.Timer(0.8, os.kill, (os.getpid(), signal.SIGINT)).start()
    code, out, err = run(capsys, "sync", "push", str(src), "--project", dataset.project.id, "--dataset", dataset.id,
                         "--workers", "2", "--json")
    summary = json.loads(out)
    assert code == 130 and summary["cancelled"] is True and "cancelling: finishing the files in flight" in err
    assert 0 < summary["transferred"] < 40 and summary["failed"] == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is given back
    code, out, _ = run(capsys, "sync", "push", str(src), "--project", dataset.project.id, "--dataset", dataset.id,
                       "--json")
    resumed = json.loads(out)
    assert code == 0 and resumed["transferred"] == 40 - summary["transferred"]
    assert resumed["skipped"] == summary["transferred"]
