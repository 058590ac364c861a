"""Assignments (wire §3.11): each assignee's share of a task; reassign and redistribute are commands."""
from __future__ import annotations

import copy
import logging
import webbrowser
from typing import List, Optional

from .._repository import Repository, path
from ..entities.assignment import Assignment
from ..entities.workload import Workload, as_workload
from ..exceptions import MissingEntity, NotFound
from ..filters import Filters, FiltersOperations
from .tasks import run_command

logger = logging.getLogger("dataloop_core.assignments")
URL = "/assignments"


class Assignments(Repository):
    """``task.assignments`` or ``project.assignments``."""

    def _project_ids(self, project_ids=None) -> List[str]:
        if project_ids is not None:
            return project_ids if isinstance(project_ids, list) else [project_ids]
        project, task, dataset = (self._parent(name, False) for name in ("project", "task", "dataset"))
        project_id = (project.id if project is not None else task.project_id if task is not None
                      else dataset.project_id if dataset is not None else None)
        if project_id is None:
            raise MissingEntity("2001", "Assignments needs a project: use project/dataset/task.assignments")
        return [project_id]

    def _build(self, json_: dict) -> Assignment:
        assignment = Assignment(self._client, json_, project=self._parent("project", False))
        task, dataset = self._parent("task", False), self._parent("dataset", False)
        if task is not None and task.id == assignment.task_id:
            assignment._context["task"] = task
        if dataset is not None and dataset.id == assignment.dataset_id:
            assignment._context["dataset"] = dataset
        return assignment

    def _assignment_id(self, assignment: Optional[Assignment], assignment_id: Optional[str]) -> str:
        if assignment_id is None and assignment is None:
            raise ValueError("pass assignment or assignment_id")
        return assignment_id or assignment.id

    def _task_id(self, task, task_id, assignment: Optional[Assignment]) -> str:
        task_id = task_id or getattr(task or self._parent("task", False), "id", None)
        task_id = task_id or (assignment.task_id if assignment is not None else None)
        if task_id is None:
            raise ValueError("pass task or task_id")
        return task_id

    # -- reads -----------------------------------------------------------------------------------
    def list(self, project_ids: Optional[list] = None, status: Optional[str] = None,
             assignment_name: Optional[str] = None, assignee_id: Optional[str] = None,
             pages_size: Optional[int] = None, page_offset: Optional[int] = None,
             task_id: Optional[str] = None) -> List[Assignment]:
        """Assignments (first page, ``pages_size`` default 500), of the repository's task unless ``task_id``."""
        task = self._parent("task", False)
        params = {"projects": ",".join(self._project_ids(project_ids)), "status": status, "name": assignment_name,
                  "annotator": assignee_id, "pageSize": pages_size or 500, "pageOffset": page_offset,
                  "taskId": task_id or (task.id if task is not None else None)}
        answer = self._request("GET", URL, params={k: v for k, v in params.items() if v is not None}) or {}
        return [self._build(j) for j in answer.get("items") or []]

    def get(self, assignment_name: Optional[str] = None, assignment_id: Optional[str] = None) -> Assignment:
        """An assignment by id, or by its (unique) name in the task/project."""
        if assignment_id is not None:
            return self._build(self._request("GET", path(URL + "/{}", assignment_id)))
        if assignment_name is None:
            raise ValueError("pass assignment_id or assignment_name")
        found = [a for a in self.list() if a.name == assignment_name]
        if len(found) != 1:
            state = "not found" if not found else "is not unique; get it by id"
            raise NotFound("404", f"Assignment {assignment_name!r} {state}")
        return found[0]

    def get_items(self, assignment: Optional[Assignment] = None, assignment_id=None, assignment_name=None,
                  dataset=None, filters: Optional[Filters] = None):
        """Pages of the assignment's items (optionally narrowed by ``filters``)."""
        if assignment is None:
            if assignment_id is None and assignment_name is None:
                raise ValueError("pass assignment, assignment_id or assignment_name")
            assignment = self.get(assignment_name=assignment_name, assignment_id=assignment_id)
        dataset = dataset or self._parent("dataset", False) or assignment.dataset
        filters = Filters(use_defaults=False) if filters is None else copy.deepcopy(filters)
        filters.add("metadata.system.refs.id", [assignment.id], FiltersOperations.IN)
        return dataset.items.list(filters=filters)

    # -- writes ----------------------------------------------------------------------------------
    def update(self, assignment: Optional[Assignment] = None, system_metadata: bool = False) -> Assignment:
        """Send the assignment JSON (``system_metadata=True`` may change ``metadata.system``)."""
        if assignment is None:
            raise ValueError("pass the assignment to update")
        params = {"system": "true"} if system_metadata else None
        answer = self._request("PATCH", path(URL + "/{}", assignment.id), json=assignment.to_json(), params=params)
        assignment._refresh_from(answer)
        return assignment

    def create(self, assignee_id: str, task=None, filters: Optional[Filters] = None,
               items: Optional[list] = None) -> Assignment:
        """Add the selected items to the task for one assignee (100% load); returns their new assignment."""
        task = task or self._parent("task", False)
        if task is None:
            raise ValueError("pass the task the assignment belongs to")
        if filters is None and items is None:
            raise ValueError("pass filters or items for the new assignment")
        before = set(task.assignment_ids)
        task = self._client.tasks.add_items(task=task, filters=filters, items=items,
                                            workload=Workload.generate([assignee_id]))
        new = [a for a in task.assignment_ids if a not in before]
        if not new:  # the assignee already had an assignment in this task: the items joined it
            found = [a for a in self.list(task_id=task.id) if a.annotator == assignee_id.lower()]
            if not found:
                raise NotFound("404", f"no assignment of {assignee_id} in task {task.id}")
            return found[0]
        return self.get(assignment_id=new[0])

    def reassign(self, assignee_id: str, assignment: Optional[Assignment] = None,
                 assignment_id: Optional[str] = None, task=None, task_id: Optional[str] = None, wait: bool = True):
        """Move the assignment's unfinished items to ``assignee_id``; returns the receiving assignment."""
        assignment_id = self._assignment_id(assignment, assignment_id)
        payload = {"taskId": self._task_id(task, task_id, assignment), "annotator": assignee_id, "asynced": wait}
        answer = self._request("POST", path(URL + "/{}/reassign", assignment_id), json=payload)
        command = run_command(self._client, answer, wait, "toAssignment")
        return self.get(assignment_id=command.spec["toAssignment"]) if wait else command

    def redistribute(self, workload: Workload, assignment: Optional[Assignment] = None,
                     assignment_id: Optional[str] = None, task=None, task_id: Optional[str] = None,
                     wait: bool = True):
        """Split the assignment's unfinished items by ``workload``; returns the workload's assignments."""
        assignment_id = self._assignment_id(assignment, assignment_id)
        workload = as_workload(workload)
        if not workload:
            raise ValueError("workload must have at least one WorkloadUnit")
        task_id = self._task_id(task, task_id, assignment)
        payload = {"taskId": task_id, "workload": workload.to_json(), "asynced": wait}
        answer = self._request("POST", path(URL + "/{}/redistribute", assignment_id), json=payload)
        command = run_command(self._client, answer, wait, "workload")
        if not wait:
            return command
        assignees = {unit.assignee_id.lower() for unit in workload}
        return [a for a in self.list(task_id=task_id) if a.annotator in assignees]

    def set_status(self, status: str, operation: str, item_id: str, assignment_id: str) -> bool:
        """Set (``operation='create'``) or clear (``'delete'``) one item's status in the assignment."""
        self._request("POST", path(URL + "/{}/items/{}/status", assignment_id, item_id),
                      json={"operation": operation, "status": status})
        return True

    # -- local -----------------------------------------------------------------------------------
    @property
    def platform_url(self) -> str:
        task = self._parent("task")
        return f"{self._client.console_url}projects/{task.project_id}/tasks/{task.id}/assignments"

    def open_in_web(self, assignment_name: Optional[str] = None, assignment_id: Optional[str] = None,
                    assignment: Optional[Assignment] = None) -> None:
        """Open the assignment (or the task's assignments page) in the console."""
        if assignment_name is not None:
            assignment = self.get(assignment_name=assignment_name)
        if assignment is not None:
            url = assignment.platform_url
        else:
            url = self.platform_url + (f"/{assignment_id}" if assignment_id else "")
        webbrowser.open(url=url, new=2, autoraise=True)
