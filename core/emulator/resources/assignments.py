"""Assignments (wire §3.11): listing, update, reassign/redistribute (commands) and item statuses.

Reassign and redistribute move only the items that have no status yet: finished work stays with whoever did
it. An assignment left without items is deleted.
"""
from __future__ import annotations

from typing import List

from .. import dql
from ..errors import BadRequest, NotFound
from ..routing import OBJECT, STRING, Route, nullable
from .organizations import check_email
from .projects import get_project
from .tasks import (CLEAR_OPERATIONS, SET_OPERATIONS, assignment_for, check_id, emit, find_ref, get_task,
                    move, parse_workload, refresh, split_counts, status_of, task_items, write_status)

LIST_FILTERS = (("status", "status"), ("name", "name"), ("annotator", "annotator"),
                ("taskId", "metadata.system.taskId"))


def get_assignment(ctx, assignment_id: str) -> dict:
    doc = ctx.store.get("assignment", check_id(assignment_id, "assignment"), "Assignment")
    get_project(ctx, doc["projectId"])
    return doc


def _task_of(ctx, assignment: dict, task_id) -> dict:
    """The assignment's task; 400 when the request names another task."""
    own = assignment["metadata"]["system"]["taskId"]
    if task_id not in (None, own):
        raise BadRequest(f"assignment {assignment['id']} belongs to task {own}, not {task_id}")
    return get_task(ctx, own)


# -- reads / update ----------------------------------------------------------------------------------
def list_assignments(ctx):
    """``GET /assignments?projects=a,b[&status][&name][&annotator][&taskId][&pageOffset][&pageSize]``: a page."""
    project_ids = [p for p in ctx.args.get("projects", "").split(",") if p]
    if not project_ids:
        raise BadRequest("projects is required: the project ids to list assignments of")
    for project_id in project_ids:
        get_project(ctx, project_id)
    clauses = [{field: ctx.args[arg]} for arg, field in LIST_FILTERS if ctx.args.get(arg)]
    body = {"filter": {"$and": clauses}, "page": ctx.args.get("pageOffset", 0),
            "pageSize": ctx.args.get("pageSize", 500)}
    return dql.query(ctx.store, "assignment", body, scope=project_ids)


def get_one(ctx, assignment_id):
    return get_assignment(ctx, assignment_id)


def update(ctx, assignment_id):
    """Rename, or change ``metadata`` (``metadata.system`` only with ``?system=true``; task links stay)."""
    body = ctx.json_object({"name": STRING, "metadata": nullable(OBJECT), "metadata.system": nullable(OBJECT)})
    with ctx.store.transaction():
        doc = get_assignment(ctx, assignment_id)
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise BadRequest("assignment name must be a non-empty string")
            doc["name"] = body["name"]
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        system = doc["metadata"]["system"]
        if ctx.flag("system") and isinstance(metadata.get("system"), dict):
            system = {**metadata["system"], "taskId": system["taskId"], "datasetId": system["datasetId"]}
        doc["metadata"] = {**{k: v for k, v in metadata.items() if k != "system"}, "system": system}
        doc["updatedBy"] = ctx.user
        ctx.store.replace("assignment", doc)
    emit(ctx, "Assignment", "Updated", doc)
    return doc


# -- moving items -------------------------------------------------------------------------------------
def _open_items(ctx, task: dict, assignment_id: str) -> List[dict]:
    """The assignment's items that have no status yet."""
    return [i for i in task_items(ctx, task) if find_ref(i, assignment_id) and status_of(i, task["id"]) is None]


def _drop_if_empty(ctx, task: dict, assignment_id: str) -> None:
    if not any(find_ref(i, assignment_id) for i in task_items(ctx, task)):
        task["assignmentIds"] = [a for a in task["assignmentIds"] if a != assignment_id]
        ctx.store.delete("assignment", assignment_id)


def reassign(ctx, assignment_id):
    """Move the assignment's unfinished items to ``annotator`` (their assignment in the task, or a new one)."""
    body = ctx.json_object()
    source = get_assignment(ctx, assignment_id)
    task = _task_of(ctx, source, body.get("taskId"))
    annotator = check_email(body.get("annotator")).lower()
    if annotator == source["annotator"]:
        raise BadRequest(f"assignment {assignment_id} is already assigned to {annotator}")
    api_url, user = ctx.api_url, ctx.user

    def work(progress):
        with ctx.store.transaction():
            current = ctx.store.get("task", task["id"], "Task")
            target = assignment_for(ctx, current, annotator, api_url, user)
            for item in _open_items(ctx, current, assignment_id):
                move(item, assignment_id, target["id"])
                ctx.store.replace("item", item)
            _drop_if_empty(ctx, current, assignment_id)
            refresh(ctx, current)
        emit(ctx, "Task", "Updated", current)
        return {"toAssignment": target["id"]}

    return ctx.commands.submit(api_url, "ReassignAssignment", {"fromAssignment": assignment_id}, work, creator=user)


