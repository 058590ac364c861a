"""The example DAGs run for real with ``dag.test()`` on the session's fresh SQLite metadata DB, against the
emulator (and a moto S3 server on 127.0.0.1 for the external-storage DAG)."""
from __future__ import annotations

import os
from pathlib import Path

from dags_examples.seed import Annotator
from dags_examples.seed import make_images


def run_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert bag.import_errors == {}
    dag_run = bag.get_dag(dag_id).test()
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    return dag_run, states


def test_hourly_sync_end_to_end(airflow_db, client, demo_env):
    """Mapped push over 4 shards -> FaaS pre-annotation -> task over the new items -> deferred wait -> export."""
    annotator = Annotator(client, demo_env["dataset_id"])
    annotator.start()
    try:
        dag_run, states = run_dag("dataloop_hourly_sync")
    finally:
        annotator.stop.set()
    assert dag_run.state == "success", states
    assert sorted(i for (task, i) in states if task == "push") == [0, 1, 2, 3]
    dataset = client.datasets.get(dataset_id=demo_env["dataset_id"])
    images = [i for i in dataset.items.list().all() if i.filename.startswith("/img_")]
    assert len(images) == 8 and all(i.annotated for i in images)
    [task] = [t for t in dataset.tasks.list() if t.id in annotator.done]
    assert annotator.done[task.id] == 8 and client.runs.status("task", task.id).succeeded
    exports = list(Path(demo_env["export_dir"]).rglob("*.json"))
    assert len(exports) == 1 and exports[0].stat().st_size > 0
    links = stored_links(dag_run)
    assert links[("create_task", "_link_DataloopTaskLink")].endswith(f"/tasks/{task.id}")
    assert links[("push", "_link_DataloopDatasetLink")].endswith(f"/datasets/{dataset.id}/items")
    assert "/executions/" in links[("pre_annotate", "_link_DataloopExecutionLink")]


def stored_links(dag_run) -> dict:
    """The "See in Dataloop" URLs Airflow rendered from XCom at the end of each task: {(task, key): url}."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    with create_session() as session:
        rows = session.query(XComModel).filter(XComModel.run_id == dag_run.run_id,
                                               XComModel.key.like("_link_%")).all()
        return {(row.task_id, row.key): XComModel.deserialize_value(row) for row in rows}


def test_pipeline_on_new_items(airflow_db, client, demo_env, monkeypatch, unique, tmp_path):
    dataset = client.projects.get(project_id=demo_env["project_id"]).datasets.create(unique("fresh"))
    items = [dataset.items.upload(local_path=p) for p in make_images(tmp_path, 2, seed=5)]
    monkeypatch.setenv("DATALOOP_DEMO_DATASET_ID", dataset.id)
    dag_run, states = run_dag("dataloop_pipeline_on_new_items")
    assert dag_run.state == "success", states
    assert all(len(dataset.items.get(item_id=i.id).annotations.list()) == 1 for i in items)


def test_s3_sync_then_export(airflow_db, client, demo_env, s3_dataset, monkeypatch):
    monkeypatch.setenv("DATALOOP_DEMO_S3_DATASET_ID", s3_dataset.id)
    dag_run, states = run_dag("dataloop_s3_sync")
    assert dag_run.state == "success", states
    names = sorted(i.filename for i in s3_dataset.items.list().all() if i.type == "file")
    assert names == ["/0.txt", "/1.txt", "/2.txt"]
    assert len(list(Path(demo_env["export_dir"], "s3").rglob("*.zip"))) == 1


def test_event_driven_dag_runs_without_events(airflow_db, demo_env):
    """Run by hand (no asset events), the DAG finds no arrived items and creates no task."""
    dag_run, states = run_dag("dataloop_event_driven")
    assert dag_run.state == "success", states
