"""(2) Every hour, run the pre-annotation pipeline on the items that arrived since the run's data interval started,
waiting on the triggerer (deferrable sensor, then a deferrable pipeline wait)."""
from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG

from dataloop_provider.operators.pipelines import DataloopExecutePipelineOperator
from dataloop_provider.sensors.items import DataloopNewItemsSensor


def setting(name: str) -> str:
    """A DATALOOP_DEMO_<NAME> variable (set by the main job and the tests from what they seeded)."""
    return os.environ.get(f"DATALOOP_DEMO_{name.upper()}", f"<{name}>")


with DAG("dataloop_pipeline_on_new_items", schedule="@hourly", start_date=datetime(2026, 1, 1), catchup=False,
         tags=["dataloop", "example"], render_template_as_native_obj=True):
    arrived = DataloopNewItemsSensor(
        task_id="new_items", dataset_id=setting("dataset_id"), filters={"type": "file"},
        since="{{ data_interval_start }}", until=None,
        deferrable=True, poke_interval=1, timeout=120)

    run_pipeline = DataloopExecutePipelineOperator(
        task_id="run_pipeline", pipeline_id=setting("pipeline_id"),
        item_ids="{{ ti.xcom_pull(task_ids='new_items')['item_ids'] }}", deferrable=True, poll_interval=1,
        timeout=600)

    arrived >> run_pipeline
