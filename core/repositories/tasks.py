"""Tasks (wire §3.10): labeling/QA tasks over a dataset's items; create, delete and item moves are commands."""
from __future__ import annotations

import copy
import json
import logging
import time
import webbrowser
from typing import List, Optional

from .._polling import DEFAULT_TIMEOUT, wait_for_status
from .._repository import Repository, exactly_one, own_filters, path
from ..entities.command import Command
from ..entities.task import ItemAction, Task, TaskPriority, TaskType
from ..entities.workload import as_workload
from ..exceptions import BadRequest, MissingEntity, NotFound
from ..filters import Filters, FiltersOperations, FiltersResource, SingleFilter, as_filters
from ..paging import PagedEntities
from ..runs import RunStatus

logger = logging.getLogger("dataloop_core.tasks")
URL = "/annotationtasks"
WEEK_SECONDS = 7 * 24 * 3600


# -- helpers shared with Assignments ---------------------------------------------------------------------
def run_command(client, answer: dict, wait: bool, required_key: str):
    """The command an async endpoint answered with; waited for (and its spec checked) when ``wait``."""
    command = Command(client, answer)
    if not wait:
        return command
    command.wait(timeout=0)
    if required_key not in (command.spec or {}):
        raise BadRequest("400", f"{required_key} key is missing in command response (command {command.id})")
    return command


def item_ids(items) -> List[str]:
    """Ids of items given as entities, ids, a single one, or pages."""
    if isinstance(items, PagedEntities):
        items = list(items.all())
    elif isinstance(items, str) or not isinstance(items, (list, tuple, set)):
        items = [items]
    ids = [item if isinstance(item, str) else getattr(item, "id", None) for item in items]
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError("items must be a non-empty list of items or item ids")
    return ids


def items_query(filters=None, items=None, query=None, default_all: bool = False) -> dict:
    """The DQL body selecting the items: from ``query``, ``filters`` or ``items`` (at most one of them)."""
    given = [name for name, value in (("filters", filters), ("items", items), ("query", query)) if value is not None]
    if len(given) > 1:
        raise ValueError(f"pass only one of filters, items or query (got {' and '.join(given)})")
    if query is not None:
        if not isinstance(query, dict):
            raise ValueError(f"query must be a DQL dict, got {type(query).__name__}")
        return query
    if filters is not None:
        filters = as_filters(filters)
        if filters.resource != FiltersResource.ITEM:
            raise ValueError("filters must be item Filters")
        return filters.prepare()
    if items is not None:
        return Filters("id", item_ids(items), FiltersOperations.IN, use_defaults=False).prepare()
    if default_all:
        return Filters().prepare()
    raise ValueError("pass filters, items or query to select the items")


def _actions(actions) -> list:
    return [ItemAction(a).to_json() if isinstance(a, str) else a.to_json() for a in actions]


