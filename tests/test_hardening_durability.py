"""An overwritten upload's binary and record change together, even when the emulator dies in between; temp
files of a killed upload are cleaned at start-up (issue 10 point 5). Emulators run as child processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from dataloop_core import DataloopClient, _transfer
from dataloop_core.emulator.auth import Auth
from dataloop_core.exceptions import APIConnectionError

# Runs the emulator CLI; with CRASH_BLOB set, the process dies (like kill -9) right before or right after the
# rename that puts that blob's new bytes in place - the one step that cannot be hit reliably from outside.
SERVE = """
import os, sys
blob, mode, real = os.environ.get("CRASH_BLOB"), os.environ.get("CRASH_MODE"), os.replace
def replace(src, dst, *args, **kwargs):
    if blob and os.path.basename(os.fspath(dst)) == blob:
        if mode == "after":
            real(src, dst, *args, **kwargs)
        os._exit(9)
    return real(src, dst, *args, **kwargs)
os.replace = replace
from dataloop_core.emulator.cli import main
sys.exit(main(sys.argv[1:]))
"""


class Served:
    def __init__(self, data_dir, **env):
        self.data_dir = str(data_dir)
        self.process = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--port", "0", "--data-dir",
                                         self.data_dir], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, env={**os.environ, **env})
        self.url = self.process.stdout.readline().strip()
        token = Auth(self.data_dir).issue("durable@dataloop.local", 3600)
        self.client = DataloopClient(base_url=self.url, token=token).with_options(max_retries=0)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture
def stored(tmp_path):
    """A data dir holding one 1,000-byte item; ``(data_dir, dataset_id, item_id)``."""
    served = Served(tmp_path / "data")
    try:
        dataset = served.client.projects.create("durable").datasets.create("d")
        item, _ = _transfer.upload_one(served.client.transport, dataset.id, b"o" * 1000, "/x.bin")
    finally:
        served.stop()
    return tmp_path / "data", dataset.id, item["id"]


def tmp_files(data_dir):
    return os.listdir(os.path.join(data_dir, "blobs", "tmp"))


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_crash_around_the_blob_rename_leaves_record_and_bytes_together(stored, mode):
    data_dir, dataset_id, item_id = stored
    crashing = Served(data_dir, CRASH_BLOB=item_id, CRASH_MODE=mode)
    with pytest.raises(APIConnectionError):
        _transfer.upload_one(crashing.client.transport, dataset_id, b"n" * 5000, "/x.bin", mode="overwrite")
    assert crashing.process.wait(timeout=30) == 9
    crashing.process.stdout.close()
    with open(os.path.join(data_dir, "blobs", "tmp", "upload-left-by-a-kill"), "wb") as handle:
        handle.write(b"junk")
    served = Served(data_dir)
    try:
        item = served.client.items.get(item_id=item_id)
        data = _transfer.download_bytes(served.client.transport, item.to_json()).read()
        assert item.size == len(data) == 5000 and data == b"n" * 5000  # the committed record, its bytes
        assert tmp_files(data_dir) == []
    finally:
        served.stop()


def test_a_kill_mid_upload_leaves_the_old_item_and_no_temp_file(stored):
    data_dir, dataset_id, item_id = stored
    served = Served(data_dir)
    host, port = served.url.split("//")[1].split(":")
    token = served.client.transport.token
    head = (f"POST /api/v1/datasets/{dataset_id}/items?mode=overwrite HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=bb\r\n"
            f"Content-Length: 10000000\r\n\r\n--bb\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/x.bin\r\n"
            f"--bb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n\r\n").encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head + b"z" * 1_000_000)
        deadline = time.monotonic() + 30
        while not tmp_files(data_dir) and time.monotonic() < deadline:  # the upload is being received
            time.sleep(0.05)
        assert tmp_files(data_dir)
        served.process.kill()
        served.process.wait(timeout=30)
        served.process.stdout.close()
    served = Served(data_dir)
    try:
        item = served.client.items.get(item_id=item_id)
        assert item.size == 1000
        assert _transfer.download_bytes(served.client.transport, item.to_json()).read() == b"o" * 1000
        assert tmp_files(data_dir) == []
    finally:
        served.stop()
