"""Ready flows: a sharded folder sync, a pipeline run awaited, and new items through pre-annotation, an
annotation task and an export. Every flow runs unchanged on the default thread runner or on Dask
(``flow.with_options(task_runner=DaskTaskRunner(...))``): blocks travel as ``unmapped`` arguments and every
result is plain JSON."""
from __future__ import annotations

from typing import List, Optional

from prefect import flow, get_run_logger, unmapped

from dataloop_core import sync as dataloop_sync

from . import artifacts, events
from .datasets import DataloopDataset, MAX_FAILURES
from .jobs import DataloopFunction, DataloopPipeline
from .tasks import (create_annotation_task, execute_function, export_annotations, list_items, sync_push_shard,
                    wait_for_execution, wait_for_task_progress)

COUNTS = ("transferred", "skipped", "deleted", "bytes", "failed_count")


def merge_summaries(summaries: List[dict]) -> dict:
    """One summary for a sharded sync: counts added, failures joined (first 50), the slowest shard's time."""
    if not summaries:
        raise ValueError("no shard summaries to merge")
    merged = {name: sum(s[name] for s in summaries) for name in COUNTS}
    failed = [f for s in summaries for f in s["failed"]]
    merged.update(direction=summaries[0]["direction"], dataset_id=summaries[0]["dataset_id"],
                  dataset_name=summaries[0]["dataset_name"], shards=len(summaries),
                  seconds=max(s["seconds"] for s in summaries), failed=failed[:MAX_FAILURES],
                  ok=all(s["ok"] for s in summaries), cancelled=any(s.get("cancelled") for s in summaries))
    return merged


@flow(name="Sync a folder to a Dataloop dataset")
def sync_folder_to_dataset(dataset: DataloopDataset, local_dir: str, shards: int = 4, workers: int = 8,
                           allow_failures: bool = False) -> dict:
    """Push ``local_dir`` into the dataset as ``shards`` disjoint shards mapped over the task runner.

    Each shard resumes from its own journal, so a re-run sends only what is missing. A shard whose files fail
    is retried (twice) and then fails the flow, unless ``allow_failures``. Returns the merged summary; a table
    artifact, a link to the dataset and a ``dataloop.dataset.sync.*`` event record it.

    Example:
        ```python
        from prefect_dataloop import DataloopDataset
        from prefect_dataloop.flows import sync_folder_to_dataset

        sync_folder_to_dataset(DataloopDataset.load("BLOCK_NAME"), "./images", shards=4)
        ```
    """
    futures = sync_push_shard.map(unmapped(dataset), unmapped(local_dir), shard=dataloop_sync.shards(shards),
                                  workers=unmapped(workers), allow_failures=unmapped(allow_failures))
    summary = merge_summaries([future.result() for future in futures])
    get_run_logger().info("sync of %s: transferred %d, skipped %d, failed %d over %d shards", local_dir,
                          summary["transferred"], summary["skipped"], summary["failed_count"], shards)
    artifacts.sync_summary_table(summary, f"Sync of {local_dir} into {dataset.dataset_name}")
    target = dataset.get_dataset()
    artifacts.links(f"Dataset {target.name}", [(f"Dataset {target.name}", target.platform_url)])
    events.sync_outcome(summary["dataset_id"], summary["dataset_name"], summary)
    return summary


@flow(name="Trigger a Dataloop pipeline and wait")
def trigger_pipeline_and_wait(pipeline: DataloopPipeline, execution_input: Optional[dict] = None) -> dict:
    """Execute the pipeline once and wait for it; the final status. Cancelling this flow run cancels the
    pipeline execution.

    Example:
        ```python
        from prefect_dataloop import DataloopPipeline
        from prefect_dataloop.flows import trigger_pipeline_and_wait

        trigger_pipeline_and_wait(DataloopPipeline.load("BLOCK_NAME"), {"item": "ITEM_ID"})
        ```
    """
    run = pipeline.trigger(execution_input)
    run.wait_for_completion()
    return run.fetch_result()


@flow(name="Annotate new Dataloop items")
def annotate_new_items(dataset: DataloopDataset, assignee_ids: List[str], task_name: str,
                       export_dir: str, item_ids: Optional[List[str]] = None, filters: Optional[dict] = None,
                       pre_annotation: Optional[DataloopFunction] = None, pre_annotation_input: str = "item",
                       min_percent: float = 100, timeout: Optional[float] = 3600) -> dict:
    """New items -> pre-annotation -> annotation task -> wait -> export.

    The new items are ``item_ids`` (e.g. from a ``dataloop.item.created`` event) or those matching ``filters``
    (default: not annotated yet). ``pre_annotation`` runs once per item (its input named
    ``pre_annotation_input``), in parallel; then one annotation task covers the items, the flow waits until
    it reaches ``min_percent``, and the annotations are exported as JSON under ``export_dir``.

    Example:
        ```python
        from prefect_dataloop import DataloopDataset, DataloopFunction
        from prefect_dataloop.flows import annotate_new_items

        annotate_new_items(DataloopDataset.load("BLOCK_NAME"), ["annotator@example.com"], "batch-1", "./export",
                           pre_annotation=DataloopFunction.load("BLOCK_NAME"))
        ```
    """
    logger = get_run_logger()
    if item_ids is None:
        item_ids = [item["id"] for item in list_items(dataset, filters or {"annotated": False})]
    if not item_ids:
        logger.info("no new items: nothing to annotate")
        return {"items": 0, "item_ids": [], "pre_annotation": [], "task": None, "export": None}
    pre = []
    if pre_annotation is not None:
        started = execute_function.map(unmapped(pre_annotation),
                                       [{pre_annotation_input: item_id} for item_id in item_ids])
        finished = wait_for_execution.map(unmapped(pre_annotation.credentials),
                                          [future.result()["id"] for future in started], timeout=unmapped(timeout))
        pre = [{"id": s["id"], "status": s["status"]} for s in (future.result() for future in finished)]
        logger.info("pre-annotated %d item(s)", len(pre))
    task = create_annotation_task(dataset, task_name, assignee_ids, item_ids=item_ids)
    progress = wait_for_task_progress(dataset.credentials, task["id"], min_percent=min_percent, timeout=timeout)
    exported = export_annotations(dataset, export_dir, {"id": list(item_ids)})
    return {"items": len(item_ids), "item_ids": list(item_ids), "pre_annotation": pre,
            "task": {**task, "progress": progress["percent"], "status": progress["status"]}, "export": exported}
