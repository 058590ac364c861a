"""(3) Scheduled by the data, not the clock: an ``AssetWatcher`` on Dataloop's change feed runs this DAG when new
images land in the dataset, and sends them to annotators."""
from __future__ import annotations

import os
from airflow.sdk import DAG, Asset, AssetWatcher, task

from dataloop_provider.operators.tasks import DataloopCreateTaskOperator
from dataloop_provider.triggers.events import DataloopNewItemsEventTrigger


def setting(name: str) -> str:
    """A DATALOOP_DEMO_<NAME> variable (set by the main job and the tests from what they seeded)."""
    return os.environ.get(f"DATALOOP_DEMO_{name.upper()}", f"<{name}>")


new_images = Asset("dataloop://datasets/" + setting("dataset_id") + "/new-images", watchers=[AssetWatcher(
    name="dataloop_new_images",
    trigger=DataloopNewItemsEventTrigger(dataset_id=setting("dataset_id"), filters={"metadata.system.mimetype":
                                                                                     "image/*"},
                                         poll_interval=10))])

with DAG("dataloop_event_driven", schedule=[new_images], tags=["dataloop", "example"],
         render_template_as_native_obj=True):

    @task
    def arrived_items(triggering_asset_events=None) -> list:
        """The ids carried by the asset events that scheduled this run."""
        return [item_id for events in (triggering_asset_events or {}).values() for event in events
                for item_id in (event.extra or {}).get("payload", {}).get("ids", [])]

    items = arrived_items()
    DataloopCreateTaskOperator(
        task_id="send_to_annotators", dataset_id=setting("dataset_id"), task_name="new images {{ run_id }}",
        assignee_ids=[setting("annotator")], item_ids=items)
