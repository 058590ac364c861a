"""Airflow provider benchmark, side by side in one run against one emulator in its own process.

    .venv-airflow/bin/python bench/bench_airflow.py [--files 300] [--waits 200] [--window 20] [--poke 5]

(a) Operator-layer overhead: ``DataloopSyncPushOperator.execute`` vs a bare ``dataloop_core.sync.push`` of the
same folder into fresh datasets (after a warm-up; 4 rounds alternating which goes first; best and median of 4).
(b) Triggerer cost of N concurrent deferred waits (``DataloopExecutionTrigger`` on one event loop, one
asyncio.to_thread status read per poll, as the triggerer runs them) vs N reschedule-mode sensors poking for the
same window (each poke builds its hook and client from the connection, as a rescheduled task does; the task
start-up and scheduler round trip a real reschedule also pays are *not* counted, so the sensor figure is a floor).
The waits target executions queued on a paused service, so they stay pending for the whole window.
CPU seconds and peak RSS growth are of this process; the emulator's own cost is excluded.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from dataloop_core import DataloopClient  # noqa: E402
from dataloop_core.sync import push  # noqa: E402


def start_emulator(work: Path):
    bin_dir = Path(sys.executable).parent
    data = work / "emulator"
    server = subprocess.Popen([str(bin_dir / "dataloop-emulator"), "serve", "--port", "0", "--data-dir", str(data)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = server.stdout.readline().strip()
    token = subprocess.check_output([str(bin_dir / "dataloop-emulator"), "token", "--data-dir", str(data)],
                                    text=True).strip()
    return server, url, token


class Stub:
    """A task instance's XCom push, for running an operator outside a DAG run."""

    def xcom_push(self, key, value):
        json.dumps(value)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def operator_overhead(client, project, files: int, work: Path) -> dict:
    from dags_examples.seed import make_images
    from dataloop_provider.operators.sync import DataloopSyncPushOperator
    folder = work / "files"
    make_images(folder, files, size=32)
    bare, operator = [], []

    def run_bare():
        dataset = project.datasets.create(f"bare-{uuid.uuid4().hex[:6]}")
        started = time.perf_counter()
        summary = push(client, dataset.id, str(folder), journal_dir=str(work / "j-bare"))
        bare.append(time.perf_counter() - started)
        assert summary.transferred == files

    def run_operator():
        dataset = project.datasets.create(f"op-{uuid.uuid4().hex[:6]}")
        op = DataloopSyncPushOperator(task_id="push", dataset_id=dataset.id, local_dir=str(folder),
                                      journal_dir=str(work / "j-op"))
        started = time.perf_counter()
        result = op.execute({"ti": Stub()})
        operator.append(time.perf_counter() - started)
        assert result["transferred"] == files

    run_bare()  # warm-up (connection pool, emulator caches), not counted
    bare.clear()
    for round_ in range(4):  # alternate which goes first
        for run in ((run_bare, run_operator) if round_ % 2 == 0 else (run_operator, run_bare)):
            run()
    return {"files": files, "bare_push_best_s": round(min(bare), 3), "operator_best_s": round(min(operator), 3),
            "bare_push_median_s": round(statistics.median(bare), 3),
            "operator_median_s": round(statistics.median(operator), 3),
            "overhead_median_s": round(statistics.median(operator) - statistics.median(bare), 3),
            "bare_runs": [round(x, 3) for x in bare], "operator_runs": [round(x, 3) for x in operator]}


def pending_executions(project, count: int, work: Path) -> list:
    from dags_examples.seed import deploy_model_service
    service = deploy_model_service(project, work / "build", name=f"bench-{uuid.uuid4().hex[:6]}")
    service.pause()
    return [service.execute(function_name="echo", execution_input={"config": i}).id for i in range(count)]


def deferred_waits(ids: list, window: float, poke: float) -> dict:
    from dataloop_provider.triggers.runs import DataloopExecutionTrigger

    async def one(run_id):
        trigger = DataloopExecutionTrigger(run_ids=[run_id], deadline=time.time() + window, poll_interval=poke,
                                           max_poll_interval=poke)
        async for event in trigger.run():
            return event.payload["event"]

    async def all_waits():
        return await asyncio.gather(*(one(run_id) for run_id in ids))

    rss, cpu0, wall0 = peak_rss_mb(), cpu(), time.perf_counter()
    events = asyncio.run(all_waits())
    return {"waits": len(ids), "events": {name: events.count(name) for name in sorted(set(events))},
            "cpu_s": round(cpu() - cpu0, 2), "wall_s": round(time.perf_counter() - wall0, 2),
            "peak_rss_growth_mb": round(peak_rss_mb() - rss, 1)}


def reschedule_pokes(ids: list, window: float, poke: float) -> dict:
    from dataloop_provider.sensors.runs import DataloopExecutionSensor
    rss, cpu0, wall0 = peak_rss_mb(), cpu(), time.perf_counter()
    pokes, deadline = 0, time.monotonic() + window
    while time.monotonic() < deadline:
        round_started = time.monotonic()
        for run_id in ids:
            sensor = DataloopExecutionSensor(task_id=f"s{pokes}", execution_id=run_id, mode="reschedule",
                                             poke_interval=poke)
            sensor.poke({})
            sensor.hook.close()
            pokes += 1
        time.sleep(max(0.0, poke - (time.monotonic() - round_started)))
    return {"sensors": len(ids), "pokes": pokes, "cpu_s": round(cpu() - cpu0, 2),
            "wall_s": round(time.perf_counter() - wall0, 2), "peak_rss_growth_mb": round(peak_rss_mb() - rss, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--waits", type=int, default=200)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--poke", type=float, default=5.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-airflow-"))
    server, url, token = start_emulator(work)
    os.environ["AIRFLOW_CONN_DATALOOP_DEFAULT"] = json.dumps({"conn_type": "dataloop", "host": url,
                                                              "password": token})
    try:
        client = DataloopClient(base_url=url, token=token)
        project = client.projects.create(f"bench-{uuid.uuid4().hex[:6]}")
        results = {"operator_overhead": operator_overhead(client, project, args.files, work)}
        ids = pending_executions(project, args.waits, work)
        results["deferred_waits"] = deferred_waits(ids, args.window, args.poke)
        results["reschedule_sensors"] = reschedule_pokes(ids, args.window, args.poke)
        results["settings"] = {"window_s": args.window, "poll_s": args.poke, "cpus": os.cpu_count()}
        print(json.dumps(results, indent=2))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
