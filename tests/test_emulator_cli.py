"""``dataloop-emulator serve|token`` as real processes: the printed URL, accepted tokens, persistence."""
from __future__ import annotations

import subprocess
import sys

import pytest

from dataloop_core import DataloopClient
from dataloop_core.exceptions import Unauthorized

EMULATOR = [sys.executable, "-m", "dataloop_core.emulator"]


def token(data_dir, email="cli@dataloop.local", ttl=None) -> str:
    args = EMULATOR + ["token", "--data-dir", str(data_dir), "--email", email]
    if ttl is not None:
        args += ["--ttl", str(ttl)]
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout.strip()


class Served:
    """``serve --port 0`` in a child process; ``url`` is the first line it prints."""

    def __init__(self, data_dir):
        self.process = subprocess.Popen(EMULATOR + ["serve", "--port", "0", "--data-dir", str(data_dir)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=15)
        finally:
            self.process.stdout.close()
            self.process.stderr.close()

    def __enter__(self) -> "Served":
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.stop()


def test_serve_prints_the_real_url_and_accepts_cli_tokens(tmp_path):
    jwt = token(tmp_path)
    assert jwt.count(".") == 2
    with Served(tmp_path) as served:
        assert served.url.startswith("http://127.0.0.1:") and not served.url.endswith(":0")
        with DataloopClient(base_url=served.url, token=jwt) as client:
            assert client.user_email == "cli@dataloop.local"
            assert client.projects.list() == []


def test_state_persists_across_restarts(tmp_path):
    jwt = token(tmp_path)
    with Served(tmp_path) as first:
        with DataloopClient(base_url=first.url, token=jwt) as client:
            project = client.projects.create("persistent")
        assert first.stop() == 0
    with Served(tmp_path) as second:
        with DataloopClient(base_url=second.url, token=jwt) as client:
            again = client.projects.get(project_id=project.id)
            assert again.name == "persistent" and again.org == project.org
            newer = client.projects.create("after restart")
            assert newer.id > project.id  # ids keep increasing across restarts


def test_token_of_another_data_dir_is_rejected(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with Served(tmp_path / "a") as served:
        with pytest.raises(Unauthorized, match="invalid token signature"):
            DataloopClient(base_url=served.url, token=token(tmp_path / "b")).projects.list()


def test_token_rejects_a_non_positive_ttl(tmp_path):
    with pytest.raises(subprocess.CalledProcessError):
        token(tmp_path, ttl=0)
