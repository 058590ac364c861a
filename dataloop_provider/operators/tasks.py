"""Annotation and QA tasks: create one over items selected by DQL filters or by ids, add items to one. The
platform runs each as a command, waited on like any run (blocking or deferred, resumable)."""
from __future__ import annotations

from typing import Optional

from airflow.providers.common.compat.sdk import AirflowException

from dataloop_core.runs import RunKind
from dataloop_provider.links.dataloop import DataloopTaskLink
from dataloop_provider.operators.base import DataloopRunOperator, template_fields


def selection(operator, filters: Optional[dict], item_ids: Optional[list]) -> Optional[dict]:
    """``filters=`` (a DQL filter or body dict) or ``items=`` (ids) for the task calls; None when empty."""
    if filters is not None and item_ids is not None:
        raise AirflowException(f"{type(operator).__name__}: pass filters or item_ids, not both")
    if item_ids is not None:
        item_ids = [item_ids] if isinstance(item_ids, str) else list(item_ids)
        return {"items": item_ids} if item_ids else None
    return {"filters": dict(filters)} if filters is not None else {}


class DataloopTaskCommandOperator(DataloopRunOperator):
    """Base of the task operators: ``submit(items)`` starts the command; the result describes the task.
    With an empty ``item_ids`` list nothing is started and ``{"task_id": None}`` is returned."""

    kind = RunKind.COMMAND.value
    operator_extra_links = (DataloopTaskLink(),)

    def __init__(self, *, filters: Optional[dict] = None, item_ids: Optional[list] = None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.item_ids = filters, item_ids

    def submit(self, items: dict):
        """Start the platform command over ``items`` (``filters=`` or ``items=``); return it."""
        raise NotImplementedError

    def task_id_of(self, spec: dict) -> Optional[str]:
        """The task's id once the command succeeded (from its spec)."""
        return spec.get("createdTaskId")

    def execute(self, context):
        if selection(self, self.filters, self.item_ids) is None:
            self.log.info("no items selected: nothing to do")
            return {"task_id": None, "total_items": 0}
        return super().execute(context)

    def start(self, context) -> list:
        command = self.submit(selection(self, self.filters, self.item_ids))
        self.log.info("%s: command %s", type(self).__name__, command.id)
        return [command.id]

    def result(self, context, statuses: list) -> dict:
        spec = self.client.commands.get(command_id=self.run_ids[0]).spec or {}
        task_id = self.task_id_of(spec) if all(s.succeeded for s in statuses) else None
        if task_id is None:  # not waited for (wait_for_completion=False): the command is the result
            return {"task_id": None, "command_id": self.run_ids[0], "status": statuses[0].status}
        task = self.client.tasks.get(task_id=task_id)
        DataloopTaskLink.persist(context, task.platform_url)
        self.log.info("task %s (%s): %s item(s)", task.name, task.id, task.total_items)
        return {"task_id": task.id, "name": task.name, "dataset_id": task.dataset_id,
                "project_id": task.project_id, "total_items": task.total_items, "status": task.status}


class DataloopCreateTaskOperator(DataloopTaskCommandOperator):
    """Create an annotation task on ``dataset_id`` over the items matching ``filters`` or ``item_ids`` (all
    items when neither is given), split among ``assignee_ids``. Returns the task's id, name and item count."""

    template_fields = template_fields("dataset_id", "task_name", "assignee_ids", "filters", "item_ids", "metadata")
    task_type = "annotation"

    def __init__(self, *, dataset_id: str, task_name: str, assignee_ids: list, due_date: Optional[float] = None,
                 metadata: Optional[dict] = None, **kwargs):
        super().__init__(**kwargs)
        self.dataset_id, self.task_name, self.assignee_ids = dataset_id, task_name, assignee_ids
        self.due_date, self.metadata = due_date, metadata

    def submit(self, items: dict):
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        return dataset.tasks.create(task_name=self.task_name, assignee_ids=list(self.assignee_ids),
                                    due_date=self.due_date, metadata=self.metadata, task_type=self.task_type,
                                    wait=False, **items)


class DataloopCreateQATaskOperator(DataloopTaskCommandOperator):
    """Create the QA task of ``annotation_task_id`` (its items that already have a status; narrowed by
    ``filters`` or ``item_ids``), assigned to ``assignee_ids``."""

    template_fields = template_fields("annotation_task_id", "assignee_ids", "filters", "item_ids")

    def __init__(self, *, annotation_task_id: str, assignee_ids: list, due_date: Optional[float] = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.annotation_task_id, self.assignee_ids, self.due_date = annotation_task_id, assignee_ids, due_date

    def submit(self, items: dict):
        parent = self.client.tasks.get(task_id=self.annotation_task_id)
        return self.client.tasks.create_qa_task(parent, assignee_ids=list(self.assignee_ids),
                                                due_date=self.due_date, wait=False, **items)


class DataloopAddItemsToTaskOperator(DataloopTaskCommandOperator):
    """Add the items matching ``filters`` or ``item_ids`` to ``annotation_task_id`` (among ``assignee_ids``
    when given)."""

    template_fields = template_fields("annotation_task_id", "filters", "item_ids", "assignee_ids")

    def __init__(self, *, annotation_task_id: str, assignee_ids: Optional[list] = None, **kwargs):
        super().__init__(**kwargs)
        if kwargs.get("filters") is None and kwargs.get("item_ids") is None:
            raise ValueError(f"{type(self).__name__}: pass filters or item_ids selecting the items to add")
        self.annotation_task_id, self.assignee_ids = annotation_task_id, assignee_ids

    def submit(self, items: dict):
        return self.client.tasks.add_items(task_id=self.annotation_task_id, assignee_ids=self.assignee_ids,
                                           wait=False, **items)

    def task_id_of(self, spec: dict) -> Optional[str]:
        return self.annotation_task_id
