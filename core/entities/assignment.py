"""Assignment: one assignee's share of a task's items."""
from __future__ import annotations

from functools import cached_property
from typing import Optional

from .base import Entity, Field, Parent
from .workload import Workload, WorkloadUnit  # noqa: F401 - the official SDK exposes them here too


class Assignment(Entity):
    name = Field("name")
    annotator = Field("annotator", readonly=True)
    status = Field("status", readonly=True)
    project_id = Field("projectId", readonly=True)
    metadata = Field("metadata", default=dict)
    updated_by = Field("updatedBy", readonly=True)
    annotation_status = Field("annotationStatus", readonly=True)
    item_status = Field("itemStatus", readonly=True)
    progress = Field("progress", readonly=True)
    total_items = Field("totalItems", readonly=True)
    for_review = Field("forReview", readonly=True)
    issues = Field("issues", readonly=True)

    def _ref(self, key: str) -> Optional[str]:
        metadata = self.metadata
        return metadata.get(key) or (metadata.get("system") or {}).get(key)

    @property
    def task_id(self) -> Optional[str]:
        return self._ref("taskId")

    @property
    def dataset_id(self) -> Optional[str]:
        return self._ref("datasetId")

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/assignments/{self.id}"

    # -- related entities and repositories ---------------------------------------------------------
    task = Parent()
    dataset = Parent()

    @cached_property
    def assignments(self):
        from ..repositories.assignments import Assignments
        return Assignments(self._client, project=self._context.get("project"), task=self._context.get("task"),
                           dataset=self._context.get("dataset"))

    # -- actions -----------------------------------------------------------------------------------
    def update(self, system_metadata: bool = False) -> "Assignment":
        return self.assignments.update(assignment=self, system_metadata=system_metadata)

    def open_in_web(self) -> None:
        self.assignments.open_in_web(assignment=self)

    def get_items(self, dataset=None, filters=None):
        return self.assignments.get_items(assignment=self, dataset=dataset, filters=filters)

    def reassign(self, assignee_id: str, wait: bool = True):
        return self.assignments.reassign(assignee_id=assignee_id, assignment=self, task_id=self.task_id, wait=wait)

    def redistribute(self, workload: Workload, wait: bool = True):
        return self.assignments.redistribute(workload=workload, assignment=self, task_id=self.task_id, wait=wait)

    def set_status(self, status: str, operation: str, item_id: str) -> bool:
        return self.assignments.set_status(status=status, operation=operation, item_id=item_id,
                                           assignment_id=self.id)
