"""Tasks (wire §3.10, §6): annotation/QA tasks over a dataset's items, split into assignments by workload.

Membership lives in each item's ``metadata.system.refs``: ``{"type": "task", "id", "metadata": {}}`` plus
``{"type": "assignment", "id", "metadata": {}}``; a status set on the item adds ``metadata.status`` to both refs
(absent until then, so the QA query ``metadata.status $exists`` finds finished items only) and a line in
``metadata.system.taskStatusLog``. Progress, item-status counts and the ``completed`` status of tasks and
assignments are derived from those refs after every change, in the same transaction.
"""
from __future__ import annotations

import json
from typing import List, Optional

from .. import dql
from ..errors import BadRequest
from ..ids import is_object_id, now_iso
from ..routing import LIST, NUMBER, OBJECT, STRING, Route, nullable
from . import _consensus
from . import _item_docs as docs
from .datasets import get_dataset
from .organizations import check_email
from .projects import get_project

DEFAULT_ACTIONS = {"annotation": ("completed", "discard"), "qa": ("approved", "discard")}
SET_OPERATIONS, CLEAR_OPERATIONS = ("create", "created"), ("delete", "deleted")
EDITABLE = ("name", "dueDate", "priority", "description", "taskOwner", "availableActions")
UPDATE_SHAPE = {"name": STRING, "dueDate": nullable(NUMBER), "priority": nullable(NUMBER),
                "taskOwner": nullable(STRING), "availableActions": nullable(LIST), "metadata": nullable(OBJECT),
                "metadata.user": nullable(OBJECT)}


# -- lookups and validation ------------------------------------------------------------------------
def check_id(value, entity: str) -> str:
    if not is_object_id(value):
        raise BadRequest(f"invalid {entity} id: {value!r} (expected 24 hex characters)")
    return value


def get_task(ctx, task_id: str) -> dict:
    """400 malformed id, 404 unknown, 403 when the caller is not in the task's project."""
    doc = ctx.store.get("task", check_id(task_id, "task"), "Task")
    get_project(ctx, doc["projectId"])
    return doc


def parse_query(raw) -> dict:
    """The task's item query: a DQL body as a JSON string (as the SDK sends it) or an object."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(f"query is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise BadRequest("query is required: a DQL body selecting the task's items")
    return raw


def parse_workload(raw) -> List[dict]:
    """``[{"assigneeId": email, "load": percent}]``: distinct emails, loads summing to 100. None or [] is a task
    without assignees (the platform accepts one: a pulling task, or assignees added later)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRequest(f"workload must be a list of {{assigneeId, load}}, got {type(raw).__name__}")
    units, seen = [], set()
    for unit in raw:
        if not isinstance(unit, dict):
            raise BadRequest(f"workload entries must be objects, got {unit!r}")
        email = check_email(unit.get("assigneeId")).lower()
        load = unit.get("load")
        if isinstance(load, bool) or not isinstance(load, (int, float)) or not 0 <= load <= 100:
            raise BadRequest(f"load of {email} must be a number between 0 and 100, got {load!r}")
        if email in seen:
            raise BadRequest(f"assignee {email} appears twice in the workload")
        seen.add(email)
        units.append({"assigneeId": email, "load": load})
    total = sum(u["load"] for u in units)
    if units and round(total) != 100:
        raise BadRequest(f"workload loads must sum to 100, got {total}")
    return units


