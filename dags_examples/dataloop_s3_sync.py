"""(4) External storage: sync a bucket-backed dataset with its S3 bucket (a platform command, waited on by the
triggerer), then export the dataset as a zip archive."""
from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG

from dataloop_provider.operators.datasets import (DataloopExportAnnotationsOperator,
                                                  DataloopExternalStorageSyncOperator)


def setting(name: str) -> str:
    """A DATALOOP_DEMO_<NAME> variable (set by the main job and the tests from what they seeded)."""
    return os.environ.get(f"DATALOOP_DEMO_{name.upper()}", f"<{name}>")


with DAG("dataloop_s3_sync", schedule="@daily", start_date=datetime(2026, 1, 1), catchup=False,
         tags=["dataloop", "example"]):
    sync_bucket = DataloopExternalStorageSyncOperator(
        task_id="sync_bucket", dataset_id=setting("s3_dataset_id"), deferrable=True, poll_interval=1, timeout=600)

    export = DataloopExportAnnotationsOperator(
        task_id="export", dataset_id=setting("s3_dataset_id"), output_type="zip",
        local_path=setting("export_dir") + "/s3/{{ ds_nodash }}")

    sync_bucket >> export
