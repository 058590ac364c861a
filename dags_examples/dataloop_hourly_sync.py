"""(1) Hourly dataset sync: sharded push (dynamic task mapping) -> pre-annotation by a FaaS function ->
annotation task over the new items -> deferrable wait for the annotators -> export."""
from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG, task
from airflow.providers.common.compat.sdk import AirflowSkipException

from dataloop_provider.operators.datasets import DataloopExportAnnotationsOperator
from dataloop_provider.operators.executions import DataloopExecuteFunctionOperator
from dataloop_provider.operators.sync import DataloopSyncPushOperator
from dataloop_provider.operators.tasks import DataloopCreateTaskOperator
from dataloop_provider.sensors.runs import DataloopTaskCompletionSensor


def setting(name: str) -> str:
    """A DATALOOP_DEMO_<NAME> variable (set by the main job and the tests from what they seeded)."""
    return os.environ.get(f"DATALOOP_DEMO_{name.upper()}", f"<{name}>")


SHARDS = 4

with DAG("dataloop_hourly_sync", schedule="@hourly", start_date=datetime(2026, 1, 1), catchup=False,
         tags=["dataloop", "example"], max_active_runs=1):
    push = DataloopSyncPushOperator.partial(
        task_id="push", dataset_id=setting("dataset_id"), local_dir=setting("images_dir"),
        journal_dir=setting("journal_dir"), map_index_template="shard {{ task.shard }}",
    ).expand(shard=[f"{index}/{SHARDS}" for index in range(SHARDS)])

    @task(multiple_outputs=True)
    def new_items(summaries) -> dict:
        """The files this run pushed: created after the newest file before the push (by the platform's clock);
        skip the rest of the run when there are none."""
        summaries = list(summaries)
        transferred = sum(s["transferred"] for s in summaries)
        if not transferred:
            raise AirflowSkipException("no new files: nothing to annotate")
        baselines = [s["created_after"] for s in summaries]
        filters = {"type": "file"}
        if None not in baselines:  # else the dataset was empty: every file is new
            filters["createdAt"] = {"$gt": min(baselines)}
        return {"transferred": transferred, "filters": filters}

    pushed = new_items(push.output)

    pre_annotate = DataloopExecuteFunctionOperator(
        task_id="pre_annotate", service_id=setting("service_id"), function_name="pre_annotate_dataset",
        dataset_id=setting("dataset_id"), deferrable=True, poll_interval=1, timeout=600)

    create_task = DataloopCreateTaskOperator(
        task_id="create_task", dataset_id=setting("dataset_id"), task_name="review {{ run_id }}",
        assignee_ids=[setting("annotator")], filters=pushed["filters"])

    wait_for_annotators = DataloopTaskCompletionSensor(
        task_id="wait_for_annotators", annotation_task_id="{{ ti.xcom_pull(task_ids='create_task')['task_id'] }}",
        deferrable=True, poke_interval=1, timeout=600)

    export = DataloopExportAnnotationsOperator(
        task_id="export", dataset_id=setting("dataset_id"),
        local_path=setting("export_dir") + "/{{ run_id | replace(':', '-') }}", filters=pushed["filters"])

    pushed >> pre_annotate >> create_task >> wait_for_annotators >> export
