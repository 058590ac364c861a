"""Sync benchmark, side by side in one run against one emulator process on this machine.

    .venv/bin/python bench/bench_sync.py [--workers 16] [--small 2000] [--noop 10000] [--big-mb 1024]

Measures (a) our ``push`` of N x 100 KB files, (b) the official SDK's ``dataset.items.upload`` of the same folder
(dtlpy 1.126.5 in ``.venv-dtlpy``, created if missing), (c) a raw ceiling: a bare concurrent multipart POST loop
with the same worker count and no bookkeeping; then the no-op re-sync of many files vs their full push, the bytes
re-sent when resuming a push killed (SIGKILL) half way, peak RSS of push and pull of one big file, and pull
throughput of that file vs ``curl`` to /dev/null, next to this machine's single-core md5 rate (a verified pull
cannot beat it). The emulator runs in its own process; data is deterministic.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

from dataloop_core import DataloopClient
from dataloop_core.emulator.auth import Auth
from dataloop_core.sync import push

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTLPY_VENV = os.path.join(ROOT, ".venv-dtlpy")
DTLPY_VERSION = "1.126.5"
# the official SDK signed in to the emulator of EMULATOR_URL / EMULATOR_TOKEN (a script run in .venv-dtlpy)
SDK_LOGIN = r"""
import os, sys, time, warnings
warnings.filterwarnings("ignore")
import dtlpy as dl
url = os.environ["EMULATOR_URL"]
dl.add_environment(environment=url + "/api/v1", gate_url=url, alias="bench", verify_ssl=False)
dl.setenv("bench")
dl.login_token(os.environ["EMULATOR_TOKEN"])
dl.verbose.disable_progress_bar = True
"""
SDK_SCRIPT = SDK_LOGIN + r"""
dataset = dl.datasets.get(dataset_id=sys.argv[1])
started = time.monotonic()
items = dataset.items.upload(local_path=sys.argv[2], return_as_list=True)
print(time.monotonic() - started, len(items))
"""


# -- data and processes -------------------------------------------------------------------------------
def make_files(folder: str, count: int, size: int) -> str:
    """Deterministic content: file i is its index repeated (distinct md5 per file)."""
    if os.path.isdir(folder) and len(os.listdir(folder)) == count:
        return folder
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        with open(os.path.join(folder, f"f{i:06d}.bin"), "wb") as handle:
            handle.write(i.to_bytes(4, "big") * (size // 4))
    return folder


def make_big(path: str, megabytes: int) -> str:
    if os.path.exists(path) and os.path.getsize(path) == megabytes << 20:
        return path
    block = bytes(range(256)) * 4096  # 1 MiB
    with open(path, "wb") as handle:
        for i in range(megabytes):
            handle.write(i.to_bytes(4, "big") + block[4:])
    return path


def start_emulator(data_dir: str):
    process = subprocess.Popen([sys.executable, "-m", "dataloop_core.emulator", "serve", "--port", "0",
                                "--data-dir", data_dir], stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        raise RuntimeError("the emulator did not start")
    return process, url, Auth(data_dir).issue("bench@dataloop.local", 24 * 3600)


def ensure_dtlpy() -> str:
    python = os.path.join(DTLPY_VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", DTLPY_VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", f"dtlpy=={DTLPY_VERSION}"], check=True)
    return python


def cli(url: str, token: str, args: list, wait: bool = True):
    env = dict(os.environ, DATALOOP_BASE_URL=url, DATALOOP_TOKEN=token)
    process = subprocess.Popen([sys.executable, "-m", "dataloop_core.cli", "sync", *args, "--json", "--no-progress"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if not wait:
        return process
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return json.loads(out), usage.ru_maxrss / 1024  # MB (ru_maxrss is KiB on Linux)


# -- measurements -------------------------------------------------------------------------------------
def raw_ceiling(url: str, token: str, dataset_id: str, folder: str, workers: int) -> float:
    """Bare concurrent multipart POSTs over one pooled session: no hashing, journal, listing or checks."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=workers, pool_maxsize=workers))
    headers = {"authorization": f"Bearer {token}"}
    endpoint = f"{url}/api/v1/datasets/{dataset_id}/items"
    names = sorted(os.listdir(folder))

    def post(name: str) -> None:
        with open(os.path.join(folder, name), "rb") as handle:
            session.post(endpoint, headers=headers, data={"type": "file", "path": "/raw/" + name},
                         files={"file": (name, handle)}).raise_for_status()
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(post, names))
    return len(names) / (time.monotonic() - started)


