"""Annotation and QA tasks: create one over items selected by DQL filters or by ids, add items to one."""
from __future__ import annotations

from typing import Optional

from airflow.providers.common.compat.sdk import AirflowException

from dataloop_provider.links.dataloop import DataloopTaskLink
from dataloop_provider.operators.base import DataloopBaseOperator, template_fields


def selection(operator, filters: Optional[dict], item_ids: Optional[list]) -> Optional[dict]:
    """``filters=`` (a DQL filter or body dict) or ``items=`` (ids) for the task calls; None when empty."""
    if filters is not None and item_ids is not None:
        raise AirflowException(f"{type(operator).__name__}: pass filters or item_ids, not both")
    if item_ids is not None:
        item_ids = [item_ids] if isinstance(item_ids, str) else list(item_ids)
        return {"items": item_ids} if item_ids else None
    return {"filters": dict(filters)} if filters is not None else {}


def task_summary(task) -> dict:
    return {"task_id": task.id, "name": task.name, "dataset_id": task.dataset_id, "project_id": task.project_id,
            "total_items": task.total_items, "status": task.status}


class DataloopCreateTaskOperator(DataloopBaseOperator):
    """Create an annotation task on ``dataset_id`` over the items matching ``filters`` or ``item_ids`` (all
    items when neither is given), split among ``assignee_ids``. Returns the task's id, name and item count;
    with an empty ``item_ids`` list it creates nothing and returns ``{"task_id": None}``."""

    template_fields = template_fields("dataset_id", "task_name", "assignee_ids", "filters", "item_ids", "metadata")
    operator_extra_links = (DataloopTaskLink(),)
    task_type = "annotation"

    def __init__(self, *, dataset_id: str, task_name: str, assignee_ids: list, filters: Optional[dict] = None,
                 item_ids: Optional[list] = None, due_date: Optional[float] = None,
                 metadata: Optional[dict] = None, **kwargs):
        super().__init__(**kwargs)
        self.dataset_id, self.task_name, self.assignee_ids = dataset_id, task_name, assignee_ids
        self.filters, self.item_ids, self.due_date, self.metadata = filters, item_ids, due_date, metadata

    def execute(self, context) -> dict:
        items = selection(self, self.filters, self.item_ids)
        if items is None:
            self.log.info("no items selected: no task created")
            return {"task_id": None, "name": self.task_name, "total_items": 0}
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        task = dataset.tasks.create(task_name=self.task_name, assignee_ids=list(self.assignee_ids),
                                    due_date=self.due_date, metadata=self.metadata, task_type=self.task_type,
                                    **items)
        DataloopTaskLink.persist(context, task.platform_url)
        self.log.info("created %s task %s (%s) over %s item(s)", self.task_type, task.name, task.id,
                      task.total_items)
        return task_summary(task)


class DataloopCreateQATaskOperator(DataloopBaseOperator):
    """Create the QA task of ``annotation_task_id`` (its items that already have a status; narrowed by ``filters`` or
    ``item_ids``), assigned to ``assignee_ids``."""

    template_fields = template_fields("annotation_task_id", "assignee_ids", "filters", "item_ids")
    operator_extra_links = (DataloopTaskLink(),)

    def __init__(self, *, annotation_task_id: str, assignee_ids: list, filters: Optional[dict] = None,
                 item_ids: Optional[list] = None, due_date: Optional[float] = None, **kwargs):
        super().__init__(**kwargs)
        self.annotation_task_id, self.assignee_ids = annotation_task_id, assignee_ids
        self.filters, self.item_ids = filters, item_ids
        self.due_date = due_date

    def execute(self, context) -> dict:
        items = selection(self, self.filters, self.item_ids)
        if items is None:
            self.log.info("no items selected: no QA task created")
            return {"task_id": None, "total_items": 0}
        parent = self.client.tasks.get(task_id=self.annotation_task_id)
        task = self.client.tasks.create_qa_task(parent, assignee_ids=list(self.assignee_ids),
                                                due_date=self.due_date, **items)
        DataloopTaskLink.persist(context, task.platform_url)
        self.log.info("created QA task %s (%s) of task %s", task.name, task.id, parent.name)
        return task_summary(task)


class DataloopAddItemsToTaskOperator(DataloopBaseOperator):
    """Add the items matching ``filters`` or ``item_ids`` to ``annotation_task_id`` (among ``assignee_ids``
    when given)."""

    template_fields = template_fields("annotation_task_id", "filters", "item_ids", "assignee_ids")
    operator_extra_links = (DataloopTaskLink(),)

    def __init__(self, *, annotation_task_id: str, filters: Optional[dict] = None, item_ids: Optional[list] = None,
                 assignee_ids: Optional[list] = None, **kwargs):
        super().__init__(**kwargs)
        if filters is None and item_ids is None:
            raise ValueError(f"{type(self).__name__}: pass filters or item_ids selecting the items to add")
        self.annotation_task_id, self.filters, self.item_ids = annotation_task_id, filters, item_ids
        self.assignee_ids = assignee_ids

    def execute(self, context) -> dict:
        items = selection(self, self.filters, self.item_ids)
        if items is None:
            self.log.info("no items selected: nothing added")
            return {"task_id": self.annotation_task_id, "total_items": None}
        task = self.client.tasks.add_items(task_id=self.annotation_task_id, assignee_ids=self.assignee_ids, **items)
        DataloopTaskLink.persist(context, task.platform_url)
        self.log.info("task %s now has %s item(s)", task.name, task.total_items)
        return task_summary(task)
