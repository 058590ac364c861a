"""Triggers waiting on runs (executions, pipeline executions, commands, annotation tasks) through
``client.runs.status`` off the event loop; ``on_kill`` (Airflow 3.3+) cancels what is still running.

Events: ``{"event": "success" | "failure" | "timeout" | "error", "kind", "run_ids", "statuses": [RunStatus
dicts], "message"}``; ``statuses`` are the last ones read.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator, ClassVar, Optional

from airflow.triggers.base import TriggerEvent

from dataloop_core.exceptions import APIConnectionError, DataloopError
from dataloop_core.runs import RunKind, RunStatus
from dataloop_provider.triggers.base import DataloopTrigger


def outcome(kind: str, run_ids: list, statuses: list, event: Optional[str] = None,
            message: Optional[str] = None) -> dict:
    """The event payload for the last ``statuses`` of ``run_ids`` (``event`` forced for timeout/error)."""
    failed = [s for s in statuses if s.terminal and not s.succeeded]
    if event is None:
        event = "failure" if failed else "success"
    if message is None:
        message = "; ".join(s.describe() for s in (failed or statuses)) or None
    return {"event": event, "kind": kind, "run_ids": list(run_ids), "statuses": [s.to_dict() for s in statuses],
            "message": message}


class DataloopRunTrigger(DataloopTrigger):
    """Wait until every run of ``run_ids`` (of the class's ``kind``) is terminal, or the deadline passes.

    :param run_ids: the ids to wait on (one trigger per wait; several ids for a fan-out such as one
        execution per item).
    :param run_options: keyword arguments of ``client.runs.status`` (``pipeline_id``; a task's
        ``min_percent`` or ``statuses``).
    :param cancel_on_kill: cancel runs still going when the task is killed (Airflow 3.3+ ``on_kill``).
    """

    kind: ClassVar[str]
    serialized_fields = ("run_ids", "run_options", "cancel_on_kill")

    def __init__(self, run_ids, *, run_options: Optional[dict] = None, cancel_on_kill: bool = True, **kwargs):
        super().__init__(**kwargs)
        run_ids = [run_ids] if isinstance(run_ids, str) else list(run_ids or [])
        if not run_ids or not all(isinstance(i, str) and i for i in run_ids):
            raise ValueError(f"{type(self).__name__}: run_ids must be non-empty id strings, got {run_ids!r}")
        self.run_ids = run_ids
        self.run_options = dict(run_options or {})
        self.cancel_on_kill = bool(cancel_on_kill)

    async def statuses(self) -> list:
        client = await self.hook.aget_conn()
        return [await asyncio.to_thread(client.runs.status, self.kind, run_id, **self.run_options)
                for run_id in self.run_ids]

    async def check(self) -> Optional[dict]:
        """The event payload once the wait is over, else None. The platform out of reach (after the client's
        retries) is not the end of a run: polling goes on until the deadline."""
        try:
            statuses = await self.statuses()
        except APIConnectionError as exc:
            if self.expired():
                return outcome(self.kind, self.run_ids, [], "timeout",
                               f"deadline passed while the platform was out of reach: {exc}")
            self.log.warning("platform out of reach, polling on until the deadline: %s", exc)
            return None
        except (DataloopError, ValueError) as exc:
            return outcome(self.kind, self.run_ids, [], "error", str(exc))
        if all(s.terminal for s in statuses):
            return outcome(self.kind, self.run_ids, statuses)
        if self.expired():
            pending = "; ".join(s.describe() for s in statuses if not s.terminal)
            return outcome(self.kind, self.run_ids, statuses, "timeout", f"deadline passed before the end: {pending}")
        self.log.info("waiting: %s", "; ".join(s.describe() for s in statuses))
        return None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        attempt = 0
        try:
            while (payload := await self.check()) is None:
                await self.sleep(attempt)
                attempt += 1
        finally:
            self.hook.close()
        yield TriggerEvent(payload)

    async def on_kill(self) -> None:
        """Cancel the runs still going (only on a user's kill of the deferred task; never on restarts)."""
        if not self.cancel_on_kill or self.kind == RunKind.TASK.value:
            return
        client = await self.hook.aget_conn()
        try:
            for run_id in self.run_ids:
                try:
                    status: RunStatus = await asyncio.to_thread(client.runs.cancel, self.kind, run_id,
                                                                **self.run_options)
                    self.log.info("cancelled on kill: %s", status.describe())
                except Exception as exc:  # cancel the others all the same; say what was left running
                    self.log.error("could not cancel %s %s: %s", self.kind, run_id, exc)
        finally:
            self.hook.close()


class DataloopExecutionTrigger(DataloopRunTrigger):
    """Wait for FaaS executions."""
    kind = RunKind.EXECUTION.value


class DataloopPipelineExecutionTrigger(DataloopRunTrigger):
    """Wait for pipeline executions (``run_options={"pipeline_id": ...}`` saves a lookup)."""
    kind = RunKind.PIPELINE_EXECUTION.value


class DataloopCommandTrigger(DataloopRunTrigger):
    """Wait for platform commands (export, clone, external-storage sync...)."""
    kind = RunKind.COMMAND.value


class DataloopTaskTrigger(DataloopRunTrigger):
    """Wait for annotation tasks to reach ``run_options`` ``min_percent`` (default 100) or ``statuses``."""
    kind = RunKind.TASK.value


TRIGGERS = {cls.kind: cls for cls in (DataloopExecutionTrigger, DataloopPipelineExecutionTrigger,
                                       DataloopCommandTrigger, DataloopTaskTrigger)}