def parse_limit(raw) -> Optional[int]:
    """The optional cap on the number of items a task takes."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise BadRequest(f"limit must be a positive integer, got {raw!r}")
    return raw


def split_counts(total: int, loads: List[float]) -> List[int]:
    """Item counts per load (largest remainder; ties go to the earlier assignee): 10 by 60/40 -> [6, 4]."""
    exact = [total * load / 100 for load in loads]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(loads)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def select_items(ctx, dataset_id: str, query: dict, limit=None) -> List[dict]:
    """Items of the dataset matching the DQL body, in id order (at most ``limit``)."""
    items = list(dql.select(ctx.store, "item", query.get("filter"), scope=dataset_id, join=query.get("join")))
    return items[:limit] if limit else items


def task_items(ctx, task: dict) -> List[dict]:
    return list(dql.select(ctx.store, "item", {"metadata.system.refs.id": task["id"]}, scope=task["datasetId"]))


# -- refs on items ---------------------------------------------------------------------------------
def refs(item: dict) -> list:
    return item.setdefault("metadata", {}).setdefault("system", {}).setdefault("refs", [])


def find_ref(item: dict, ref_id: str) -> Optional[dict]:
    return next((r for r in refs(item) if r.get("id") == ref_id), None)


def status_of(item: dict, ref_id: str) -> Optional[str]:
    ref = find_ref(item, ref_id)
    return ((ref or {}).get("metadata") or {}).get("status")


def assignment_of(item: dict, task: dict) -> Optional[str]:
    """The id of the item's assignment within the task."""
    ids = set(task.get("assignmentIds") or [])
    return next((r["id"] for r in refs(item) if r.get("type") == "assignment" and r.get("id") in ids), None)


def attach(item: dict, task_id: str, assignment_id: Optional[str]) -> None:
    """Refs to the task and (unless the task has no assignees) to the item's assignment."""
    refs(item).append({"type": "task", "id": task_id, "metadata": {}})
    if assignment_id is not None:
        refs(item).append({"type": "assignment", "id": assignment_id, "metadata": {}})


def detach(item: dict, ref_ids) -> None:
    item["metadata"]["system"]["refs"] = [r for r in refs(item) if r.get("id") not in set(ref_ids)]


def move(item: dict, from_id: str, to_id: str) -> None:
    """Hand the item from one assignment to another (its status in the assignment goes along)."""
    find_ref(item, from_id)["id"] = to_id


def write_status(item: dict, task: dict, status: Optional[str], user: str) -> dict:
    """Set (or clear, with ``None``) the item's status in the task and its assignment; log the change."""
    assignment_id = assignment_of(item, task)
    previous = status_of(item, task["id"])
    for ref_id in (task["id"], assignment_id):
        ref = find_ref(item, ref_id) if ref_id else None
        if ref is None:
            continue
        metadata = ref.setdefault("metadata", {})
        if status is None:
            metadata.pop("status", None)
        else:
            metadata["status"] = status
    item["metadata"]["system"].setdefault("taskStatusLog", []).append(
        {"status": status if status is not None else previous, "operation": "created" if status else "deleted",
         "creator": user, "timestamp": now_iso(), "taskId": task["id"], "assignmentId": assignment_id})
    return {"status": status, "previousStatus": previous, "taskId": task["id"], "assignmentId": assignment_id}


# -- documents -------------------------------------------------------------------------------------
def new_assignment(ctx, task: dict, annotator: str, api_url: str, user: str) -> dict:
    """Insert an assignment of ``task`` for ``annotator`` and list it on the task (caller's transaction)."""
    assignment_id = ctx.store.new_id()
    doc = {"id": assignment_id, "name": f"{task['name']} ({annotator})", "annotator": annotator, "status": "open",
           "projectId": task["projectId"], "url": f"{api_url}/assignments/{assignment_id}", "creator": user,
           "updatedBy": user, "metadata": {"system": {"taskId": task["id"], "datasetId": task["datasetId"]}},
           "itemStatus": {}, "annotationStatus": {}, "progress": 0, "totalItems": 0, "forReview": 0, "issues": 0}
    ctx.store.insert("assignment", doc, scope=task["projectId"])
    task.setdefault("assignmentIds", []).append(assignment_id)
    return doc


def worker_assignments(task: dict) -> List[str]:
    """The task's assignment ids other than the consensus assignment (which holds originals, not work)."""
    return [a for a in task.get("assignmentIds") or [] if a != _consensus.consensus_id(task)]


