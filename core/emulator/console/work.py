"""Console pages of annotation work: a project's tasks, a task (progress per assignee, item status counts, its
items) and an assignment. Progress and counts are the ones the API reports (kept by the task routes)."""
from __future__ import annotations

import json

from markupsafe import Markup

from ..errors import not_found
from . import lookup
from .data import PAGE_SIZE, crumbs_of, cursor
from .html import badge, fields, link, page, pager, progress_bar, table, url

# the items of a dataset that hold a ref to one task or assignment, after a rowid, in rowid order
_REFERRING = ("SELECT d.rowid, d.doc, json_extract(r.value, '$.metadata.status') FROM docs d, "
              "json_each(d.doc, '$.metadata.system.refs') r WHERE d.kind = 'item' AND d.scope = ? "
              "AND json_extract(r.value, '$.id') = ? AND d.rowid > ? ORDER BY d.rowid LIMIT ?")


def _counts(doc: dict) -> Markup:
    """``status: n`` for each item status, and the items without one as ``open``."""
    counts = dict(doc.get("itemStatus") or {})
    done = sum(v for v in counts.values() if isinstance(v, int))
    counts = {"open": max(0, (doc.get("totalItems") or 0) - done), **counts}
    return Markup(" ").join(Markup('<span class="count">{} <b>{}</b></span>').format(badge(status), count)
                            for status, count in counts.items())


def tasks_page(ctx, project_id):
    project = lookup.project(ctx, project_id)
    rows = [(link(url("projects", project_id, "tasks", t["id"]), t["name"]), (t.get("spec") or {}).get("type"),
             badge(t.get("status")), progress_bar(t.get("progress")), t.get("totalItems"), _counts(t),
             t.get("createdAt")) for t in ctx.store.list("task", scope=project_id, order="id DESC")]
    return page("Tasks", table(("name", "type", "status", "progress", "items", "item statuses", "created"), rows,
                               "no tasks yet"), crumbs_of(project, ("Tasks", None)), ctx.user)


def task_page(ctx, project_id, task_id):
    """A task: its facts, progress per assignee, item status counts and a page of its items."""
    project = lookup.project(ctx, project_id)
    task = lookup.in_project(ctx, "task", project_id, task_id)
    dataset = ctx.store.find("dataset", task.get("datasetId") or "") or {}
    facts = fields([("status", badge(task.get("status"))), ("progress", progress_bar(task.get("progress"))),
                    ("item statuses", _counts(task)), ("items", task.get("totalItems")),
                    ("type", (task.get("spec") or {}).get("type")),
                    ("dataset", link(url("projects", project_id, "datasets", dataset["id"], "items"),
                                     dataset.get("name")) if dataset else None),
                    ("owner", task.get("taskOwner")), ("due", task.get("dueDate")), ("id", task["id"]),
                    ("created", task.get("createdAt"))])
    items = _items(ctx, project_id, task.get("datasetId"), task_id,
                   lambda **q: url("projects", project_id, "tasks", task_id, **q))
    body = Markup("{}<h2>Progress per assignee</h2>{}<h2>Items</h2>{}").format(
        facts, _assignments(ctx, project_id, task), items)
    return page(f"Task {task['name']}", body, crumbs_of(project, ("Tasks", url("projects", project_id, "tasks")),
                                                         (task["name"], None)), ctx.user)


def _assignments(ctx, project_id: str, task: dict) -> Markup:
    rows = []
    for assignment_id in task.get("assignmentIds") or []:
        assignment = ctx.store.find("assignment", assignment_id)
        if assignment is not None:
            rows.append((link(url("projects", project_id, "assignments", assignment_id),
                              assignment.get("annotator")), badge(assignment.get("status")),
                         progress_bar(assignment.get("progress")), assignment.get("totalItems"),
                         _counts(assignment)))
    return table(("assignee", "status", "progress", "items", "item statuses"), rows, "no assignees",
                 css="assignees")


def _items(ctx, project_id: str, dataset_id: str, ref_id: str, here) -> Markup:
    """A keyset page (``?after=<rowid>``) of the items referring to a task or an assignment, with their status;
    ``here(**query)`` is the URL of the page showing them."""
    after = cursor(ctx)
    rows = ctx.store.execute(_REFERRING, (dataset_id, ref_id, after, PAGE_SIZE + 1)).fetchall()
    listed = []
    for _, doc, status in rows[:PAGE_SIZE]:
        item = json.loads(doc)
        listed.append((link(url("projects", project_id, "datasets", item["datasetId"], "items", item["id"]),
                            item.get("name")), item.get("filename"), badge(status or "open")))
    following = here(after=rows[PAGE_SIZE - 1][0]) if len(rows) > PAGE_SIZE else None
    return Markup("{}{}").format(table(("item", "path", "status"), listed, "no items"),
                                 pager(here() if after else None, following))


def assignments_page(ctx, project_id, task_id):
    """``/projects/<p>/tasks/<t>/assignments``: the task's assignees."""
    project = lookup.project(ctx, project_id)
    task = lookup.in_project(ctx, "task", project_id, task_id)
    return page(f"Assignments of {task['name']}", _assignments(ctx, project_id, task), crumbs_of(
        project, ("Tasks", url("projects", project_id, "tasks")),
        (task["name"], url("projects", project_id, "tasks", task_id)), ("Assignments", None)), ctx.user)


def task_assignment_page(ctx, project_id, task_id, assignment_id):
    """``/projects/<p>/tasks/<t>/assignments/<a>``: an assignment reached through its task."""
    assignment = lookup.in_project(ctx, "assignment", project_id, assignment_id)
    if lookup.task_of(assignment) != task_id:
        raise not_found("Assignment", assignment_id)
    return assignment_page(ctx, project_id, assignment_id)


def assignment_page(ctx, project_id, assignment_id):
    """An assignment: its annotator's progress, item status counts and a page of its items."""
    project = lookup.project(ctx, project_id)
    assignment = lookup.in_project(ctx, "assignment", project_id, assignment_id)
    task = ctx.store.find("task", lookup.task_of(assignment) or "")
    if task is None:
        raise not_found("Task", str(lookup.task_of(assignment)))
    facts = fields([("annotator", assignment.get("annotator")), ("status", badge(assignment.get("status"))),
                    ("progress", progress_bar(assignment.get("progress"))), ("item statuses", _counts(assignment)),
                    ("items", assignment.get("totalItems")),
                    ("task", link(url("projects", project_id, "tasks", task["id"]), task["name"])),
                    ("id", assignment["id"])])
    body = Markup("{}<h2>Items</h2>{}").format(facts, _items(
        ctx, project_id, task.get("datasetId"), assignment_id,
        lambda **q: url("projects", project_id, "assignments", assignment_id, **q)))
    return page(assignment.get("name") or assignment_id, body, crumbs_of(
        project, ("Tasks", url("projects", project_id, "tasks")),
        (task["name"], url("projects", project_id, "tasks", task["id"])), (assignment.get("annotator"), None)),
        ctx.user)