def sdk_upload(url: str, token: str, dataset_id: str, folder: str, work: str) -> float:
    script = os.path.join(work, "sdk_upload.py")
    with open(script, "w") as handle:
        handle.write(SDK_SCRIPT)
    env = dict(os.environ, EMULATOR_URL=url, EMULATOR_TOKEN=token, DATALOOP_PATH=os.path.join(work, "dtlpy-home"))
    out = subprocess.run([ensure_dtlpy(), script, dataset_id, folder], env=env, capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    seconds, count = out.split()
    return int(count) / float(seconds)


def item_count(client: DataloopClient, dataset_id: str) -> int:
    body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 0, "resource": "items"}
    return client.transport.json("POST", f"/datasets/{dataset_id}/query", json=body)["totalItemsCount"]


def resume_after_kill(url, token, client, project, folder, count, size, work, workers) -> dict:
    dataset = project.datasets.create(f"resume-{time.time_ns()}")
    journals = os.path.join(work, "journals-resume")
    shutil.rmtree(journals, ignore_errors=True)
    process = cli(url, token, ["push", folder, "--project", project.id, "--dataset", dataset.id, "--workers",
                               str(workers), "--journal-dir", journals], wait=False)
    while _journaled(journals) < count // 2 and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1.0)  # let the server finish the requests it had fully received
    finished = item_count(client, dataset.id)  # files the server holds whole (journaled or not)
    journaled = _journaled(journals)
    second = push(client, dataset.id, folder, journal_dir=journals, workers=workers)
    resent_files = second.transferred - (count - finished)
    return {"finished_at_kill": finished, "journaled_at_kill": journaled, "resent_files": resent_files,
            "resent_bytes": resent_files * size, "finished_bytes": finished * size,
            "resent_pct": 100.0 * resent_files / max(1, finished), "second_run_ok": second.ok,
            "items_after": item_count(client, dataset.id)}


def _journaled(journals: str) -> int:
    try:
        names = [n for n in os.listdir(journals) if n.endswith(".sqlite3")]
        with sqlite3.connect(os.path.join(journals, names[0]), timeout=1) as db:
            return db.execute("SELECT count(*) FROM files").fetchone()[0]
    except (OSError, IndexError, sqlite3.Error):
        return 0


def big_file(url, token, client, project, work, megabytes, workers) -> dict:
    source = os.path.join(work, "big")
    os.makedirs(source, exist_ok=True)
    make_big(os.path.join(source, "big.bin"), megabytes)
    dataset = project.datasets.create(f"big-{time.time_ns()}")
    journals = os.path.join(work, "journals-big")
    shutil.rmtree(journals, ignore_errors=True)
    pushed, push_rss = cli(url, token, ["push", source, "--project", project.id, "--dataset", dataset.id,
                                        "--journal-dir", journals, "--workers", str(workers)])
    pulls = {}
    for place, parent in (("disk", work), ("tmpfs", "/dev/shm" if os.path.isdir("/dev/shm") else None)):
        if parent is None:
            continue
        target = os.path.join(parent, f"bench-sync-pull-{os.getpid()}")
        shutil.rmtree(target, ignore_errors=True)
        try:
            pulls[place] = cli(url, token, ["pull", target, "--project", project.id, "--dataset", dataset.id,
                                            "--journal-dir", f"{journals}-pull-{place}", "--workers", str(workers)])
        finally:
            shutil.rmtree(target, ignore_errors=True)
    body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 1, "resource": "items"}
    item_id = client.transport.json("POST", f"/datasets/{dataset.id}/query", json=body)["items"][0]["id"]
    size_mb = megabytes * 1.048576
    curl = {}
    for place, output in (("devnull", "/dev/null"), ("disk", os.path.join(work, "curl.out"))):
        started = time.monotonic()
        subprocess.run(["curl", "-sf", "-o", output, "-H", f"authorization: Bearer {token}",
                        f"{url}/api/v1/items/{item_id}/stream"], check=True)
        curl[place] = size_mb / (time.monotonic() - started)
    os.remove(os.path.join(work, "curl.out"))
    pull_disk, pull_rss = pulls["disk"]
    result = {"size_mb": round(size_mb), "push_ok": pushed["ok"], "pull_ok": pull_disk["ok"],
              "push_peak_rss_mb": round(push_rss, 1), "pull_peak_rss_mb": round(pull_rss, 1),
              "push_mb_s": round(size_mb / pushed["seconds"], 1),
              "pull_disk_mb_s": round(size_mb / pull_disk["seconds"], 1),
              "curl_devnull_mb_s": round(curl["devnull"], 1), "curl_disk_mb_s": round(curl["disk"], 1),
              "pull_disk_vs_curl_devnull_pct": round(100 * size_mb / pull_disk["seconds"] / curl["devnull"], 1),
              "pull_disk_vs_curl_disk_pct": round(100 * size_mb / pull_disk["seconds"] / curl["disk"], 1)}
    result["md5_mb_s"] = round(md5_rate(), 1)
    if "tmpfs" in pulls:
        pull_tmpfs = pulls["tmpfs"][0]
        result["pull_tmpfs_mb_s"] = round(size_mb / pull_tmpfs["seconds"], 1)
        result["pull_tmpfs_vs_curl_devnull_pct"] = round(100 * size_mb / pull_tmpfs["seconds"] / curl["devnull"], 1)
    return result