def assignment_for(ctx, task: dict, annotator: str, api_url: str, user: str) -> dict:
    """The annotator's assignment in the task, created when there is none."""
    for assignment_id in worker_assignments(task):
        doc = ctx.store.find("assignment", assignment_id)
        if doc is not None and doc["annotator"] == annotator:
            return doc
    return new_assignment(ctx, task, annotator, api_url, user)


def distribute(ctx, task: dict, items: List[dict], workload: List[dict], api_url: str, user: str) -> None:
    """Give consecutive blocks of ``items`` to the workload's assignees by load and write the refs (a task without
    assignees takes the items unassigned)."""
    if not workload:
        for item in items:
            attach(item, task["id"], None)
            ctx.store.replace("item", item)
        return
    counts = split_counts(len(items), [u["load"] for u in workload])
    start = 0
    for unit, count in zip(workload, counts):
        assignment = assignment_for(ctx, task, unit["assigneeId"], api_url, user)
        for item in items[start:start + count]:
            attach(item, task["id"], assignment["id"])
            ctx.store.replace("item", item)
        start += count


# item count per status of one task or assignment, aggregated by SQLite (no per-item JSON parsing in Python)
_STATUS_COUNTS = ("SELECT json_extract(r.value, '$.metadata.status'), count(*) FROM docs d, "
                  "json_each(d.doc, '$.metadata.system.refs') r WHERE d.kind = 'item' AND d.scope = ? "
                  "AND json_extract(r.value, '$.id') = ? GROUP BY 1")


def _progress(ctx, doc: dict, dataset_id: str) -> None:
    """Set ``totalItems``, ``itemStatus``, ``progress`` and ``status`` from the items' refs to ``doc``."""
    total, counts = 0, {}
    for status, count in ctx.store.execute(_STATUS_COUNTS, (dataset_id, doc["id"])):
        total += count
        if status is not None:
            counts[status] = count
    done = sum(counts.values())
    doc.update(totalItems=total, itemStatus=counts, progress=round(100 * done / total) if total else 0,
               status="completed" if total and done == total else "open")


def refresh(ctx, task: dict) -> dict:
    """Recompute and store the progress of the task and of each of its assignments."""
    _progress(ctx, task, task["datasetId"])
    for assignment_id in task.get("assignmentIds") or []:
        assignment = ctx.store.find("assignment", assignment_id)
        if assignment is not None:
            _progress(ctx, assignment, task["datasetId"])
            ctx.store.replace("assignment", assignment)
    return ctx.store.replace("task", task)


def emit(ctx, resource: str, action: str, *docs) -> None:
    for doc in docs:
        ctx.emulator.events.emit(resource, action, doc)


# -- create ----------------------------------------------------------------------------------------
def _actions(raw, task_type: str) -> list:
    if raw is None:
        return [{"action": a, "displayName": a.capitalize(), "color": "#FFFFFF"} for a in DEFAULT_ACTIONS[task_type]]
    if not isinstance(raw, list) or not all(isinstance(a, dict) and isinstance(a.get("action"), str) for a in raw):
        raise BadRequest("availableActions must be a list of {action, displayName, color}")
    return raw


def _check_name(name) -> str:
    """Any non-empty name: the platform lets tasks of a project share a name."""
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("task name must be a non-empty string")
    return name


