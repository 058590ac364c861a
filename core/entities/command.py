"""Command: a platform operation running in the background (wire §6)."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Callable, Optional

from ..runs import RunKind, RunStatus
from .base import Entity, Field


class CommandsStatus(str, Enum):
    CREATED = "created"
    MAKING_CHILDREN = "making-children"
    WAITING_CHILDREN = "waiting-children"
    IN_PROGRESS = "in-progress"
    FINALIZING = "finalizing"
    CLEANING_UP = "cleaning-up"
    ON_ERROR = "on-error"
    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    ABORTED = "aborted"


TERMINAL_STATUSES = frozenset({CommandsStatus.SUCCESS, CommandsStatus.FAILED, CommandsStatus.TIMEOUT,
                               CommandsStatus.CANCELED, CommandsStatus.ABORTED})


class Command(Entity):
    status = Field("status", readonly=True)
    type = Field("type", readonly=True)
    progress = Field("progress", default=0, readonly=True)
    spec = Field("spec", default=dict, readonly=True)
    error = Field("error", readonly=True)

    @cached_property
    def commands(self):
        from ..repositories.commands import Commands
        return Commands(self._client)

    def in_progress(self) -> bool:
        """True while the status is not terminal; ``ValueError`` for a status the platform does not define."""
        try:
            status = CommandsStatus(self.status)
        except ValueError:
            raise ValueError(f"command {self.id} has an unknown status {self.status!r}") from None
        return status not in TERMINAL_STATUSES

    def run_status(self) -> RunStatus:
        """Output: the command's ``spec`` (small JSON; what it produced, e.g. ``returnedModelId``)."""
        error = self.error
        message = error if isinstance(error, str) or error is None else (
            error.get("message") if isinstance(error, dict) and error.get("message") else str(error))
        return RunStatus(RunKind.COMMAND.value, self.id, self.status, terminal=not self.in_progress(),
                         succeeded=self.status == CommandsStatus.SUCCESS.value, message=message or None,
                         percent=self.progress, output=self.spec)

    def wait(self, timeout: float = 0, step: Optional[float] = None, backoff_factor: float = 1,
             iteration_callback: Optional[Callable[[], None]] = None) -> "Command":
        """Wait until the command ends (no request if it already has); see ``Commands.wait``."""
        if not self.in_progress():
            self.commands.check_success(self)
            return self
        done = self.commands.wait(command_id=self.id, timeout=timeout, step=step, url=self.url,
                                  backoff_factor=backoff_factor, iteration_callback=iteration_callback)
        self._refresh_from(done.to_json())
        return self

    def abort(self) -> "Command":
        return self.commands.abort(command_id=self.id)
