"""Emulator + client benchmark: items uploaded per second, and items listed per second on a 100k-item dataset.

    .venv/bin/python bench/bench_emulator.py [--upload N] [--list N]

The emulator runs in its own process (``dataloop-emulator serve``). Uploads go through ``dataset.items.upload``
(the client's concurrent uploader) over real HTTP. The 100k-item dataset is seeded directly in the emulator's
SQLite file while the server is stopped (uploading 100k files is the sync benchmark's job); the server is then
restarted on the same data dir and the dataset listed through ``dataset.items.list().all()`` (keyset paging,
1,000 items a page) over real HTTP.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

from dataloop_core import DataloopClient
from dataloop_core.emulator.auth import Auth
from dataloop_core.emulator.ids import now_iso
from dataloop_core.emulator.store import Store


def make_files(folder: str, count: int, size: int) -> None:
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        with open(os.path.join(folder, f"f{i:06d}.bin"), "wb") as handle:
            handle.write(i.to_bytes(4, "big") * (size // 4))


@contextlib.contextmanager
def emulator_process(data_dir: str):
    """``dataloop-emulator serve`` on a free port in its own process; yields its URL."""
    process = subprocess.Popen([sys.executable, "-m", "dataloop_core.emulator", "serve", "--port", "0",
                                "--data-dir", data_dir], stdout=subprocess.PIPE, text=True)
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def seed_items(data_dir: str, dataset_id: str, project_id: str, count: int) -> None:
    """Insert ``count`` item documents straight into a stopped emulator's store."""
    store = Store(os.path.join(data_dir, "state.sqlite3"))
    stamp = now_iso()
    with store.transaction() as conn:
        for i in range(count):
            item_id = store.new_id()
            name = f"f{i:06d}.jpg"
            doc = {"id": item_id, "datasetId": dataset_id, "projectId": project_id, "type": "file",
                   "hidden": False, "dir": f"/seed/{i % 100:02d}", "name": name,
                   "filename": f"/seed/{i % 100:02d}/{name}", "annotated": False, "annotationsCount": 0,
                   "createdAt": stamp, "updatedAt": stamp, "creator": "bench@dataloop.local",
                   "metadata": {"system": {"size": 1024, "mimetype": "image/jpeg", "originalname": name}}}
            conn.execute("INSERT INTO docs(id, kind, scope, doc) VALUES (?, 'item', ?, ?)",
                         (item_id, dataset_id, json.dumps(doc)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upload", type=int, default=1000, help="files to upload (10 KB each)")
    parser.add_argument("--list", type=int, default=100_000, help="items in the listed dataset")
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="bench-emulator-")
    files = os.path.join(work, "files")
    make_files(files, args.upload, 10 * 1024)

    data_dir = os.path.join(work, "data")
    os.makedirs(data_dir)
    token = Auth(data_dir).issue("bench@dataloop.local")
    with emulator_process(data_dir) as url:
        client = DataloopClient(base_url=url, token=token)
        project = client.projects.create("bench")
        dataset = project.datasets.create("upload")
        started = time.perf_counter()
        uploaded = list(dataset.items.upload(local_path=files, remote_path="/up") or [])
        upload_seconds = time.perf_counter() - started
        assert len(uploaded) == args.upload, f"uploaded {len(uploaded)} of {args.upload}"
        listed_dataset = project.datasets.create("listing")

    seed_items(data_dir, listed_dataset.id, project.id, args.list)
    with emulator_process(data_dir) as url:
        listed_dataset = DataloopClient(base_url=url, token=token).datasets.get(dataset_id=listed_dataset.id)
        started = time.perf_counter()
        count = sum(1 for _ in listed_dataset.items.list().all())
        list_seconds = time.perf_counter() - started
        assert count == args.list, f"listed {count} of {args.list}"

    print(f"upload: {args.upload} files of 10 KB in {upload_seconds:.2f} s = {args.upload / upload_seconds:,.0f} items/s")
    print(f"list:   {count:,} items in {list_seconds:.2f} s = {count / list_seconds:,.0f} items/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