def _new_task(ctx, body: dict, dataset: dict, api_url: str) -> dict:
    spec = body.get("spec") or {}
    task_type = spec.get("type", "annotation")
    if task_type not in DEFAULT_ACTIONS:
        raise BadRequest(f"spec.type must be 'annotation' or 'qa', got {task_type!r}")
    if task_type == "qa":
        get_task(ctx, spec.get("parentTaskId"))
    project_id = dataset["projects"][0]
    if body.get("projectId") not in (None, project_id):
        raise BadRequest(f"dataset {dataset['id']} does not belong to project {body['projectId']}")
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    task_id = ctx.store.new_id()
    return {"id": task_id, "name": _check_name(body.get("name")), "status": "open",
            "projectId": project_id, "datasetId": dataset["id"], "recipeId": body.get("recipeId"),
            "url": f"{api_url}/annotationtasks/{task_id}", "creator": ctx.user,
            "taskOwner": body.get("taskOwner") or ctx.user, "dueDate": body.get("dueDate"), "spec": spec,
            "query": body["query"] if isinstance(body["query"], str) else json.dumps(body["query"]),
            "metadata": {**metadata, "system": dict(metadata.get("system") or {})}, "assignmentIds": [],
            "itemStatus": {}, "annotationStatus": {}, "progress": 0, "totalItems": 0, "forReview": 0, "issues": 0,
            "availableActions": _actions(body.get("availableActions"), task_type),
            "priority": body.get("priority", 2), "description": body.get("description")}


def create_empty(ctx, body: dict, dataset: dict) -> dict:
    """A task without items yet, one assignment per ``body["workload"]`` unit; pipeline task nodes fill it item
    by item with :func:`add_item`. Runs in the caller's transaction."""
    workload = parse_workload(body.get("workload"))
    task = _new_task(ctx, {**body, "query": body.get("query") or {"filter": {}}}, dataset, ctx.api_url)
    ctx.store.insert("task", task, scope=task["projectId"])
    for unit in workload:
        assignment_for(ctx, task, unit["assigneeId"], ctx.api_url, ctx.user)
    return refresh(ctx, task)


def add_item(ctx, task: dict, item: dict, workload: List[dict]) -> dict:
    """Put one item in the task, assigned to whoever is furthest below their ``workload`` share (or clear its
    status when it is already there, so it is worked on again). Runs in the caller's transaction."""
    if find_ref(item, task["id"]) is not None:
        write_status(item, task, None, ctx.user)
    elif not workload:
        attach(item, task["id"], None)
    else:
        assignments = [assignment_for(ctx, task, u["assigneeId"], ctx.api_url, ctx.user) for u in workload]
        total = sum(a.get("totalItems") or 0 for a in assignments) + 1
        shares = [u["load"] * total / 100 - (a.get("totalItems") or 0) for u, a in zip(workload, assignments)]
        attach(item, task["id"], assignments[shares.index(max(shares))]["id"])
    ctx.store.replace("item", item)
    return refresh(ctx, task)


def _existing(ctx, body: dict, project_id: str) -> Optional[dict]:
    check = body.get("checkIfExist")
    if not isinstance(check, dict):
        return None
    found = dql.query(ctx.store, "task", {**(check.get("query") or {}), "page": 0, "pageSize": 1}, scope=project_id)
    return found["items"][0] if found["items"] else None


def create(ctx):
    """Validate, then build the task, its assignments and the item refs in one transaction (a command)."""
    body = ctx.json_object()
    if not isinstance(body.get("datasetId"), str):
        raise BadRequest("datasetId is required: the id of the dataset the task is over")
    dataset = get_dataset(ctx, body["datasetId"])
    existing = _existing(ctx, body, dataset["projects"][0])
    if existing is not None:
        return existing
    query, workload = parse_query(body.get("query")), parse_workload(body.get("workload"))
    limit = parse_limit(body.get("limit"))
    api_url, user = ctx.api_url, ctx.user
    task = _new_task(ctx, body, dataset, api_url)
    consensus = _consensus.plan(task, workload)
    if not select_items(ctx, dataset["id"], query, limit):
        raise BadRequest("no items match the task query")

    def work(progress):
        with ctx.store.transaction():
            items = select_items(ctx, dataset["id"], query, limit)
            if not items:
                raise BadRequest("no items match the task query")
            ctx.store.insert("task", task, scope=task["projectId"])
            if consensus is not None:
                items = _copy_consensus(ctx, task, dataset, items, workload, consensus, api_url, user)
            distribute(ctx, task, items, workload, api_url, user)
            refresh(ctx, task)
        emit(ctx, "Task", "Created", task)
        emit(ctx, "Assignment", "Created", *[ctx.store.get("assignment", a) for a in task["assignmentIds"]])
        return {"createTaskPayload": {k: v for k, v in body.items() if k != "asynced"}, "createdTaskId": task["id"]}

    return ctx.commands.submit(api_url, "CreateTask", {}, work, creator=user)


