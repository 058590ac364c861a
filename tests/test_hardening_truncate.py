"""Truncated response bodies (the fault switch's ``truncate``: half the body, then the connection closes) map to
the project's own error, are retried where safe, and never crash the CLI (issue 10 point 3)."""
from __future__ import annotations

import os

import pytest

from dataloop_core.cli import main
from dataloop_core.exceptions import APIConnectionError
from dataloop_core.sync import pull, push


def test_a_truncated_get_is_retried(client, dataset, faults):
    faults({"path": "/api/v1/datasets/*", "method": "GET", "action": "truncate"})
    assert client.datasets.get(dataset_id=dataset.id).id == dataset.id


def test_a_body_that_stays_truncated_is_a_connection_error(client, dataset, faults):
    faults({"path": "/api/v1/datasets/*", "method": "GET", "action": "truncate", "times": -1})
    with pytest.raises(APIConnectionError, match="truncated|connection"):
        client.with_options(max_retries=1).datasets.get(dataset_id=dataset.id)


def test_a_truncated_post_is_not_repeated(client, faults, unique):
    faults({"path": "/api/v1/projects", "method": "POST", "action": "truncate"})
    name = unique("trunc")
    with pytest.raises(APIConnectionError):
        client.projects.create(name)
    assert client.projects.get(project_name=name).name == name  # created once, not twice


def test_truncated_listing_and_stream_are_retried_by_sync(client, dataset, faults, tmp_path):
    src = tmp_path / "src"
    os.makedirs(src)
    (src / "a.bin").write_bytes(os.urandom(300_000))
    (src / "b.txt").write_bytes(b"b" * 1000)
    assert push(client, dataset.id, str(src), journal_dir=str(tmp_path / "j1")).ok
    faults({"path": "/api/v1/datasets/*/query", "method": "POST", "action": "truncate"},
           {"path": "/api/v1/items/*/stream", "method": "GET", "action": "truncate", "times": 2})
    summary = pull(client, dataset.id, str(tmp_path / "dst"), journal_dir=str(tmp_path / "j2"))
    assert summary.ok and summary.transferred == 2
    assert (tmp_path / "dst" / "a.bin").read_bytes() == (src / "a.bin").read_bytes()


@pytest.fixture
def env(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("DATALOOP_BASE_URL", emulator.url)
    monkeypatch.setenv("DATALOOP_TOKEN", emulator.token("tester@dataloop.local"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_a_listing_that_stays_truncated_is_one_line_and_exit_4(env, capsys, dataset, faults, tmp_path):
    faults({"path": "/api/v1/datasets/*/query", "method": "POST", "action": "truncate", "times": -1})
    code = main(["sync", "pull", str(tmp_path / "dst"), "--project", dataset.project_id, "--dataset", dataset.id])
    out, err = capsys.readouterr()
    assert code == 4, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err
