"""Read-only lookups for the console pages: one entity by id, checked against the project of its URL.

A project is visible as in the API (the caller must be a member); an entity whose URL names another project,
dataset, task, service or pipeline than its own is not found.
"""
from __future__ import annotations

from typing import Optional

from ..errors import BadRequest, not_found
from ..ids import is_object_id
from ..resources.projects import get_project

LABELS = {"dataset": "Dataset", "item": "Item", "task": "Task", "assignment": "Assignment", "service": "Service",
          "execution": "Execution", "pipeline": "Pipeline", "pipeline_execution": "Pipeline execution",
          "package": "Package", "trigger": "Trigger", "recipe": "Recipe", "command": "Command", "org": "Organization"}


def check_id(value: str, what: str) -> str:
    """400 naming ``what`` for a value that is not a 24-hex id."""
    if not is_object_id(value):
        raise BadRequest(f"invalid {what}: {value!r} (expected 24 hex characters)")
    return value


def entity(ctx, kind: str, entity_id: str) -> dict:
    """400 for a malformed id, 404 naming the entity for an unknown one."""
    check_id(entity_id, f"{LABELS[kind].lower()} id")
    return ctx.store.get(kind, entity_id, LABELS[kind])


def project(ctx, project_id: str) -> dict:
    return get_project(ctx, project_id)


def in_project(ctx, kind: str, project_id: str, entity_id: str, key: str = "projectId") -> dict:
    """An entity whose ``key`` (``projectId``) is the (visible) project of the URL."""
    project(ctx, project_id)
    doc = entity(ctx, kind, entity_id)
    owner = doc.get(key)
    if owner != project_id and not (isinstance(owner, list) and project_id in owner):
        raise not_found(LABELS[kind], entity_id)
    return doc


def dataset(ctx, project_id: str, dataset_id: str) -> dict:
    return in_project(ctx, "dataset", project_id, dataset_id, key="projects")


def child(ctx, kind: str, parent_id: str, entity_id: str, key: str) -> dict:
    """An entity whose ``key`` (``datasetId``, ``serviceId``, ``pipelineId``...) is the parent of the URL."""
    doc = entity(ctx, kind, entity_id)
    if doc.get(key) != parent_id:
        raise not_found(LABELS[kind], entity_id)
    return doc


def task_of(doc: dict) -> Optional[str]:
    """The task id of an assignment."""
    return ((doc.get("metadata") or {}).get("system") or {}).get("taskId")
