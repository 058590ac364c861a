"""Task: a labeling (or QA) job over a set of items, split into one assignment per assignee."""
from __future__ import annotations

from enum import Enum, IntEnum
from functools import cached_property
from typing import List, Optional

from ..runs import RunKind, RunStatus
from .base import Entity, Field, Parent


class TaskPriority(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


class TaskType(str, Enum):
    ANNOTATION = "annotation"
    QA = "qa"


class ItemAction:
    """A status an annotator can give an item in a task (``completed``, ``discard``, ``approved``...)."""

    def __init__(self, action: str, display_name: Optional[str] = None, color: str = "#FFFFFF",
                 icon: Optional[str] = None):
        if not isinstance(action, str) or not action:
            raise ValueError("action must be a non-empty string")
        self.action = action
        self.display_name = display_name or action
        self.color = color
        self.icon = icon

    @classmethod
    def from_json(cls, json: dict) -> "ItemAction":
        return cls(json.get("action"), json.get("displayName"), json.get("color") or "#FFFFFF", json.get("icon"))

    def to_json(self) -> dict:
        json = {"action": self.action, "color": self.color, "displayName": self.display_name}
        if self.icon is not None:
            json["icon"] = self.icon
        return json

    def __repr__(self) -> str:
        return f"ItemAction({self.action!r})"


class Task(Entity):
    name = Field("name")
    status = Field("status", readonly=True)
    project_id = Field("projectId", readonly=True)
    dataset_id = Field("datasetId", readonly=True)
    recipe_id = Field("recipeId")
    task_owner = Field("taskOwner")
    due_date = Field("dueDate")
    spec = Field("spec", default=dict)
    query = Field("query", readonly=True)
    metadata = Field("metadata", default=dict)
    assignment_ids = Field("assignmentIds", default=list, readonly=True)
    item_status = Field("itemStatus", readonly=True)
    annotation_status = Field("annotationStatus", readonly=True)
    progress = Field("progress", readonly=True)
    total_items = Field("totalItems", readonly=True)
    for_review = Field("forReview", readonly=True)
    issues = Field("issues", readonly=True)
    priority = Field("priority")

    def run_status(self, min_percent: float = 100, statuses: Optional[List[str]] = None) -> RunStatus:
        """Progress as a run: terminal once ``progress >= min_percent`` or, with ``statuses``, once every item of
        the task has one of them. A task never fails; its output holds the item counts per status."""
        counts, total = self.item_status or {}, self.total_items or 0
        if statuses is not None:
            done = sum(counts.get(s, 0) for s in statuses)
            percent = round(100 * done / total, 1) if total else 0.0
            reached = bool(total) and done == total
        else:
            percent = float(self.progress or 0)
            reached = bool(total) and percent >= min_percent
        message = f"{sum(counts.values())} of {total} items have a status"
        return RunStatus(RunKind.TASK.value, self.id, self.status or "open", terminal=reached, succeeded=reached,
                         message=message, percent=percent, output={"itemStatus": dict(counts), "totalItems": total})

    @property
    def assignmentIds(self) -> List[str]:  # noqa: N802 - the official SDK's attribute name
        return self.assignment_ids

    @property
    def task_type(self) -> Optional[str]:
        return self.spec.get("type")

    @property
    def parent_task_id(self) -> Optional[str]:
        return self.spec.get("parentTaskId")

    @property
    def available_actions(self) -> List[ItemAction]:
        return [ItemAction.from_json(a) for a in self._json.get("availableActions") or []]

    @available_actions.setter
    def available_actions(self, actions: List[ItemAction]) -> None:
        self._json["availableActions"] = [a.to_json() for a in actions]

    @property
    def description(self) -> Optional[dict]:
        return self._json.get("description")

    @description.setter
    def description(self, text: str) -> None:
        if not isinstance(text, str):
            raise ValueError("description must be a string")
        self._json["description"] = dict(self._json.get("description") or {}, content=text)

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/tasks/{self.id}"

    # -- related entities and repositories ---------------------------------------------------------
    project = Parent()

    dataset = Parent()

    @cached_property
    def tasks(self):
        from ..repositories.tasks import Tasks
        return Tasks(self._client, project=self._context.get("project"), dataset=self._context.get("dataset"))

    @cached_property
    def assignments(self):
        from ..repositories.assignments import Assignments
        return Assignments(self._client, project=self._context.get("project"), task=self,
                           dataset=self._context.get("dataset"))

    @property
    def current_assignments(self) -> list:
        """The task's assignments, fetched one by one."""
        return [self.assignments.get(assignment_id=a) for a in self.assignment_ids]

    # -- actions -----------------------------------------------------------------------------------
    def update(self, system_metadata: bool = False) -> "Task":
        return self.tasks.update(task=self, system_metadata=system_metadata)

    def delete(self, wait: bool = True):
        return self.tasks.delete(task_id=self.id, wait=wait)

    def open_in_web(self) -> None:
        self.tasks.open_in_web(task=self)

    def create_qa_task(self, due_date=None, assignee_ids=None, filters=None, items=None, query=None, workload=None,
                       metadata=None, available_actions=None, wait=True, batch_size=None, max_batch_workload=None,
                       allowed_assignees=None, priority=TaskPriority.MEDIUM) -> "Task":
        return self.tasks.create_qa_task(
            task=self, assignee_ids=assignee_ids, due_date=due_date, filters=filters, items=items, query=query,
            workload=workload, metadata=metadata, available_actions=available_actions, wait=wait,
            batch_size=batch_size, max_batch_workload=max_batch_workload, allowed_assignees=allowed_assignees,
            priority=priority)

    def create_assignment(self, assignment_name: Optional[str] = None, assignee_id: Optional[str] = None,
                          items=None, filters=None):
        """Add items to the task for one more assignee; returns the new assignment (renamed if a name is given)."""
        assignment = self.assignments.create(assignee_id=assignee_id, task=self, filters=filters, items=items)
        if assignment_name is not None:
            assignment.name = assignment_name
            assignment = assignment.update()
        return assignment

    def add_items(self, filters=None, items=None, assignee_ids=None, workload=None, limit=None, wait=True,
                  query=None) -> "Task":
        return self.tasks.add_items(task=self, filters=filters, items=items, assignee_ids=assignee_ids,
                                    workload=workload, limit=limit, wait=wait, query=query)

    def remove_items(self, filters=None, query=None, items=None, wait=True):
        return self.tasks.remove_items(task=self, filters=filters, query=query, items=items, wait=wait)

    def get_items(self, filters=None, get_consensus_items: bool = False):
        return self.tasks.get_items(task=self, dataset=self.dataset, filters=filters,
                                    get_consensus_items=get_consensus_items)

    def set_status(self, status: str, operation: str, item_ids: List[str]) -> bool:
        return self.tasks.set_status(status=status, operation=operation, task_id=self.id, item_ids=item_ids)
