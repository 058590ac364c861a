"""ServiceLog: pages of a service's log lines from ``POST /services/logs``, followed by checkpoint."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, List, Optional

if TYPE_CHECKING:
    from ..repositories.services import Services

FUNCTION_END_LINE = "[Done] Executing function."


class ServiceLog:
    """Iterate it for ``"<timestamp>: <message>"`` lines; ``entries()`` yields the raw log objects.

    Without ``follow`` the iteration ends when the platform has no more lines; with ``follow`` it keeps asking
    (the platform waits for new lines) until the platform says ``stop`` (the followed executions ended).
    """

    def __init__(self, _json: dict, service, services: "Services", start: Optional[str] = None,
                 follow: Optional[bool] = None, execution_id: Optional[str] = None,
                 function_name: Optional[str] = None, replica_id: Optional[str] = None, system: bool = False,
                 size: int = 100, text: Optional[str] = None, end: Optional[str] = None):
        self.service, self.services = service, services
        self.start, self.end, self.follow, self.size, self.text = start, end, follow, size, text
        self.execution_id, self.function_name, self.replica_id, self.system = (execution_id, function_name,
                                                                               replica_id, system)
        self._load(_json)

    def _load(self, _json: dict) -> None:
        self.logs: List[dict] = list(_json.get("logs") or [])
        self.checkpoint = _json.get("checkpoint")
        self.stop = bool(_json.get("stop", False))

    def get_next_log(self) -> None:
        """Fetch the page after the current checkpoint."""
        page = self.services.log(service=self.service, size=self.size, checkpoint=self.checkpoint, start=self.start,
                                 end=self.end, follow=self.follow, text=self.text, execution_id=self.execution_id,
                                 function_name=self.function_name, replica_id=self.replica_id, system=self.system,
                                 view=False)
        self._load({"logs": page.logs, "checkpoint": page.checkpoint, "stop": page.stop})

    def entries(self) -> Iterator[dict]:
        while True:
            yield from self.logs
            if self.stop or (not self.logs and not self.follow):
                return
            self.get_next_log()

    def __iter__(self) -> Iterator[str]:
        for entry in self.entries():
            yield f"{entry.get('timestamp', self.start)}: {str(entry.get('message', '')).strip()}"

    def view(self, until_completed: bool = True) -> None:
        """Print the lines; with ``until_completed`` stop at the end of the (first) function run."""
        for line in self:
            print(line)
            if until_completed and FUNCTION_END_LINE in line:
                return
