"""Small Prefect tasks over the blocks; each logs through ``get_run_logger`` and returns plain JSON.

Retries only where running twice is harmless: uploads skip what exists, syncs resume from their journal,
exports and reads change nothing. Creating tasks and starting runs are not retried.
"""
from __future__ import annotations

from typing import List, Optional, Union

from prefect import get_run_logger, task

from dataloop_core import Filters

from . import artifacts
from .credentials import DataloopCredentials
from .datasets import DataloopDataset, as_filters
from .jobs import DataloopFunction, DataloopJobRun, DataloopPipeline

IDEMPOTENT = {"retries": 2, "retry_delay_seconds": [1, 5]}


# -- items and sync ----------------------------------------------------------------------------------
@task(name="Upload to a Dataloop dataset", **IDEMPOTENT)
def upload_to_dataset(dataset: DataloopDataset, local_path: str, remote_path: Optional[str] = None) -> dict:
    """Upload a file or a folder's files (existing items are skipped, so a retry is safe).

    Example:
        ```python
        from prefect import flow
        from prefect_dataloop import DataloopDataset
        from prefect_dataloop.tasks import upload_to_dataset

        @flow
        def upload():
            return upload_to_dataset(DataloopDataset.load("BLOCK_NAME"), "./images")
        ```
    """
    result = dataset.upload(local_path, remote_path)
    get_run_logger().info("uploaded %d file(s) to %s", result["uploaded"], dataset.dataset_name)
    return result


class SyncIncomplete(RuntimeError):
    """Some files of a sync failed (the others are committed: a retry or re-run sends only what is missing)."""

    def __init__(self, summary: dict):
        self.summary = summary
        first = "; ".join(f"{f['path']}: {f['reason']}" for f in summary["failed"][:3])
        super().__init__(f"{summary['direction']} shard {summary.get('shard') or 'all'}: "
                         f"{summary['failed_count']} file(s) failed ({first})")


def _sync(dataset: DataloopDataset, direction: str, local_dir: str, shard, allow_failures: bool,
          **options) -> dict:
    progress = artifacts.ProgressArtifact(f"Dataloop {direction} {local_dir} ({shard or 'all'})")
    method = dataset.push_folder if direction == "push" else dataset.pull_folder
    summary = method(local_dir, shard=shard, progress=progress.on_sync, **options)
    artifacts.sync_summary_table(summary, f"{direction} of {local_dir}, shard {shard or 'all'}")
    get_run_logger().info("%s shard %s: transferred %d, skipped %d, failed %d", direction, shard or "all",
                          summary["transferred"], summary["skipped"], summary["failed_count"])
    if not summary["ok"] and not allow_failures:
        raise SyncIncomplete(summary)
    return summary


@task(name="Sync push (one shard)", **IDEMPOTENT)
def sync_push_shard(dataset: DataloopDataset, local_dir: str, shard: Optional[str] = None, workers: int = 16,
                    allow_failures: bool = False) -> dict:
    """Push one shard (``"i/n"``) of ``local_dir`` into the dataset; the shard's sync summary.

    Files that fail raise ``SyncIncomplete`` (so Prefect retries the shard, which resumes and sends only
    what is missing) unless ``allow_failures``, which returns the summary with them.
    """
    return _sync(dataset, "push", local_dir, shard, allow_failures, workers=workers)


@task(name="Sync pull (one shard)", **IDEMPOTENT)
def sync_pull_shard(dataset: DataloopDataset, local_dir: str, shard: Optional[str] = None,
                    filters: Optional[dict] = None, workers: int = 16, allow_failures: bool = False) -> dict:
    """Pull one shard (``"i/n"``) of the dataset into ``local_dir``; the shard's sync summary (failures as in
    :func:`sync_push_shard`)."""
    return _sync(dataset, "pull", local_dir, shard, allow_failures, filters=filters, workers=workers)


@task(name="List Dataloop items", **IDEMPOTENT)
def list_items(dataset: DataloopDataset, filters: Optional[dict] = None, limit: int = 1000) -> List[dict]:
    """Items matching ``filters`` (e.g. ``{"dir": "/raw", "annotated": False}``), at most ``limit``."""
    found = dataset.list_items(filters, limit)
    get_run_logger().info("%d item(s) match %s", len(found), filters or "{}")
    return found


@task(name="Export Dataloop annotations", **IDEMPOTENT)
def export_annotations(dataset: DataloopDataset, local_path: str, filters: Optional[dict] = None) -> dict:
    """Export the matching items with their annotations as JSON; path and counts."""
    result = dataset.export_annotations(local_path, filters)
    get_run_logger().info("exported %d item(s), %d annotation(s) to %s", result["items"], result["annotations"],
                          result["path"])
    return result


# -- annotation tasks ---------------------------------------------------------------------------------
def _task_json(task_entity) -> dict:
    return {"id": task_entity.id, "name": task_entity.name, "status": task_entity.status,
            "total_items": task_entity.total_items, "progress": task_entity.progress,
            "url": task_entity.platform_url}


def _items_filters(item_ids: Optional[List[str]], filters: Union[None, dict, Filters]) -> Optional[Filters]:
    if item_ids is not None and filters is not None:
        raise ValueError("pass item_ids or filters, not both")
    if item_ids is not None:
        if not item_ids:
            raise ValueError("item_ids is empty: there is nothing to put in the task")
        return as_filters({"id": list(item_ids)})
    return as_filters(filters)


