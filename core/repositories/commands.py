"""Commands (wire §3.20, §6): get, list, abort, and wait for background operations."""
from __future__ import annotations

from typing import Callable, List, Optional

from .._polling import poll
from .._repository import Repository, path
from ..entities.command import Command, CommandsStatus
from ..exceptions import FailedDependency
from ..runs import CancellableRuns


class Commands(CancellableRuns, Repository):
    """``client.commands``."""

    def _build(self, json: dict) -> Command:
        return Command(self._client, json)

    def list(self) -> List[Command]:
        return [self._build(j) for j in self._request("GET", "/commands")]

    def get(self, command_id: Optional[str] = None, url: Optional[str] = None) -> Command:
        """A command by id, or by its ``url`` (the part after ``api/v1`` is requested)."""
        if url is not None:
            if "api/v1" not in url:
                raise ValueError(f"command url must contain 'api/v1': {url!r}")
            return self._build(self._request("GET", url.split("api/v1", 1)[1]))
        if command_id is None:
            raise ValueError("pass command_id or url")
        return self._build(self._request("GET", path("/commands/{}", command_id)))

    def abort(self, command_id: str) -> Command:
        return self._build(self._request("POST", path("/commands/{}/abort", command_id)))

    def wait(self, command_id: str, timeout: float = 0, step: Optional[float] = None, url: Optional[str] = None,
             backoff_factor: float = 1, iteration_callback: Optional[Callable[[], None]] = None) -> Command:
        """Poll until the command ends and return it.

        Delays start at 0.1 s x ``backoff_factor`` and double up to 30 s (or are ``step`` seconds when given),
        never beyond the remaining ``timeout`` (0 or None: no limit). Raises ``TimeoutError`` on timeout and
        ``FailedDependency`` when the command ends in any status but ``success``.
        """
        command = poll(lambda: self.get(command_id=command_id, url=url), Command.in_progress,
                       lambda c: f"command {c.id} (status {c.status}, progress {c.progress}%)",
                       timeout=timeout, backoff_factor=backoff_factor, step=step, on_iteration=iteration_callback)
        return self.check_success(command)

    # -- the orchestration contract (dataloop_core.runs.CancellableRuns) ---------------------------
    def _get(self, command_id: str) -> Command:
        return self.get(command_id=command_id)

    def _stop(self, command_id: str) -> Command:
        return self.abort(command_id=command_id)

    @staticmethod
    def check_success(command: Command) -> Command:
        """The command itself when it succeeded; ``FailedDependency`` naming its status and error otherwise."""
        if command.status != CommandsStatus.SUCCESS.value:
            raise FailedDependency("424", f"Command {command.id} {command.status}: {command.error!r}")
        return command
