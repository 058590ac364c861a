"""Every CLI failure is one line on stderr and a documented exit code; extreme inputs get clear errors
(issue 10 points 3 and 4)."""
from __future__ import annotations

import socket

import pytest

from dataloop_core import cli
from dataloop_core.sync.remote import check_depth, list_files


@pytest.fixture
def env(emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("DATALOOP_BASE_URL", emulator.url)
    monkeypatch.setenv("DATALOOP_TOKEN", emulator.token("tester@dataloop.local"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
    return code, err.strip()


def nested(depth):
    return '{"$and": [' * depth + '{"a": 1}' + "]}" * depth


@pytest.mark.parametrize("depth", [5000, 500])
def test_a_deeply_nested_filter_is_one_clear_line(env, capsys, dataset, tmp_path, depth):
    code, err = run(capsys, "sync", "pull", str(tmp_path / "d"), "--project", dataset.project_id,
                    "--dataset", dataset.id, "--filter", nested(depth))
    assert code == cli.EXIT_USAGE and err.startswith("error: ") and "nested" in err


def test_a_reasonable_nested_filter_still_works(env, capsys, dataset, tmp_path):
    code, _ = run(capsys, "sync", "pull", str(tmp_path / "d"), "--project", dataset.project_id,
                  "--dataset", dataset.id, "--filter", nested(30))
    assert code == cli.EXIT_OK


@pytest.mark.parametrize("text, message", [("{", "not valid JSON"), ("[1]", "must be a JSON object")])
def test_a_bad_filter_names_the_problem(env, capsys, dataset, tmp_path, text, message):
    code, err = run(capsys, "sync", "pull", str(tmp_path / "d"), "--project", dataset.project_id,
                    "--dataset", dataset.id, "--filter", text)
    assert code == cli.EXIT_USAGE and message in err


def test_unknown_dataset_is_usage(env, capsys, project, tmp_path):
    code, err = run(capsys, "sync", "pull", str(tmp_path / "d"), "--project", project.id, "--dataset", "nope")
    assert code == cli.EXIT_USAGE and err.startswith("error: ")


def test_an_unreachable_server_is_exit_4(env, capsys, monkeypatch, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DATALOOP_BASE_URL", f"http://127.0.0.1:{port}")
    code, err = run(capsys, "sync", "pull", str(tmp_path / "d"), "--project", "p", "--dataset", "d" * 24,
                    "--journal-dir", str(tmp_path / "j"))
    assert code == cli.EXIT_PLATFORM and "connection failed" in err


def test_an_unexpected_error_is_one_line_and_exit_5(env, capsys, dataset, tmp_path, monkeypatch):
    import dataloop_core.sync as sync

    def broken(*args, **kwargs):  # stands in for a bug: nothing real raises a bare RuntimeError here
        raise RuntimeError("boom\nsecond line")
    monkeypatch.setattr(sync, "pull", broken)
    code, err = run(capsys, "sync", "pull", str(tmp_path / "d"), "--project", dataset.project_id,
                    "--dataset", dataset.id)
    assert code == cli.EXIT_INTERNAL and err == "error: RuntimeError: boom second line"


@pytest.mark.parametrize("argv", [[], ["sync", "pull", "d", "--workers", "x"], ["sync", "push", "d"]])
def test_usage_errors_are_one_line_and_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert raised.value.code == cli.EXIT_USAGE and len(err.splitlines()) == 1 and err.startswith("error: ")


def test_workers_below_one_is_usage(env, capsys, dataset, tmp_path):
    code, err = run(capsys, "sync", "push", str(tmp_path), "--project", dataset.project_id, "--dataset",
                    dataset.id, "--workers", "0")
    assert code == cli.EXIT_USAGE and "workers must be >= 1" in err


def test_a_name_that_is_not_utf8_is_one_failed_file_exit_1(env, capsys, dataset, tmp_path):
    import os
    os.makedirs(tmp_path / "src")
    (tmp_path / "src" / "good.txt").write_bytes(b"good")
    with open(os.path.join(os.fsencode(tmp_path / "src"), b"bad\xff.txt"), "wb") as handle:
        handle.write(b"bad")
    code = cli.main(["sync", "push", str(tmp_path / "src"), "--project", dataset.project_id, "--dataset", dataset.id])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_FAILED and "transferred 1" in out
    assert err.strip() == "FAILED bad\\xff.txt: name is not valid UTF-8, so it cannot be an item name (rename it)"


def test_help_documents_every_exit_code(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for code, meaning in cli.EXIT_CODES.items():
        assert f"{code:<4} {meaning}" in out


def test_page_size_zero_and_deep_filters_are_refused(client, dataset):
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="page_size must be an integer >= 1"):
            next(list_files(client.transport, dataset.id, "/", page_size=bad))
    with pytest.raises(ValueError, match="nested more than 3 levels"):
        check_depth({"a": [[[]]]}, limit=3)
    check_depth({"a": [[1]]}, limit=3)
