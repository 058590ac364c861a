"""The status-and-wait contract for everything the platform runs, as orchestrators hold it.

One small, JSON-serialisable ``RunStatus`` for executions, pipeline executions, commands and annotation-task
progress; one ``wait`` shape (finite default timeout, ``raise_on_failure``, a cancel event, a progress hook) and
one ``cancel`` per kind. Repositories implement ``status``/``wait_for``/``cancel`` by id; ``client.runs`` dispatches
on the kind, which is what one trigger or job run needs to persist: ``(kind, id)``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Optional

from ._plain import checked_fields
from ._polling import DEFAULT_TIMEOUT, wait_for_status


class RunKind(str, Enum):
    EXECUTION = "execution"
    PIPELINE_EXECUTION = "pipeline_execution"
    COMMAND = "command"
    TASK = "task"


@dataclass(frozen=True)
class RunStatus:
    """Where one run stands. ``terminal``: it will not change any more (a task: it reached the wait's threshold);
    ``succeeded``: terminal and successful; ``message``: the platform's (the error text of a failure)."""

    kind: str
    id: str
    status: str
    terminal: bool
    succeeded: bool
    message: Optional[str] = None
    percent: Optional[float] = None
    output: Any = None

    def describe(self) -> str:
        text = f"{self.kind.replace('_', ' ')} {self.id} is {self.status}"
        if self.percent is not None and not self.terminal:
            text += f" ({self.percent:g}%)"
        return text + (f": {self.message}" if self.message else "")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunStatus":
        return cls(**checked_fields(cls, data))


class CancellableRuns:
    """The contract for a repository whose entities have ``in_progress()`` and ``run_status()``: it gives
    ``_get(run_id)`` and ``_stop(run_id)`` (terminate, abort) and gets ``status``, ``cancel`` and ``wait_for``."""

    def status(self, run_id: str) -> RunStatus:
        return self._get(run_id).run_status()

    def cancel(self, run_id: str) -> RunStatus:
        """Cancel the run; one that already ended is left as it is and its status returned."""
        entity = self._get(run_id)
        return entity.run_status() if not entity.in_progress() else self._stop(run_id).run_status()

    def wait_for(self, run_id: str, *, timeout: Optional[float] = DEFAULT_TIMEOUT, **options) -> RunStatus:
        """Wait until the run ends; see ``_polling.wait_for_status`` for the options and failure rules."""
        return wait_for_status(lambda: self.status(run_id), lambda: self.cancel(run_id), timeout=timeout,
                               **options)


class Runs:
    """``client.runs``: status, wait and cancel of any run by ``(kind, id)``.

    Extra keyword arguments go to the kind's repository: ``pipeline_id`` for pipeline executions;
    ``min_percent`` or ``statuses`` for tasks.
    """

    def __init__(self, client):
        self._client = client

    def _repository(self, kind):
        try:
            kind = RunKind(getattr(kind, "value", kind))
        except ValueError:
            allowed = ", ".join(k.value for k in RunKind)
            raise ValueError(f"unknown run kind {kind!r}; expected one of: {allowed}") from None
        return getattr(self._client, {RunKind.EXECUTION: "executions", RunKind.PIPELINE_EXECUTION:
                                      "pipeline_executions", RunKind.COMMAND: "commands",
                                      RunKind.TASK: "tasks"}[kind])

    def status(self, kind, run_id: str, **options) -> RunStatus:
        """One cheap read of the run's status."""
        return self._repository(kind).status(run_id, **options)

    def wait(self, kind, run_id: str, *, timeout: Optional[float] = DEFAULT_TIMEOUT, **options) -> RunStatus:
        """Wait until the run is terminal: ``raise_on_failure``, ``cancel_event``, ``on_progress``,
        ``poll_interval``, ``cancel_remote`` as in ``_polling.wait_for_status``, plus the kind's own options."""
        return self._repository(kind).wait_for(run_id, timeout=timeout, **options)

    def cancel(self, kind, run_id: str, **options) -> RunStatus:
        """Cancel the run; a run that already ended is left as it is and its status returned."""
        return self._repository(kind).cancel(run_id, **options)