def md5_rate(megabytes: int = 256) -> float:
    """MB/s of one md5 over 4 MiB blocks on one core: the ceiling of a pull that verifies what it receives."""
    block, digest = bytes(range(256)) * (4 << 12), hashlib.md5()
    started = time.monotonic()
    for _ in range(megabytes // 4):
        digest.update(block)
    return megabytes * 1.048576 / (time.monotonic() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of our push and the raw loop")
    parser.add_argument("--small", type=int, default=2000, help="files of 100 KB for push/SDK/raw/resume")
    parser.add_argument("--noop", type=int, default=10_000, help="files of 10 KB for the no-op re-sync")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the big file in MiB")
    parser.add_argument("--work", help="work folder (default: a temp dir, removed afterwards)")
    args = parser.parse_args(argv)
    work = args.work or tempfile.mkdtemp(prefix="bench-sync-")
    small = make_files(os.path.join(work, "small"), args.small, 100 * 1024)
    many = make_files(os.path.join(work, "many"), args.noop, 10 * 1024)
    emulator, url, token = start_emulator(os.path.join(work, f"emulator-{time.time_ns()}"))
    results = {"workers": args.workers}
    try:
        client = DataloopClient(base_url=url, token=token)
        project = client.projects.create(f"bench-sync-{time.time_ns()}")
        fresh = lambda name: project.datasets.create(f"{name}-{time.time_ns()}").id  # noqa: E731

        ours_rates, raw_rates = [], []
        for _ in range(args.rounds):  # alternate, so drift in machine load hits both alike; best round counts
            ours = push(client, fresh("ours"), small, journal_dir=os.path.join(work, f"j-{time.time_ns()}"),
                        workers=args.workers)
            ours_rates.append(ours.transferred / ours.seconds)
            raw_rates.append(raw_ceiling(url, token, fresh("raw"), small, args.workers))
        results["push_rounds_files_s"] = [round(r, 1) for r in ours_rates]
        results["raw_rounds_files_s"] = [round(r, 1) for r in raw_rates]
        results["push_files_s"] = round(max(ours_rates), 1)
        results["raw_files_s"] = round(max(raw_rates), 1)
        results["sdk_files_s"] = round(sdk_upload(url, token, fresh("sdk"), small, work), 1)
        results["push_vs_sdk_x"] = round(results["push_files_s"] / results["sdk_files_s"], 2)
        results["push_vs_raw_pct"] = round(100 * results["push_files_s"] / results["raw_files_s"], 1)

        noop_journals = os.path.join(work, f"j-noop-{time.time_ns()}")
        noop_dataset = fresh("noop")
        full = push(client, noop_dataset, many, journal_dir=noop_journals, workers=args.workers)
        again = push(client, noop_dataset, many, journal_dir=noop_journals, workers=args.workers)
        results.update(noop_files=args.noop, full_push_s=full.seconds, noop_resync_s=again.seconds,
                       noop_vs_full_pct=round(100 * again.seconds / full.seconds, 2),
                       noop_transferred=again.transferred)

        results["resume"] = resume_after_kill(url, token, client, project, small, args.small, 100 * 1024, work,
                                              args.workers)
        results["big"] = big_file(url, token, client, project, work, args.big_mb, args.workers)
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