def _copy_consensus(ctx, task: dict, dataset: dict, items: List[dict], workload: List[dict], consensus,
                    api_url: str, user: str) -> List[dict]:
    """Originals of the consensus items to the consensus assignment, one copy per annotator each (see
    :mod:`._consensus`); returns the other items, to be split by the workload."""
    percentage, copies = consensus
    chosen, rest = _consensus.split(items, percentage)
    holder = new_assignment(ctx, task, task["taskOwner"], api_url, user)
    task["metadata"]["system"]["consensusAssignmentId"] = holder["id"]
    annotators = [assignment_for(ctx, task, u["assigneeId"], api_url, user)["id"] for u in workload]
    for index, item in enumerate(chosen):
        attach(item, task["id"], holder["id"])
        ctx.store.replace("item", item)
        for copy_index in range(copies):
            clone = _consensus.copy_for(ctx, dataset, task["id"], item, copy_index)
            attach(clone, task["id"], annotators[(index + copy_index) % len(annotators)])
            ctx.store.replace("item", clone)
    return rest


# -- read / update / delete ------------------------------------------------------------------------
def get_one(ctx, task_id):
    return get_task(ctx, task_id)


def query_tasks(ctx):
    body = ctx.json_object()
    project_ids = (body.get("context") or {}).get("projectIds") or []
    if not isinstance(project_ids, list) or not project_ids:
        raise BadRequest("context.projectIds is required: the projects to list tasks of")
    for project_id in project_ids:
        get_project(ctx, project_id)
    return dql.query(ctx.store, "task", body, scope=project_ids)


