"""Data-aware scheduling for real: a dag-processor and a triggerer (Airflow's own processes) run the example
event-driven DAG's AssetWatcher against the emulator; new images become one asset event carrying their ids, and a
restarted triggerer resumes from the cursor in the asset's state store (the items already fired are not fired
again)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from eventually import eventually

pytestmark = pytest.mark.slow
DAG_FILE = Path(__file__).resolve().parents[2] / "dags_examples" / "dataloop_event_driven.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def airflow_processes(emulator, token, demo, client, unique, tmp_path):
    """An Airflow home with only the event-driven DAG, a dag-processor and a way to (re)start the triggerer."""
    dataset = client.projects.get(project_id=demo["project_id"]).datasets.create(unique("watched"))
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(DAG_FILE, dags)
    env = dict(os.environ, AIRFLOW_HOME=str(tmp_path / "home"), AIRFLOW__CORE__DAGS_FOLDER=str(dags),
               AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
               AIRFLOW__CORE__UNIT_TEST_MODE="False",
               AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
               AIRFLOW_CONN_DATALOOP_DEFAULT=json.dumps({"conn_type": "dataloop", "host": emulator.url,
                                                         "password": token}),
               DATALOOP_DEMO_DATASET_ID=dataset.id, DATALOOP_DEMO_ANNOTATOR=demo["annotator"])
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run(airflow + ["db", "migrate"], env=env, check=True, capture_output=True, timeout=120)
    running = []

    def start(command: str) -> subprocess.Popen:
        log = open(tmp_path / f"{command}-{len(running)}.log", "wb")
        process = subprocess.Popen(airflow + [command], env=env, stdout=log, stderr=subprocess.STDOUT)
        running.append(process)
        return process

    def db_rows(sql: str) -> list:
        with sqlite3.connect(tmp_path / "home" / "airflow.db") as db:
            return db.execute(sql).fetchall()

    start("dag-processor")
    yield dataset, start, db_rows
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_new_images_fire_an_asset_event_and_a_restarted_triggerer_resumes(airflow_processes, tmp_path):
    dataset, start, db_rows = airflow_processes
    triggerer = start("triggerer")
    wait = dict(limit=120, step=0.5)
    eventually(lambda: db_rows("SELECT id FROM trigger WHERE triggerer_id IS NOT NULL"),
               "the watcher to run in the triggerer", **wait)
    first = [dataset.items.upload(local_path=p).id for p in make_pngs(tmp_path / "a", 2)]
    [(payload,)] = eventually(lambda: db_rows("SELECT extra FROM asset_event"), "the first asset event", **wait)
    assert json.loads(payload)["payload"]["ids"] == first
    eventually(lambda: db_rows("SELECT value FROM asset_state_store WHERE key = 'dataloop_feed_cursor'"),
               "the cursor to be saved", **wait)

    triggerer.terminate()
    triggerer.wait(60)
    [second] = [dataset.items.upload(local_path=p).id for p in make_pngs(tmp_path / "b", 1, seed=1)]
    start("triggerer")
    events = eventually(lambda: (rows := db_rows("SELECT extra FROM asset_event ORDER BY id")) and len(rows) >= 2
                        and rows, "the second asset event", **wait)
    assert [json.loads(extra)["payload"]["ids"] for (extra,) in events] == [first, [second]]


def make_pngs(folder, count: int, seed: int = 0) -> list:
    from dags_examples.seed import make_images
    return make_images(folder, count, seed=seed)
