"""Execution: one run of a service function, with its status history, output and logs (wire §7)."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Optional

from ..runs import RunKind, RunStatus
from .base import Entity, Field, Parent


class ExecutionStatus(str, Enum):
    CREATED = "created"
    IN_PROGRESS = "in-progress"
    SUCCESS = "success"
    FAILED = "failed"
    TERMINATED = "terminated"
    ABORTED = "aborted"
    CANCELED = "canceled"
    SYSTEM_FAILURE = "system-failure"


TERMINAL_STATUSES = frozenset({"success", "failed", "terminated", "aborted", "canceled", "system-failure"})


class Execution(Entity):
    project_id = Field("projectId", readonly=True)
    service_id = Field("serviceId", readonly=True)
    service_name = Field("serviceName", readonly=True)
    function_name = Field("functionName", readonly=True)
    trigger_id = Field("triggerId", readonly=True)
    input = Field("input", readonly=True)
    output = Field("output")
    status = Field("status", default=list, readonly=True)
    status_log = Field("statusLog", default=list, readonly=True)
    attempts = Field("attempts", readonly=True)
    max_attempts = Field("maxAttempts")
    to_terminate = Field("toTerminate", readonly=True)
    duration = Field("duration", readonly=True)
    package_id = Field("packageId", readonly=True)
    package_name = Field("packageName", readonly=True)
    package_revision = Field("packageRevision", readonly=True)
    service_version = Field("serviceVersion", readonly=True)
    pipeline = Field("pipeline", readonly=True)

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/services/{self.service_id}/executions/{self.id}"

    @property
    def latest_status(self) -> dict:
        return self._json.get("latestStatus") or {}

    def in_progress(self) -> bool:
        """True until the latest status is terminal (success, failed, terminated, aborted, ...)."""
        return self.latest_status.get("status") not in TERMINAL_STATUSES

    def run_status(self) -> RunStatus:
        latest = self.latest_status
        status = latest.get("status") or ExecutionStatus.CREATED.value
        return RunStatus(RunKind.EXECUTION.value, self.id, status, terminal=status in TERMINAL_STATUSES,
                         succeeded=status == ExecutionStatus.SUCCESS.value, message=latest.get("message") or None,
                         percent=latest.get("percentComplete"), output=self.output)

    service = Parent()

    project = Parent()

    @cached_property
    def executions(self):
        from ..repositories.executions import Executions
        return Executions(self._client, service=self._context.get("service"), project=self._context.get("project"))

    # -- actions ---------------------------------------------------------------------------------
    def _adopt(self, other: "Execution") -> "Execution":
        self._refresh_from(other.to_json())
        return self

    def wait(self, timeout: Optional[float] = None, backoff_factor: float = 1) -> "Execution":
        """Poll until a terminal status; the entity is refreshed in place and returned."""
        return self._adopt(self.executions.wait(execution=self, timeout=timeout, backoff_factor=backoff_factor))

    def terminate(self) -> "Execution":
        return self._adopt(self.executions.terminate(execution=self))

    def rerun(self, sync: bool = False) -> "Execution":
        return self._adopt(self.executions.rerun(execution=self, sync=sync))

    def update(self) -> "Execution":
        return self._adopt(self.executions.update(execution=self))

    def increment(self) -> int:
        return self.executions.increment(execution=self)

    def progress_update(self, status: Optional[str] = None, percent_complete: Optional[int] = None,
                        message: Optional[str] = None, output=None, service_version: Optional[str] = None):
        return self._adopt(self.executions.progress_update(execution_id=self.id, status=status,
                                                           percent_complete=percent_complete, message=message,
                                                           output=output, service_version=service_version))

    def logs(self, follow: bool = False, until_completed: bool = True, view: bool = False):
        """This execution's log lines (a ``ServiceLog``; iterate it for ``"<timestamp>: <message>"`` lines)."""
        return self.service.log(execution_id=self.id, follow=follow, until_completed=until_completed, view=view)

    def __repr__(self) -> str:
        return f"Execution(id={self.id!r}, function={self.function_name!r}, status={self.latest_status.get('status')!r})"
