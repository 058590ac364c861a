"""Test-only fault switch: make chosen requests fail (status, Retry-After, connection reset, delay, truncated body).

``truncate`` serves the real response but only the first half of its body, then closes the connection (the
server applies it: server.py); the other actions are applied by the app before the handler runs.

Enabled only when the server is started with ``enable_faults=True`` (``--enable-faults``); rules are set
through ``POST /_emulator/faults``.
"""
from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import List, Optional

ACTIONS = ("status", "reset", "delay", "truncate")


@dataclass
class FaultRule:
    path: str                    # glob over the request path, e.g. "/api/v1/datasets/*/items"
    method: str = "*"
    action: str = "status"       # one of ACTIONS
    status: int = 503
    retry_after: Optional[float] = None
    delay: float = 0.0
    times: int = 1               # how many matching requests to fault (-1 = forever)
    every: int = 1               # fault one request in ``every`` matching ones

    seen: int = 0


class FaultSwitch:
    def __init__(self):
        self._rules: List[FaultRule] = []
        self._lock = threading.Lock()

    def set(self, rules: List[dict]) -> None:
        with self._lock:
            self._rules = [FaultRule(**rule) for rule in rules]

    def clear(self) -> None:
        self.set([])

    def match(self, method: str, path: str, truncate: bool = False) -> Optional[FaultRule]:
        """The rule that applies to this request, consuming one of its ``times``: among ``truncate`` rules when
        ``truncate`` (asked by the server), else among the others (asked by the app)."""
        with self._lock:
            for rule in self._rules:
                if rule.times == 0 or rule.method not in ("*", method) or not fnmatch.fnmatch(path, rule.path):
                    continue
                if (rule.action == "truncate") != truncate:
                    continue
                rule.seen += 1
                if (rule.seen - 1) % rule.every:
                    continue
                if rule.times > 0:
                    rule.times -= 1
                return rule
        return None
