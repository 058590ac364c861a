"""Dataloop outcomes and changes as Prefect events, so automations and deployment triggers can react to them.

Names are ``dataloop.<object>.<what happened>`` and resource ids ``dataloop.<object>.<id>``, the same whether a
flow of this package emits them (sync and job outcomes) or the bridge relays a change seen in a
``dataloop_core.feed`` (new items, a task completed, a run finished):

| event | resource | related |
| --- | --- | --- |
| ``dataloop.dataset.sync.completed`` / ``.failed`` / ``.cancelled`` | ``dataloop.dataset.<id>`` | |
| ``dataloop.execution.succeeded`` / ``.failed`` / ``.cancelled`` / ``.timed-out`` | ``dataloop.execution.<id>`` | |
| ``dataloop.pipeline.execution.<outcome>`` | ``dataloop.pipeline.execution.<id>`` | ``dataloop.pipeline.<id>`` |
| ``dataloop.command.<outcome>``, ``dataloop.task.<outcome>`` | ``dataloop.command.<id>``, ``dataloop.task.<id>`` | |
| ``dataloop.item.created`` / ``.updated`` | ``dataloop.item.<id>`` | ``dataloop.dataset.<id>`` |
| ``dataloop.task.completed`` | ``dataloop.task.<id>`` | |
"""
from __future__ import annotations

from typing import Any, Optional

from prefect.events import emit_event

PREFIX = "dataloop"
OBJECTS = {"execution": "execution", "pipeline_execution": "pipeline.execution", "command": "command",
           "task": "task"}


def resource(obj: str, object_id: str, name: Optional[str] = None, role: Optional[str] = None) -> dict:
    """A Prefect resource (or related resource, with ``role``) for one Dataloop object."""
    spec = {"prefect.resource.id": f"{PREFIX}.{obj}.{object_id}"}
    if name:
        spec["prefect.resource.name"] = name
    if role:
        spec["prefect.resource.role"] = role
    return spec


def emit(event: str, subject: dict, payload: Optional[dict] = None, related: tuple = ()) -> Optional[Any]:
    """Emit ``dataloop.<event>`` about ``subject`` (a :func:`resource`); returns the event (None if disabled)."""
    return emit_event(event=f"{PREFIX}.{event}", resource=subject, related=list(related) or None,
                      payload=payload or {})


def run_outcome(status: dict, outcome: Optional[str] = None, related: tuple = ()) -> Optional[Any]:
    """Emit a job's outcome from its ``RunStatus.to_dict()``: succeeded, failed, or ``outcome`` when given
    (``cancelled``, ``timed-out``)."""
    obj = OBJECTS[status["kind"]]
    outcome = outcome or ("succeeded" if status["succeeded"] else "failed")
    payload = {k: status.get(k) for k in ("status", "message", "percent")}
    return emit(f"{obj}.{outcome}", resource(obj, status["id"]), payload, related)


def sync_outcome(dataset_id: str, dataset_name: Optional[str], summary: dict) -> Optional[Any]:
    """Emit ``dataloop.dataset.sync.completed|failed|cancelled`` with the summary's counts as payload."""
    outcome = "cancelled" if summary.get("cancelled") else "completed" if summary.get("ok") else "failed"
    payload = {k: summary.get(k) for k in ("direction", "transferred", "skipped", "deleted", "failed_count",
                                           "bytes", "seconds")}
    return emit(f"dataset.sync.{outcome}", resource("dataset", dataset_id, dataset_name), payload)


def change_event(change, dataset_id: Optional[str] = None) -> Optional[Any]:
    """Relay one ``dataloop_core.feed.Change`` as a Prefect event (see the table above)."""
    data = dict(change.data or {})
    if change.kind in ("item_created", "item_updated"):
        related = (resource("dataset", dataset_id or data.get("datasetId", ""), role="dataset"),)
        return emit(f"item.{change.kind.split('_')[1]}", resource("item", change.id, data.get("filename")),
                    {**data, "at": change.at}, related)
    if change.kind == "task_completed":
        return emit("task.completed", resource("task", change.id, data.get("name")), {**data, "at": change.at})
    if change.kind == "run_finished":
        kind = data.get("kind", "execution")
        status = {"kind": kind, "id": change.id, "succeeded": data.get("succeeded", False), **data}
        related = tuple(resource(obj, data[key], role=obj) for obj, key in (("pipeline", "pipelineId"),
                                                                            ("service", "serviceId")) if data.get(key))
        return run_outcome(status, related=related)
    raise ValueError(f"unknown change kind {change.kind!r}")
