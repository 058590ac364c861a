"""Sensors waiting on an execution, a pipeline execution, a command, or an annotation task's completion."""
from __future__ import annotations

from typing import ClassVar, Optional

from airflow.providers.common.compat.sdk import AirflowException

from dataloop_core.runs import RunKind
from dataloop_provider.sensors.base import DataloopSensor
from dataloop_provider.triggers.runs import TRIGGERS


class DataloopRunSensor(DataloopSensor):
    """Done when the run is terminal; fails with the platform's message when it ended unsuccessfully. XCom:
    the final ``RunStatus.to_dict()``. ``cancel_on_kill`` (default False: a sensor did not start the run)
    cancels it when the deferred task is killed."""

    kind: ClassVar[str]
    template_fields = ("run_id", "dataloop_conn_id")

    def __init__(self, *, run_id: str, cancel_on_kill: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.run_id, self.cancel_on_kill = run_id, cancel_on_kill

    def run_options(self) -> dict:
        return {}

    def check(self, context) -> tuple:
        status = self.hook.get_conn().runs.status(self.kind, self.run_id, **self.run_options())
        if status.terminal and not status.succeeded:
            raise AirflowException(status.describe())
        self.log.info("%s", status.describe())
        return status.terminal, status.to_dict()

    def trigger(self, deadline: float):
        return TRIGGERS[self.kind](run_ids=[self.run_id], run_options=self.run_options(),
                                   cancel_on_kill=self.cancel_on_kill, **self.trigger_options(deadline))

    def event_value(self, event: dict):
        return (event.get("statuses") or [None])[0]


class DataloopExecutionSensor(DataloopRunSensor):
    """Wait for a FaaS execution."""

    kind = RunKind.EXECUTION.value

    def __init__(self, *, execution_id: str, **kwargs):
        super().__init__(run_id=execution_id, **kwargs)


class DataloopPipelineExecutionSensor(DataloopRunSensor):
    """Wait for a pipeline execution (``pipeline_id`` saves a lookup)."""

    kind = RunKind.PIPELINE_EXECUTION.value
    template_fields = (*DataloopRunSensor.template_fields, "pipeline_id")

    def __init__(self, *, pipeline_execution_id: str, pipeline_id: Optional[str] = None, **kwargs):
        super().__init__(run_id=pipeline_execution_id, **kwargs)
        self.pipeline_id = pipeline_id

    def run_options(self) -> dict:
        return {"pipeline_id": self.pipeline_id} if self.pipeline_id else {}


class DataloopCommandSensor(DataloopRunSensor):
    """Wait for a platform command (export, clone, external-storage sync...)."""

    kind = RunKind.COMMAND.value

    def __init__(self, *, command_id: str, **kwargs):
        super().__init__(run_id=command_id, **kwargs)


class DataloopTaskCompletionSensor(DataloopRunSensor):
    """Wait until an annotation task reaches ``min_percent`` progress (default 100), or until every item of it
    has one of ``statuses`` (e.g. ``["completed", "approved"]``)."""

    kind = RunKind.TASK.value
    template_fields = (*DataloopRunSensor.template_fields, "statuses")

    def __init__(self, *, annotation_task_id: str, min_percent: Optional[float] = None,
                 statuses: Optional[list] = None, **kwargs):
        super().__init__(run_id=annotation_task_id, **kwargs)
        if min_percent is not None and statuses is not None:
            raise ValueError(f"{type(self).__name__}: pass min_percent or statuses, not both")
        if min_percent is not None and not 0 < min_percent <= 100:
            raise ValueError(f"{type(self).__name__}: min_percent must be in (0, 100], got {min_percent}")
        self.min_percent, self.statuses = min_percent, statuses

    def run_options(self) -> dict:
        if self.statuses is not None:
            return {"statuses": list(self.statuses)}
        return {"min_percent": self.min_percent if self.min_percent is not None else 100}