def update(ctx, task_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        task = get_task(ctx, task_id)
        if "name" in body:
            _check_name(body["name"])
        if "availableActions" in body:
            _actions(body["availableActions"], task["spec"].get("type", "annotation"))
        if body.get("priority") not in (None, 1, 2, 3):
            raise BadRequest(f"priority must be 1, 2 or 3, got {body['priority']!r}")
        task.update({k: body[k] for k in EDITABLE if body.get(k) is not None})
        if isinstance((body.get("metadata") or {}).get("user"), dict):
            task.setdefault("metadata", {})["user"] = body["metadata"]["user"]
        task["updatedBy"] = ctx.user
        ctx.store.replace("task", task)
    emit(ctx, "Task", "Updated", task)
    return task


def delete(ctx, task_id):
    task = get_task(ctx, task_id)
    api_url = ctx.api_url

    def work(progress):
        with ctx.store.transaction():
            current = ctx.store.get("task", task_id, "Task")
            copies = _consensus.drop_copies(ctx, current)
            for item in task_items(ctx, current):
                detach(item, [task_id, *current.get("assignmentIds", [])])
                ctx.store.replace("item", item)
            for assignment_id in current.get("assignmentIds") or []:
                if ctx.store.find("assignment", assignment_id) is not None:
                    ctx.store.delete("assignment", assignment_id)
            ctx.store.delete("task", task_id)
        docs.drop_blobs(ctx, copies)
        emit(ctx, "Task", "Deleted", current)
        return {"deleteTaskId": task_id}

    return ctx.commands.submit(api_url, "DeleteTask", {"taskId": task["id"]}, work,
                               creator=ctx.user)


# -- items -----------------------------------------------------------------------------------------
def _even_workload(ctx, task: dict) -> List[dict]:
    annotators = [ctx.store.get("assignment", a)["annotator"] for a in worker_assignments(task)]
    if not annotators:
        raise BadRequest(f"task {task['id']} has no assignees: pass a workload")
    return [{"assigneeId": a, "load": 100 // len(annotators) + (1 if i < 100 % len(annotators) else 0)}
            for i, a in enumerate(annotators)]


def add_items(ctx, task_id):
    body = ctx.json_object()
    task = get_task(ctx, task_id)
    query = parse_query(body.get("query"))
    workload = parse_workload(body["workload"]) if body.get("workload") is not None else _even_workload(ctx, task)
    api_url, user, limit = ctx.api_url, ctx.user, parse_limit(body.get("limit"))

    def new_items() -> List[dict]:
        fresh = [i for i in select_items(ctx, task["datasetId"], query) if find_ref(i, task_id) is None]
        return fresh[:limit] if limit else fresh

    if not new_items():
        raise BadRequest("no items match the query that are not already in the task")

    def work(progress):
        with ctx.store.transaction():
            current = ctx.store.get("task", task_id, "Task")
            before = set(current["assignmentIds"])
            distribute(ctx, current, new_items(), workload, api_url, user)
            refresh(ctx, current)
        emit(ctx, "Assignment", "Created",
             *[ctx.store.get("assignment", a) for a in current["assignmentIds"] if a not in before])
        emit(ctx, "Task", "Updated", current)
        return {"addToTaskPayload": {"taskId": task_id, "query": body.get("query"), "workload": workload}}

    return ctx.commands.submit(api_url, "AddToTask", {"taskId": task_id}, work, creator=user)


def remove_items(ctx, task_id):
    body = ctx.json_object()
    get_task(ctx, task_id)
    query = parse_query(body.get("query"))

    def work(progress):
        with ctx.store.transaction():
            current = ctx.store.get("task", task_id, "Task")
            matching = [i for i in select_items(ctx, current["datasetId"], query) if find_ref(i, task_id)]
            removable = [i for i in matching if status_of(i, task_id) is None]
            for item in removable:
                detach(item, [task_id, *current.get("assignmentIds", [])])
                ctx.store.replace("item", item)
            refresh(ctx, current)
        emit(ctx, "Task", "Updated", current)
        return {"removeFromTaskId": task_id, "removeItemsCount": len(removable), "totalItemsCount": len(matching)}

    return ctx.commands.submit(ctx.api_url, "RemoveFromTask", {"taskId": task_id}, work, creator=ctx.user)


def scores(ctx, task_id, item_id=None, annotation_id=None):
    """The task's (or one item's, or one annotation's) scores: the emulator computes none, so an empty page."""
    get_task(ctx, task_id)
    if item_id is not None:
        ctx.store.get("item", check_id(item_id, "item"), "Item")
    if annotation_id is not None:
        ctx.store.get("annotation", check_id(annotation_id, "annotation"), "Annotation")
    try:
        page, page_size = int(ctx.args.get("page", 0)), int(ctx.args.get("pageSize", 100))
    except ValueError:
        raise BadRequest("page and pageSize must be integers") from None
    return dql.envelope([], 0, page, page_size)


ROUTES = [
    Route("POST", "/annotationtasks", create),
    Route("POST", "/annotationtasks/query", query_tasks),
    Route("GET", "/annotationtasks/<task_id>", get_one),
    Route("PATCH", "/annotationtasks/<task_id>", update),
    Route("DELETE", "/annotationtasks/<task_id>", delete),
    Route("POST", "/annotationtasks/<task_id>/addToTask", add_items),
    Route("POST", "/annotationtasks/<task_id>/removeFromTask", remove_items),
    Route("GET", "/scores/tasks/<task_id>", scores),
    Route("GET", "/scores/tasks/<task_id>/items/<item_id>", scores),
    Route("GET", "/scores/tasks/<task_id>/annotations/<annotation_id>", scores),
]