class Tasks(Repository):
    """``dataset.tasks`` or ``project.tasks`` (``client.tasks`` for get by id)."""

    def _project_id(self, project_id: Optional[str] = None) -> str:
        project, dataset = self._parent("project", False), self._parent("dataset", False)
        project_id = project_id or (project.id if project else None) or (dataset.project_id if dataset else None)
        if project_id is None:
            raise MissingEntity("2001", "Tasks needs a project: use project.tasks or dataset.tasks")
        return project_id

    def _build(self, json_: dict) -> Task:
        project, dataset = self._parent("project", False), self._parent("dataset", False)
        return Task(self._client, json_, project=project if project and project.id == json_.get("projectId") else None,
                    dataset=dataset if dataset and dataset.id == json_.get("datasetId") else None)

    def _query_page(self, body: dict) -> dict:
        return self._request("POST", URL + "/query", json=body, retry_safe=True)

    # -- reads -----------------------------------------------------------------------------------
    def query(self, filters: Optional[Filters] = None, project_ids=None) -> PagedEntities:
        """Pages of tasks matching a task ``Filters`` (scoped to the repository's project/dataset)."""
        filters = own_filters(filters, FiltersResource.TASK)
        if filters.context is None:
            ids = project_ids if project_ids is not None else self._project_id()
            filters.context = {"projectIds": ids if isinstance(ids, list) else [ids]}
        if self._parent("project", False) is not None:
            filters.add("projectId", self._parent("project").id)
        if self._parent("dataset", False) is not None:
            filters.add("datasetId", self._parent("dataset").id)
        return PagedEntities(self._query_page, filters, self._build)

    def list(self, project_ids=None, status=None, task_name=None, pages_size=None, page_offset=None, recipe=None,
             creator=None, assignments=None, min_date=None, max_date=None, filters: Optional[Filters] = None):
        """Tasks (first page, ``pages_size`` default 500) by the given criteria; with ``filters``, pages."""
        if filters is not None:
            return self.query(filters=filters, project_ids=project_ids)
        filters = Filters(resource=FiltersResource.TASK, use_defaults=False, page_size=pages_size or 500)
        filters.page = page_offset or 0
        if self._parent("dataset", False) is not None:
            filters.add("datasetId", self._parent("dataset").id)
        ids = project_ids if project_ids is not None else self._project_id()
        filters.context = {"projectIds": ids if isinstance(ids, list) else [ids]}
        clauses = [("assignmentIds", assignments, FiltersOperations.IN), ("status", status, None),
                   ("name", task_name, None), ("recipeId", recipe, FiltersOperations.IN), ("creator", creator, None),
                   ("dueDate", min_date, FiltersOperations.GREATER_THAN),
                   ("dueDate", max_date, FiltersOperations.LESS_THAN)]
        for field, value, operator in clauses:
            if value is None:
                continue
            if operator == FiltersOperations.IN:
                value = [getattr(v, "id", v) for v in (value if isinstance(value, list) else [value])]
            filters.add(field, value, operator)
        return [self._build(j) for j in (self._query_page(filters.prepare()) or {}).get("items") or []]

    def get(self, task_name: Optional[str] = None, task_id: Optional[str] = None) -> Task:
        """A task by id, or by its (unique) name in the project."""
        if task_id is not None:
            task = self._build(self._request("GET", path(URL + "/{}", task_id)))
            if task_name is not None and task.name != task_name:
                logger.warning("task %s is named %r, not %r", task_id, task.name, task_name)
            return task
        if task_name is None:
            raise ValueError("pass task_id or task_name")
        pages = self.query(Filters("name", task_name, resource=FiltersResource.TASK))
        if pages.items_count != 1:
            state = "not found" if not pages.items_count else "is not unique; get it by id"
            raise NotFound("404", f"Annotation task {task_name!r} {state}")
        return pages.items[0]

    # -- the orchestration contract (dataloop_core.runs) -------------------------------------------
    def status(self, task_id: str, min_percent: float = 100, statuses: Optional[List[str]] = None) -> RunStatus:
        """The task's progress as a run: terminal once ``min_percent`` is reached, or once every item has one of
        ``statuses`` (e.g. ``["completed", "discard"]``)."""
        if not 0 < min_percent <= 100:
            raise ValueError(f"min_percent must be in (0, 100], got {min_percent!r}")
        if statuses is not None and (isinstance(statuses, str) or not statuses
                                     or not all(isinstance(s, str) and s for s in statuses)):
            raise ValueError(f"statuses must be a non-empty list of item status names, got {statuses!r}")
        return self.get(task_id=task_id).run_status(min_percent=min_percent, statuses=statuses)

    def cancel(self, task_id: str, **_) -> RunStatus:
        raise ValueError(f"an annotation task cannot be cancelled (task {task_id}); delete it with tasks.delete")

    def wait_for(self, task_id: str, *, timeout: Optional[float] = DEFAULT_TIMEOUT, min_percent: float = 100,
                 statuses: Optional[List[str]] = None, cancel_remote: bool = False, **options) -> RunStatus:
        """Wait until the task reaches ``min_percent`` (or every item one of ``statuses``); a cancelled wait leaves
        the task as it is."""
        fetch = lambda: self.status(task_id, min_percent, statuses)  # noqa: E731
        return wait_for_status(fetch, fetch, timeout=timeout, cancel_remote=cancel_remote, **options)

    def get_items(self, task_id: Optional[str] = None, task_name: Optional[str] = None, dataset=None,
                  filters: Optional[Filters] = None, get_consensus_items: bool = False,
                  task: Optional[Task] = None) -> PagedEntities:
        """Pages of the task's items (optionally narrowed by ``filters``)."""
        if task is None:
            task = self.get(task_name=task_name, task_id=task_id) if task_id or task_name else None
            if task is None:
                raise ValueError("pass task, task_id or task_name")
        dataset = dataset or self._parent("dataset", False) or task.dataset
        filters = Filters(use_defaults=False) if filters is None else copy.deepcopy(filters)
        filters.add("metadata.system.refs.id", [task.id], FiltersOperations.IN)
        consensus_id = (task.metadata.get("system") or {}).get("consensusAssignmentId")
        if consensus_id and not get_consensus_items:
            filters.add("metadata.system.refs.id", consensus_id, FiltersOperations.NOT_EQUAL)
        return dataset.items.list(filters=filters)

    def task_scores(self, task_id: Optional[str] = None, page_offset: int = 0, page_size: int = 100) -> dict:
        """The task's scores page (raw JSON)."""
        if task_id is None:
            raise ValueError("pass task_id")
        return self._request("GET", path("/scores/tasks/{}", task_id),
                             params={"page": page_offset, "pageSize": page_size})

    # -- create ------------------------------------------------------------------------------------
    def create(self, task_name, due_date=None, assignee_ids=None, workload=None, dataset=None, task_owner=None,
               task_type="annotation", task_parent_id=None, project_id=None, recipe_id=None, assignments_ids=None,
               metadata=None, filters=None, items=None, query=None, available_actions=None, wait=True,
               check_if_exist: Filters = False, limit=None, batch_size=None, max_batch_workload=None,
               allowed_assignees=None, priority=TaskPriority.MEDIUM):
        """Create a task over the selected items (all items by default), split by ``workload``/``assignee_ids``."""
        if not isinstance(task_name, str) or not task_name.strip():
            raise ValueError("task_name must be a non-empty string")
        if task_type not in [t.value for t in TaskType]:
            raise ValueError(f"task_type must be 'annotation' or 'qa', got {task_type!r}")
        dataset = dataset or self._parent("dataset", False)
        if dataset is None:
            raise MissingEntity("2001", "Tasks.create needs a dataset: use dataset.tasks or pass dataset=")
        recipe_id = recipe_id or _first_recipe(dataset)
        workload = as_workload(workload, assignee_ids)
        payload = {"name": task_name, "query": json.dumps(items_query(filters, items, query, default_all=True)),
                   "taskOwner": task_owner or self._client.user_email, "spec": {"type": task_type},
                   "datasetId": dataset.id, "projectId": project_id or dataset.project_id,
                   "assignmentIds": list(assignments_ids or []), "recipeId": recipe_id,
                   "dueDate": int((due_date if due_date is not None else time.time() + WEEK_SECONDS) * 1000),
                   "asynced": wait, "priority": int(priority)}
        if task_parent_id is not None:
            payload["spec"]["parentTaskId"] = task_parent_id
        if check_if_exist:
            if not isinstance(check_if_exist, Filters) or check_if_exist.resource != FiltersResource.TASK:
                raise ValueError("check_if_exist must be task Filters")
            payload["checkIfExist"] = {"query": check_if_exist.prepare()}
        if workload is not None:
            payload["workload"] = workload.to_json()
        if limit:
            payload["limit"] = limit
        if available_actions is not None:
            payload["availableActions"] = _actions(available_actions)
        metadata = _pulling_metadata(metadata, batch_size, max_batch_workload, allowed_assignees or assignee_ids)
        if metadata is not None:
            payload["metadata"] = metadata
        answer = self._request("POST", URL, json=payload)
        if check_if_exist and "name" in answer:
            return self._build(answer)
        command = run_command(self._client, answer, wait, "createTaskPayload")
        return self.get(task_id=command.spec["createdTaskId"]) if wait else command

    def create_qa_task(self, task: Task, assignee_ids, due_date=None, filters=None, items=None, query=None,
                       workload=None, metadata=None, available_actions=None, wait=True, batch_size=None,
                       max_batch_workload=None, allowed_assignees=None, priority=TaskPriority.MEDIUM):
        """A QA task named ``<task>_qa`` over the parent task's items that already have a status."""
        done = SingleFilter("metadata.system.refs", {"id": task.id, "type": "task",
                                                     "metadata": {"status": {"$exists": True}}},
                            FiltersOperations.MATCH)
        if query is not None:
            query = copy.deepcopy(query)
            query.setdefault("filter", {}).setdefault("$and", []).append(done.prepare())
        elif items is None:
            filters = Filters() if filters is None else copy.deepcopy(filters)
            filters.and_filter_list.append(done)
        return self.create(task_name=f"{task.name}_qa", task_type="qa", task_parent_id=task.id,
                           assignee_ids=assignee_ids, workload=workload, task_owner=task.creator,
                           dataset=self._parent("dataset", False) or task.dataset, project_id=task.project_id,
                           recipe_id=task.recipe_id, due_date=due_date, filters=filters, items=items, query=query,
                           metadata=metadata, available_actions=available_actions, wait=wait,
                           batch_size=batch_size, max_batch_workload=max_batch_workload,
                           allowed_assignees=allowed_assignees, priority=priority)

    # -- update / delete -------------------------------------------------------------------------
    def update(self, task: Optional[Task] = None, system_metadata: bool = False) -> Task:
        """Send the full task JSON; the entity is refreshed from the answer."""
        if task is None:
            raise ValueError("pass the task to update")
        task._refresh_from(self._request("PATCH", path(URL + "/{}", task.id), json=task.to_json()))
        return task

    def delete(self, task: Optional[Task] = None, task_name: Optional[str] = None, task_id: Optional[str] = None,
               wait: bool = True):
        """Delete a task with its assignments (the items stay); ``True`` once done."""
        which = exactly_one(task=task, task_name=task_name, task_id=task_id)
        if which != "task_id":
            task_id = (task or self.get(task_name=task_name)).id
        answer = self._request("DELETE", path(URL + "/{}", task_id), json={"asynced": wait})
        command = run_command(self._client, answer, wait, "deleteTaskId")
        return True if wait else command

    # -- items -----------------------------------------------------------------------------------
    def _task_id(self, task: Optional[Task], task_id: Optional[str]) -> str:
        exactly_one(task=task, task_id=task_id)
        return task_id or task.id

    def add_items(self, task: Optional[Task] = None, task_id=None, filters: Optional[Filters] = None, items=None,
                  assignee_ids=None, query=None, workload=None, limit=None, wait=True):
        """Add the selected items to the task (split by ``workload``, else among its current assignees)."""
        task_id = self._task_id(task, task_id)
        payload = {"query": json.dumps(items_query(filters, items, query))}
        workload = as_workload(workload, assignee_ids)
        if workload is not None:
            payload["workload"] = workload.to_json()
        if limit is not None:
            payload["limit"] = limit
        payload["asynced"] = wait
        answer = self._request("POST", path(URL + "/{}/addToTask", task_id), json=payload)
        command = run_command(self._client, answer, wait, "addToTaskPayload")
        if not wait:
            return command
        fresh = self.get(task_id=task_id)
        if task is None:
            return fresh
        task._refresh_from(fresh.to_json())
        return task

    def remove_items(self, task: Optional[Task] = None, task_id=None, filters: Optional[Filters] = None, query=None,
                     items=None, wait=True):
        """Remove the selected items from the task (items that already have a status stay)."""
        task_id = self._task_id(task, task_id)
        payload = {"query": json.dumps(items_query(filters, items, query)), "asynced": wait}
        answer = self._request("POST", path(URL + "/{}/removeFromTask", task_id), json=payload)
        command = run_command(self._client, answer, wait, "removeFromTaskId")
        if not wait:
            return command
        removed, total = command.spec.get("removeItemsCount"), command.spec.get("totalItemsCount")
        if removed is not None and total is not None and removed < total:
            logger.info("removed %s of %s items; items with a status cannot be removed", removed, total)
        return True

    def set_status(self, status: str, operation: str, task_id: str, item_ids: List[str]) -> bool:
        """Set (``operation='create'``) or clear (``'delete'``) the items' status in the task."""
        if not item_ids:
            raise ValueError("item_ids must be a non-empty list")
        payload = {"itemIds": list(item_ids),
                   "statusPayload": {"operation": operation, "returnLastStatus": True, "status": status}}
        answer = self._request("POST", path("/assignments/items/tasks/{}/status", task_id), json=payload) or {}
        failed = set(item_ids) - set(answer)
        if failed:
            logger.info("%d of %d items were updated; not updated: %s", len(answer), len(item_ids), sorted(failed))
        return True

    # -- local -----------------------------------------------------------------------------------
    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self._project_id()}/tasks"

    def open_in_web(self, task_name: Optional[str] = None, task_id: Optional[str] = None,
                    task: Optional[Task] = None) -> None:
        """Open the task (or the project's tasks page) in the console."""
        if task_name is not None:
            task = self.get(task_name=task_name)
        if task is not None:
            url = task.platform_url
        else:
            url = self.platform_url + (f"/{task_id}" if task_id else "")
        webbrowser.open(url=url, new=2, autoraise=True)


def _first_recipe(dataset) -> str:
    recipes = dataset.get_recipe_ids()
    if not recipes:
        raise ValueError(f"dataset {dataset.id} has no recipe; pass recipe_id")
    return recipes[0]


def _pulling_metadata(metadata, batch_size, max_batch_workload, allowed_assignees) -> Optional[dict]:
    """Pulling tasks carry ``metadata.system.{batchSize, maxBatchWorkload, allowedAssignees}``."""
    if not (batch_size or max_batch_workload):
        return metadata
    metadata = copy.deepcopy(metadata or {})
    system = metadata.setdefault("system", {})
    for key, value in (("batchSize", batch_size), ("maxBatchWorkload", max_batch_workload)):
        if value is not None:
            if not isinstance(value, int):
                raise ValueError(f"{key} must be an integer, got {value!r}")
            system[key] = value
    if allowed_assignees is not None:
        system["allowedAssignees"] = allowed_assignees
    return metadata
