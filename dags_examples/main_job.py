"""The main job: example DAG (1) end to end with ``airflow dags test`` against Dataloop or an embedded emulator.

Uses DATALOOP_BASE_URL/DATALOOP_TOKEN when set, else starts an emulator itself; prepares a throw-away Airflow
home (SQLite); seeds images, a dataset and a pre-annotation FaaS service; runs ``dataloop_hourly_sync``; and
prints what each task did. Where people would annotate, a background "annotator" completes the task's items
through the API. Run: ``python -m dags_examples.main_job``.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dataloop_core import DataloopClient
from dags_examples.seed import Annotator, dataloop, env_settings, seed

DAG_ID = "dataloop_hourly_sync"
HERE = Path(__file__).resolve().parent


def airflow(home: Path, env: dict, *args: str, log: Path) -> int:
    with open(log, "ab") as out:
        return subprocess.call([sys.executable, "-m", "airflow", *args], env=env, stdout=out,
                               stderr=subprocess.STDOUT)


def task_results(home: Path) -> list:
    """``(task_id, map_index, return value)`` of the run, from the Airflow metadata DB."""
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute("SELECT task_id, map_index, value FROM xcom WHERE dag_id = ? AND key = 'return_value' "
                          "ORDER BY timestamp", (DAG_ID,)).fetchall()
    return [(task_id, index, json.loads(value) if isinstance(value, (str, bytes)) else value)
            for task_id, index, value in rows]


def describe(task_id: str, index: int, value) -> str:
    if task_id == "push":
        return (f"push shard {value['shard']}: {value['transferred']} file(s) pushed, {value['skipped']} skipped, "
                f"{value['failed_count']} failed in {value['seconds']} s")
    if task_id == "new_items":
        return f"new_items: {value['transferred']} new item(s), selected by {json.dumps(value['filters'])}"
    if task_id == "pre_annotate":
        return f"pre_annotate: execution {value['execution_ids']} {value['statuses']}, output {value['outputs']}"
    if task_id == "create_task":
        return f"create_task: task {value['name']!r} ({value['task_id']}) over {value['total_items']} item(s)"
    if task_id == "wait_for_annotators":
        return f"wait_for_annotators: task {value['id']} {value['status']} ({value['percent']}%)"
    if task_id == "export":
        with open(value["path"], encoding="utf-8") as handle:
            items = json.load(handle)
        annotations = sum(len(item.get("annotations") or []) for item in items)
        return (f"export: {len(items)} item(s) with {annotations} annotation(s) ({value['bytes']} bytes) in "
                f"{value['path']}")
    return f"{task_id}: {value}"


def main() -> int:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="dataloop-airflow-"))
    try:
        with dataloop(work) as (base_url, token):
            client = DataloopClient(base_url=base_url, token=token)
            seeded = seed(client, work)
            print(f"seeded: dataset {seeded['dataset_id']}, {len(os.listdir(seeded['images_dir']))} images in "
                  f"{seeded['images_dir']}, pre-annotation service {seeded['service_id']}")
            home = work / "airflow"
            env = dict(os.environ, AIRFLOW_HOME=str(home), AIRFLOW__CORE__DAGS_FOLDER=str(HERE),
                       AIRFLOW__CORE__LOAD_EXAMPLES="False", **env_settings(seeded),
                       AIRFLOW_CONN_DATALOOP_DEFAULT=json.dumps({"conn_type": "dataloop", "host": base_url,
                                                                 "password": token}))
            log = work / "airflow.log"
            if airflow(home, env, "db", "migrate", log=log) != 0:
                print(log.read_text()[-3000:])
                return 1
            annotator = Annotator(client, seeded["dataset_id"])
            annotator.start()
            print(f"running DAG {DAG_ID} with `airflow dags test` (Airflow home {home}) ...", flush=True)
            code = airflow(home, env, "dags", "test", DAG_ID, log=log)
            annotator.stop.set()
            results = task_results(home)
            for task_id, index, value in results:
                print("  " + describe(task_id, index, value))
            if code == 0 and "new_items" not in {task_id for task_id, _, _ in results}:
                print("  new_items: no new files (the dataset already holds them): the rest of the run was skipped")
            print(f"DAG run {'succeeded' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
            if code != 0:
                print(log.read_text()[-5000:])
            return code
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