@task(name="Create a Dataloop annotation task")
def create_annotation_task(dataset: DataloopDataset, task_name: str, assignee_ids: List[str],
                           item_ids: Optional[List[str]] = None, filters: Optional[dict] = None,
                           task_type: str = "annotation") -> dict:
    """Create an annotation task over ``item_ids`` or ``filters`` (all items when neither), split evenly."""
    selection = _items_filters(item_ids, filters)
    entity = dataset.get_dataset().tasks.create(task_name=task_name, assignee_ids=list(assignee_ids),
                                                filters=selection, task_type=task_type)
    result = _task_json(entity)
    get_run_logger().info("created %s task %s with %d item(s)", task_type, entity.name, entity.total_items)
    artifacts.links(f"Task {entity.name}", [(f"Task {entity.name}", result["url"])])
    return result


@task(name="Create a Dataloop QA task")
def create_qa_task(credentials: DataloopCredentials, task_id: str, assignee_ids: List[str]) -> dict:
    """A QA task (``<name>_qa``) over the items of an annotation task that already have a status."""
    client = credentials.get_client()
    parent = client.tasks.get(task_id=task_id)
    entity = client.tasks.create_qa_task(task=parent, assignee_ids=list(assignee_ids))
    get_run_logger().info("created QA task %s with %d item(s)", entity.name, entity.total_items)
    return _task_json(entity)


@task(name="Add items to a Dataloop task")
def add_items_to_task(credentials: DataloopCredentials, task_id: str, item_ids: Optional[List[str]] = None,
                      filters: Optional[dict] = None, assignee_ids: Optional[List[str]] = None) -> dict:
    """Add ``item_ids`` or the items matching ``filters`` to a task; the task afterwards."""
    client = credentials.get_client()
    entity = client.tasks.add_items(task_id=task_id, filters=_items_filters(item_ids, filters),
                                    assignee_ids=list(assignee_ids) if assignee_ids else None)
    get_run_logger().info("task %s now has %d item(s)", entity.name, entity.total_items)
    return _task_json(entity)


# -- runs -------------------------------------------------------------------------------------------
@task(name="Execute a Dataloop function")
def execute_function(function: DataloopFunction, execution_input: Optional[dict] = None) -> dict:
    """Start one execution; ``{"kind", "id"}`` to wait on."""
    run = function.trigger(execution_input, _sync=True)
    return {"kind": run.kind, "id": run.run_id}


@task(name="Execute a Dataloop pipeline")
def execute_pipeline(pipeline: DataloopPipeline, execution_input: Optional[dict] = None) -> dict:
    """Start one pipeline execution; ``{"kind", "id", "pipeline_id"}`` to wait on."""
    run = pipeline.trigger(execution_input, _sync=True)
    return {"kind": run.kind, "id": run.run_id, "pipeline_id": run.options["pipeline_id"]}


def _wait(credentials: DataloopCredentials, kind: str, run_id: str, timeout: Optional[float],
          poll_interval: Optional[float], **options) -> dict:
    run = DataloopJobRun(credentials, kind, run_id, timeout=timeout, poll_interval=poll_interval, **options)
    return run.wait_for_completion(_sync=True)


@task(name="Wait for a Dataloop execution")
def wait_for_execution(credentials: DataloopCredentials, execution_id: str, timeout: Optional[float] = 3600,
                       poll_interval: Optional[float] = None) -> dict:
    """Wait until the execution ends; its final status (with ``output``). Raises ``RunFailed``/``RunTimeout``."""
    return _wait(credentials, "execution", execution_id, timeout, poll_interval)


@task(name="Wait for a Dataloop pipeline execution")
def wait_for_pipeline_execution(credentials: DataloopCredentials, execution_id: str,
                                pipeline_id: Optional[str] = None, timeout: Optional[float] = 3600,
                                poll_interval: Optional[float] = None) -> dict:
    """Wait until the pipeline execution ends; its final status."""
    return _wait(credentials, "pipeline_execution", execution_id, timeout, poll_interval, pipeline_id=pipeline_id)


@task(name="Wait for a Dataloop command")
def wait_for_command(credentials: DataloopCredentials, command_id: str, timeout: Optional[float] = 3600,
                     poll_interval: Optional[float] = None) -> dict:
    """Wait until the command (a clone, an export, a task creation...) ends; its final status."""
    return _wait(credentials, "command", command_id, timeout, poll_interval)


@task(name="Wait for a Dataloop task's progress")
def wait_for_task_progress(credentials: DataloopCredentials, task_id: str, min_percent: float = 100,
                           statuses: Optional[List[str]] = None, timeout: Optional[float] = 3600,
                           poll_interval: Optional[float] = None) -> dict:
    """Wait until the annotation task reaches ``min_percent`` (or every item has one of ``statuses``)."""
    options = {"statuses": list(statuses)} if statuses else {"min_percent": min_percent}
    return _wait(credentials, "task", task_id, timeout, poll_interval, **options)


__all__ = ["upload_to_dataset", "sync_push_shard", "sync_pull_shard", "SyncIncomplete", "list_items",
           "export_annotations", "create_annotation_task", "create_qa_task", "add_items_to_task", "execute_function",
           "execute_pipeline", "wait_for_execution", "wait_for_pipeline_execution", "wait_for_command",
           "wait_for_task_progress"]
