"""In-process event bus: resource modules publish entity changes, triggers and pipelines subscribe."""
from __future__ import annotations

import logging
import threading
from typing import Callable, List

logger = logging.getLogger("dataloop_core.emulator.events")
Listener = Callable[[str, str, dict], None]


class EventBus:
    """``emit("Item", "Created", doc)``; resources are TriggerResource names, actions TriggerAction names."""

    def __init__(self):
        self._listeners: List[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def emit(self, resource: str, action: str, doc: dict) -> None:
        for listener in list(self._listeners):
            try:
                listener(resource, action, doc)
            except Exception:  # a listener's bug must never fail the request that emitted
                logger.exception("event listener failed on %s %s", resource, action)
