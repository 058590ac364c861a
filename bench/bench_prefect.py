"""Prefect benchmark, side by side in one run against one emulator process on this machine.

    .venv-prefect/bin/python bench/bench_prefect.py [--files 600] [--size 50000] [--shards 4] [--workers 8]

Pushes the same deterministic folder into fresh datasets four ways and prints JSON: (a) a bare
``dataloop_core.sync.push`` (the floor), (b) ``sync_folder_to_dataset`` on Prefect's thread runner, (c) the same
flow on prefect-dask's ``DaskTaskRunner`` over a LocalCluster of 2 worker processes, timed with and without the
cluster's start (a warm-up run on a 1-file folder starts nothing that (c) reuses, so it is reported apart).
The flow's overhead is (b) - (a): Prefect's task runs, artifacts and events around the same sync. The Prefect
API is a temporary local server started once before any timing.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
import tempfile
import time

WORK = tempfile.mkdtemp(prefix="bench-prefect-")
atexit.register(shutil.rmtree, WORK, True)
os.environ.update(PREFECT_HOME=os.path.join(WORK, "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                  PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120", PREFECT_LOGGING_LEVEL="WARNING")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

from bench_sync import make_files, start_emulator  # noqa: E402
from prefect import flow  # noqa: E402

from dataloop_core import DataloopClient  # noqa: E402
from dataloop_core import sync as dataloop_sync  # noqa: E402
from prefect_dataloop import DataloopCredentials, DataloopDataset  # noqa: E402
from prefect_dataloop.flows import sync_folder_to_dataset  # noqa: E402
from flows_examples.common import local_dask_runner, prefect_api  # noqa: E402


@flow
def warm_up() -> int:
    return 1


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)

    folder = make_files(os.path.join(WORK, "files"), args.files, args.size)
    emulator, url, token = start_emulator(os.path.join(WORK, "emulator"))
    os.environ["DATALOOP_TOKEN"] = token              # Dask workers sign in from their environment
    try:
        started = time.perf_counter()
        with prefect_api():                           # its URL is in the settings Dask workers receive
            server_start = time.perf_counter() - started
            print(json.dumps(measure(args, folder, url, token, server_start), indent=2))
    finally:
        emulator.terminate()
        emulator.wait()
    return 0


def measure(args, folder: str, url: str, token: str, server_start: float) -> dict:
    client = DataloopClient(base_url=url, token=token)
    project = client.projects.create("bench-prefect")
    credentials = DataloopCredentials(base_url=url)
    block = lambda name: DataloopDataset(credentials=credentials, project_name=project.name,  # noqa: E731
                                         dataset_name=project.datasets.create(name).name)
    timed(warm_up)
    workers = args.workers // 2
    bare, summary = timed(lambda: dataloop_sync.push(client, project.datasets.create("bare"), folder,
                                                     workers=workers * args.shards))
    threads, flow_summary = timed(lambda: sync_folder_to_dataset(block("threads"), folder, shards=args.shards,
                                                                 workers=workers))
    on_dask = sync_folder_to_dataset.with_options(task_runner=local_dask_runner())
    dask_total, dask_summary = timed(lambda: on_dask(block("dask"), folder, shards=args.shards, workers=workers))
    assert summary.transferred == flow_summary["transferred"] == dask_summary["transferred"] == args.files
    rate = lambda seconds: round(args.files / seconds, 1)  # noqa: E731
    return {"files": args.files, "file_bytes": args.size, "shards": args.shards,
            "prefect_api_start_s": round(server_start, 2),
            "bare_sync_push": {"seconds": round(bare, 2), "files_per_s": rate(bare), "workers": workers * args.shards},
            "flow_thread_runner": {"seconds": round(threads, 2), "files_per_s": rate(threads),
                                   "overhead_s": round(threads - bare, 2),
                                   "slowest_shard_sync_s": flow_summary["seconds"]},
            "flow_dask_2_workers": {"seconds_with_cluster_start": round(dask_total, 2),
                                    "files_per_s_with_cluster_start": rate(dask_total),
                                    "slowest_shard_sync_s": dask_summary["seconds"],
                                    "files_per_s_in_shards": rate(dask_summary["seconds"])}}

if __name__ == "__main__":
    sys.exit(main())
