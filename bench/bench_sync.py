"""Sync benchmark, side by side in one run against one emulator process on this machine.

    .venv/bin/python bench/bench_sync.py [--workers 16] [--small 2000] [--noop 10000] [--big-mb 1024]
        [--only push,noop,resume,big,cpu] [--rounds 2] [--baseline GIT_REF]

Measures (``push``) our ``push`` of N x 100 KB files, the official SDK's ``dataset.items.upload`` of the same
folder (dtlpy 1.126.5 in ``.venv-dtlpy``, created if missing) and a raw ceiling: a bare concurrent multipart POST
loop with the same worker count and no bookkeeping; (``noop``) the no-op re-sync of many files vs their full push;
(``resume``) the bytes re-sent when resuming a push killed (SIGKILL) half way; (``big``) peak RSS of push and pull
of one big file, and pull throughput of that file (to disk and to tmpfs) vs ``curl`` to /dev/null, to disk and
to tmpfs, next to this machine's single-core md5 rate, and ``download_file`` writing 16 KB vs 1 MiB at a time;
(``cpu``) the client CPU per 100 KB upload: the whole ``dataloop sync push`` process's CPU beyond its no-op
re-sync, divided by the files.

``--baseline GIT_REF`` runs the CLI parts (``big`` pulls, ``cpu``) also with the core of that commit, alternating
with the current code round by round, so before and after are measured side by side in one run. The emulator runs
in its own process; data is deterministic.
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
TMPFS = "/dev/shm" if os.path.isdir("/dev/shm") else None  # RAM-backed files, where the machine has them
WARM_BYTES = 3 << 29  # memory touched before each contender of the 1 GiB pull (see settle)
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


def emulator_state_dir(work: str) -> str:
    """A fresh folder for the emulator's state, in RAM (tmpfs) where the machine has it; the caller removes it.

    The server's storage is not what is measured, and on disk it competes with the client for the same cores:
    this machine's ext4 runs without a journal, where creating a file scans past every inode deleted in the last
    minutes: profiled after a round's clean-up, a fifth of the emulator's CPU went to that search."""
    return tempfile.mkdtemp(prefix="bench-emulator-", dir=TMPFS or work)


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


def baseline_code(ref: str, work: str) -> dict:
    """Environment overrides that make ``python -m dataloop_core...`` import the core of git ``ref``."""
    source = os.path.join(work, f"baseline-{ref.replace('/', '_')}")
    shutil.rmtree(source, ignore_errors=True)
    os.makedirs(source)
    archive = subprocess.run(["git", "-C", ROOT, "archive", ref, "core"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", source], input=archive, check=True)
    os.rename(os.path.join(source, "core"), os.path.join(source, "dataloop_core"))
    return {"PYTHONPATH": source}  # PYTHONPATH is searched before the editable install's finder


def cli(url: str, token: str, args: list, wait: bool = True, code: dict = None):
    """Our CLI's ``sync`` in its own process -> (summary, peak RSS MB, CPU s); ``code``: see baseline_code."""
    env = dict(os.environ, DATALOOP_BASE_URL=url, DATALOOP_TOKEN=token, **(code or {}))
    process = subprocess.Popen([sys.executable, "-m", "dataloop_core.cli", "sync", *args, "--json", "--no-progress"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if not wait:
        return process
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return json.loads(out), usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # MB: ru_maxrss is KiB


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


def settle() -> None:
    """Start every contender of the 1 GiB pull alike: no dirty pages left to write back, free memory backed.

    A VM hands memory that stayed free for ~2 s back to its host, and a page cache filling it faults it in again
    page by page: a 1 GiB pull to disk then runs at ~260 MB/s instead of ~1 GB/s, curl's as ours. Without this,
    whoever starts sooner after the previous contender's clean-up (curl in milliseconds, a Python CLI after its
    imports) wins. Touching ``WARM_BYTES`` and freeing them gives each contender the same backed memory (in a
    process of its own: the peak RSS of this one is what the CLIs it starts report as theirs)."""
    os.sync()
    subprocess.run([sys.executable, "-c", f"b'x' * {WARM_BYTES}"], check=True)


def big_file(url, token, client, project, work, megabytes, workers, codes, rounds) -> dict:
    """Push one big file, then rounds of ``curl`` and a pull with each code, to tmpfs (with curl to /dev/null
    beside) and then to disk; then :func:`write_sizes`."""
    source = os.path.join(work, "big")
    os.makedirs(source, exist_ok=True)
    make_big(os.path.join(source, "big.bin"), megabytes)
    dataset = project.datasets.create(f"big-{time.time_ns()}")
    journals = os.path.join(work, "journals-big")
    shutil.rmtree(journals, ignore_errors=True)
    pushed, push_rss, _ = cli(url, token, ["push", source, "--project", project.id, "--dataset", dataset.id,
                                           "--journal-dir", journals, "--workers", str(workers)])
    body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 1, "resource": "items"}
    item_id = client.transport.json("POST", f"/datasets/{dataset.id}/query", json=body)["items"][0]["id"]
    size_mb = megabytes * 1.048576
    rates = {"curl_devnull": []}
    rss, ok = {}, True

    def pull(label: str, code: dict, parent: str) -> float:
        nonlocal ok
        target = os.path.join(parent, f"bench-sync-pull-{os.getpid()}")
        shutil.rmtree(target, ignore_errors=True)
        settle()
        try:
            summary, rss[label], _ = cli(url, token, ["pull", target, "--project", project.id, "--dataset",
                                                      dataset.id, "--journal-dir", f"{journals}-{time.time_ns()}",
                                                      "--workers", str(workers)], code=code)
        finally:
            shutil.rmtree(target, ignore_errors=True)
        ok = ok and summary["ok"] and summary["transferred"] == 1
        return size_mb / summary["seconds"]

    def curl(output: str) -> float:
        settle()
        started = time.monotonic()
        subprocess.run(["curl", "-sf", "-o", output, "-H", f"authorization: Bearer {token}",
                        f"{url}/api/v1/items/{item_id}/stream"], check=True)
        return size_mb / (time.monotonic() - started)

    def curl_to(parent: str) -> float:
        output = os.path.join(parent, f"bench-sync-curl-{os.getpid()}")
        try:
            return curl(output)
        finally:
            os.remove(output)

    # Rounds alternate curl and our pulls, so drift in machine load hits every contender alike, and each contender
    # starts after settle(). The tmpfs rounds come first and also time curl writing nowhere (/dev/null: what no
    # pull to anywhere can beat).
    places = (("tmpfs", TMPFS), ("disk", work)) if TMPFS else (("disk", work),)
    for place, parent in places:
        for _ in range(rounds):
            if place == places[0][0]:
                rates["curl_devnull"].append(curl("/dev/null"))
            rates.setdefault(f"curl_{place}", []).append(curl_to(parent))
            for label, code in codes.items():
                rates.setdefault(f"{label}_pull_{place}", []).append(pull(label, code, parent))
    result = {"size_mb": round(size_mb), "push_ok": pushed["ok"], "pull_ok": ok,
              "push_peak_rss_mb": round(push_rss, 1), "push_mb_s": round(size_mb / pushed["seconds"], 1),
              "md5_mb_s": round(md5_rate(), 1)}
    result.update({f"{label}_pull_peak_rss_mb": round(peak, 1) for label, peak in rss.items()})
    result.update({f"{name}_mb_s_rounds": [round(r, 1) for r in values] for name, values in rates.items()})
    pairs = [(place, place) for place, _ in places] + [(places[0][0], "devnull")]
    for label in codes:  # each round's pull against that round's curl, and all rounds' time against curl's
        for place, theirs in pairs:
            ours, curls = rates[f"{label}_pull_{place}"], rates[f"curl_{theirs}"]
            result[f"{label}_pull_{place}_vs_curl_{theirs}_pct_rounds"] = [
                round(100 * a / b, 1) for a, b in zip(ours, curls)]
            result[f"{label}_pull_{place}_vs_curl_{theirs}_pct_all_rounds"] = round(
                100 * sum(1 / r for r in curls) / sum(1 / r for r in ours), 1)
    result.update(write_sizes(client, item_id, work, size_mb, rounds))
    return result


def write_sizes(client, item_id: str, work: str, size_mb: float, rounds: int) -> dict:
    """MB/s of ``download_file`` to disk in this process with downloads written at curl's 16 KB (``WRITE_SIZE``)
    and at 1 MiB, alternating: what the write size alone does to a pull on this machine's page cache."""
    from dataloop_core import _transfer
    item = client.items.get(item_id=item_id).to_json()
    target = os.path.join(work, "write-size", "big.bin")
    rates, chosen = {16 << 10: [], 1 << 20: []}, _transfer.WRITE_SIZE
    try:
        for _ in range(rounds):
            for write_size, rounds_of in rates.items():
                _transfer.WRITE_SIZE = write_size
                shutil.rmtree(os.path.dirname(target), ignore_errors=True)
                os.makedirs(os.path.dirname(target))
                settle()
                started = time.monotonic()
                _transfer.download_one(client.transport, item, target)
                rounds_of.append(round(size_mb / (time.monotonic() - started), 1))
    finally:
        _transfer.WRITE_SIZE = chosen
        shutil.rmtree(os.path.dirname(target), ignore_errors=True)
    return {f"download_writes_of_{size >> 10}_kb_mb_s_rounds": values for size, values in rates.items()}


def upload_cpu(url, token, project, folder, work, workers, codes, rounds) -> dict:
    """Client CPU per upload: a CLI push of ``folder`` minus its no-op re-sync, divided by the files pushed."""
    result = {}
    for _ in range(rounds):
        for label, code in codes.items():
            dataset = project.datasets.create(f"cpu-{label}-{time.time_ns()}")
            args = ["push", folder, "--project", project.id, "--dataset", dataset.id, "--workers", str(workers),
                    "--journal-dir", os.path.join(work, f"j-cpu-{time.time_ns()}")]
            pushed, _, push_cpu = cli(url, token, args, code=code)
            again, _, noop_cpu = cli(url, token, args, code=code)
            if not pushed["ok"] or again["transferred"]:
                raise RuntimeError(f"cpu push with {label} code: {pushed} / {again}")
            result.setdefault(f"{label}_cpu_ms_per_upload_rounds", []).append(
                round(1000 * (push_cpu - noop_cpu) / pushed["transferred"], 3))
            result.setdefault(f"{label}_push_files_s_rounds", []).append(
                round(pushed["transferred"] / pushed["seconds"], 1))
    return result


def md5_rate(megabytes: int = 256) -> float:
    """MB/s of one md5 over 4 MiB blocks on one core: the ceiling of a pull that verifies what it receives."""
    block, digest = bytes(range(256)) * (4 << 12), hashlib.md5()
    started = time.monotonic()
    for _ in range(megabytes // 4):
        digest.update(block)
    return megabytes * 1.048576 / (time.monotonic() - started)


PARTS = ("push", "noop", "resume", "big", "cpu")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each contender")
    parser.add_argument("--small", type=int, default=2000, help="files of 100 KB for push/SDK/raw/resume/cpu")
    parser.add_argument("--noop", type=int, default=10_000, help="files of 10 KB for the no-op re-sync")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the big file in MiB")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts to run (of {PARTS})")
    parser.add_argument("--baseline", metavar="GIT_REF", help="also run the CLI parts with the core of this commit")
    parser.add_argument("--work", help="work folder (default: a temp dir, removed afterwards)")
    args = parser.parse_args(argv)
    parts = [p for p in args.only.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    work = args.work or tempfile.mkdtemp(prefix="bench-sync-")
    codes = {"ours": {}}
    if args.baseline:
        codes["baseline"] = baseline_code(args.baseline, work)
    state = emulator_state_dir(work)
    emulator, url, token = start_emulator(state)
    results = {"workers": args.workers, "parts": parts, "baseline": args.baseline}
    try:
        client = DataloopClient(base_url=url, token=token)
        project = client.projects.create(f"bench-sync-{time.time_ns()}")
        fresh = lambda name: project.datasets.create(f"{name}-{time.time_ns()}").id  # noqa: E731
        small = os.path.join(work, "small")
        if {"push", "resume", "cpu"} & set(parts):
            make_files(small, args.small, 100 * 1024)

        if "push" in parts:
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

        if "noop" in parts:
            many = make_files(os.path.join(work, "many"), args.noop, 10 * 1024)
            noop_journals = os.path.join(work, f"j-noop-{time.time_ns()}")
            noop_dataset = fresh("noop")
            full = push(client, noop_dataset, many, journal_dir=noop_journals, workers=args.workers)
            again = push(client, noop_dataset, many, journal_dir=noop_journals, workers=args.workers)
            results.update(noop_files=args.noop, full_push_s=full.seconds, noop_resync_s=again.seconds,
                           noop_vs_full_pct=round(100 * again.seconds / full.seconds, 2),
                           noop_transferred=again.transferred)

        if "resume" in parts:
            results["resume"] = resume_after_kill(url, token, client, project, small, args.small, 100 * 1024, work,
                                                  args.workers)
        if "cpu" in parts:
            results["cpu"] = upload_cpu(url, token, project, small, work, args.workers, codes, args.rounds)
        if "big" in parts:
            results["big"] = big_file(url, token, client, project, work, args.big_mb, args.workers, codes,
                                      args.rounds)
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