def redistribute(ctx, assignment_id):
    """Split the assignment's unfinished items among the workload's assignees by their loads."""
    body = ctx.json_object()
    source = get_assignment(ctx, assignment_id)
    task = _task_of(ctx, source, body.get("taskId"))
    workload = parse_workload(body.get("workload"))
    api_url, user = ctx.api_url, ctx.user

    def work(progress):
        with ctx.store.transaction():
            current = ctx.store.get("task", task["id"], "Task")
            items = _open_items(ctx, current, assignment_id)
            start = 0
            for unit, count in zip(workload, split_counts(len(items), [u["load"] for u in workload])):
                target = assignment_for(ctx, current, unit["assigneeId"], api_url, user)
                for item in items[start:start + count]:
                    if target["id"] != assignment_id:
                        move(item, assignment_id, target["id"])
                        ctx.store.replace("item", item)
                start += count
            _drop_if_empty(ctx, current, assignment_id)
            refresh(ctx, current)
        emit(ctx, "Task", "Updated", current)
        return {"workload": workload}

    return ctx.commands.submit(api_url, "RedistributeAssignment", {"fromAssignment": assignment_id}, work,
                               creator=user)


# -- item statuses ------------------------------------------------------------------------------------
def _status(payload: dict, task: dict):
    """The status to set, or ``None`` to clear; 400 for an unknown operation or action."""
    operation, status = payload.get("operation"), payload.get("status")
    if operation not in SET_OPERATIONS + CLEAR_OPERATIONS:
        raise BadRequest(f"operation must be 'create' or 'delete', got {operation!r}")
    allowed = [a.get("action") for a in task.get("availableActions") or []]
    if status not in allowed:
        raise BadRequest(f"status {status!r} is not an action of task {task['id']}; expected one of: "
                         f"{', '.join(map(str, allowed))}")
    return status if operation in SET_OPERATIONS else None


def _apply(ctx, task_id: str, item_ids: List[str], status) -> dict:
    """Write the statuses and the task's progress in one transaction; then announce each change."""
    with ctx.store.transaction():
        task = ctx.store.get("task", task_id, "Task")
        items = [i for i in (ctx.store.find("item", item_id) for item_id in item_ids) if i and find_ref(i, task_id)]
        results = {item["id"]: write_status(item, task, status, ctx.user) for item in items}
        for item in items:
            ctx.store.replace("item", item)
        refresh(ctx, task)
    emit(ctx, "ItemStatus", "statusChanged", *items)
    return results


def task_status(ctx, task_id):
    """``{"itemIds", "statusPayload": {operation, status}}``; answers ``{itemId: change}`` for updated items."""
    body = ctx.json_object()
    task = get_task(ctx, task_id)
    status = _status(body.get("statusPayload") or {}, task)
    item_ids = body.get("itemIds")
    if not isinstance(item_ids, list) or not item_ids:
        raise BadRequest("itemIds must be a non-empty list of item ids")
    return _apply(ctx, task["id"], [check_id(i, "item") for i in item_ids], status)


def assignment_status(ctx, assignment_id, item_id):
    body = ctx.json_object()
    assignment = get_assignment(ctx, assignment_id)
    task = _task_of(ctx, assignment, None)
    status = _status(body, task)
    item = ctx.store.get("item", check_id(item_id, "item"), "Item")
    if find_ref(item, assignment_id) is None:
        raise NotFound(f"Item {item_id} is not in assignment {assignment_id}")
    return _apply(ctx, task["id"], [item_id], status)[item_id]


ROUTES = [
    Route("GET", "/assignments", list_assignments),
    Route("POST", "/assignments/items/tasks/<task_id>/status", task_status),
    Route("GET", "/assignments/<assignment_id>", get_one),
    Route("PATCH", "/assignments/<assignment_id>", update),
    Route("POST", "/assignments/<assignment_id>/reassign", reassign),
    Route("POST", "/assignments/<assignment_id>/redistribute", redistribute),
    Route("POST", "/assignments/<assignment_id>/items/<item_id>/status", assignment_status),
]
