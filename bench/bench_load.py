"""Emulator under load: N concurrent clients for S seconds; counts requests and errors (resets, 5xx).

    .venv/bin/python bench/bench_load.py [--clients 50] [--seconds 60] [--library-defaults]

The emulator runs in its own process, sized as ``EmulatorServer`` sizes it (``--library-defaults``: cheroot's
own defaults instead, a listen queue of 5 and 10 kept-alive connections, for comparison). Each client is one
``requests.Session`` (its own keep-alive connection) without retries, so every reset counts; clients run as
threads spread over a few processes. A client loops over: get the dataset, list a page of items (DQL query),
upload a 1 KiB file, stream an item's binary. Prints one line: clients, seconds, requests, req/s, errors.
"""
from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

from dataloop_core import DataloopClient
from dataloop_core.emulator.auth import Auth

SERVE = """
import json, sys
from dataloop_core.emulator.server import EmulatorServer
server = EmulatorServer(sys.argv[1], **json.loads(sys.argv[2]))
print(server.url, flush=True)
server.serve_forever()
"""
LIBRARY_DEFAULTS = {"queue_size": 5, "keep_alive": 10}
PROCESSES = 5


def client_loop(url: str, token: str, dataset_id: str, item_id: str, until: float, counts: collections.Counter,
                lock: threading.Lock) -> None:
    session = requests.Session()
    session.headers["authorization"] = f"Bearer {token}"
    api = url + "/api/v1"
    query = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 10, "resource": "items"}
    calls = [
        lambda: session.get(f"{api}/datasets/{dataset_id}", timeout=60),
        lambda: session.post(f"{api}/datasets/{dataset_id}/query", json=query, timeout=60),
        lambda: session.post(f"{api}/datasets/{dataset_id}/items", timeout=60,
                             files={"file": (f"{uuid.uuid4().hex}.bin", os.urandom(1024))},
                             data={"path": f"/load/{uuid.uuid4().hex}.bin"}),
        lambda: session.get(f"{api}/items/{item_id}/stream", timeout=60),
    ]
    step = 0
    while time.monotonic() < until:
        try:
            response = calls[step % len(calls)]()
            outcome = "ok" if response.status_code < 500 else f"status {response.status_code}"
        except requests.RequestException as exc:
            outcome = type(exc).__name__
        step += 1
        with lock:
            counts[outcome] += 1


def client_process(args) -> dict:
    url, token, dataset_id, item_id, until, threads = args
    counts, lock = collections.Counter(), threading.Lock()
    workers = [threading.Thread(target=client_loop, args=(url, token, dataset_id, item_id, until, counts, lock))
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return dict(counts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--library-defaults", action="store_true", help="cheroot's defaults (for comparison)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients must be >= 1 and --seconds > 0")
    data_dir = tempfile.mkdtemp(prefix="bench-load-")
    sizing = LIBRARY_DEFAULTS if args.library_defaults else {}
    server = subprocess.Popen([sys.executable, "-c", SERVE, data_dir, json.dumps(sizing)], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        url = server.stdout.readline().strip()
        token = Auth(data_dir).issue("load@dataloop.local")
        with DataloopClient(base_url=url, token=token) as client:
            dataset = client.projects.create("load").datasets.create("load")
            item = dataset.items.upload(os.urandom(64 * 1024), remote_name="stream.bin")
        until = time.monotonic() + args.seconds
        shares = [args.clients // PROCESSES + (i < args.clients % PROCESSES) for i in range(PROCESSES)]
        jobs = [(url, token, dataset.id, item.id, until, n) for n in shares if n]
        started = time.monotonic()
        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            results = pool.map(client_process, jobs)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    counts = collections.Counter()
    for result in results:
        counts.update(result)
    total, errors = sum(counts.values()), sum(v for k, v in counts.items() if k != "ok")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "ok")
    print(f"load ({'cheroot defaults' if args.library_defaults else 'emulator sizing'}): {args.clients} clients, "
          f"{elapsed:.0f} s, {total} requests ({total / elapsed:.0f} req/s), {errors} errors"
          + (f" ({kinds})" if kinds else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
