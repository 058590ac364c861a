"""``DataloopTrigger``: serialisation from one tuple of field names, the hook's async client, and the
backoff schedule every Dataloop wait uses (starts at ``poll_interval``, x1.5 up to ``max_poll_interval``,
never past the absolute ``deadline``, epoch seconds)."""
from __future__ import annotations

import asyncio
import time
from functools import cached_property
from typing import Any, ClassVar, Optional

from airflow.triggers.base import BaseTrigger

from dataloop_provider.hooks.dataloop import DataloopHook

BACKOFF = 1.5


class SerializedFields:
    """``serialize()`` of a trigger from the names of its kwargs: the base's ``common_fields`` and the subclass's
    ``serialized_fields`` (each an attribute of the same name)."""

    common_fields: ClassVar[tuple] = ()
    serialized_fields: ClassVar[tuple] = ()

    def serialize(self) -> tuple[str, dict[str, Any]]:
        cls = type(self)
        return (f"{cls.__module__}.{cls.__qualname__}",
                {name: getattr(self, name) for name in self.common_fields + self.serialized_fields})


class DataloopTrigger(SerializedFields, BaseTrigger):
    """Base of the provider's task triggers; subclasses list their kwargs in ``serialized_fields``."""

    common_fields = ("dataloop_conn_id", "deadline", "poll_interval", "max_poll_interval")

    def __init__(self, *, dataloop_conn_id: str = DataloopHook.default_conn_name, deadline: Optional[float] = None,
                 poll_interval: float = 5.0, max_poll_interval: float = 60.0, **kwargs):
        super().__init__(**kwargs)
        if poll_interval <= 0 or max_poll_interval < poll_interval:
            raise ValueError(f"{type(self).__name__}: need 0 < poll_interval <= max_poll_interval, got "
                             f"{poll_interval} and {max_poll_interval}")
        self.dataloop_conn_id = dataloop_conn_id
        self.deadline = float(deadline) if deadline is not None else None
        self.poll_interval = float(poll_interval)
        self.max_poll_interval = float(max_poll_interval)

    @cached_property
    def hook(self) -> DataloopHook:
        """One hook, so one client, for the trigger's whole wait (closed when ``run`` ends)."""
        return DataloopHook(self.dataloop_conn_id)

    def expired(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    async def sleep(self, attempt: int) -> None:
        """Sleep the backoff delay of ``attempt`` (0-based), cut at the deadline."""
        delay = min(self.poll_interval * BACKOFF ** attempt, self.max_poll_interval)
        if self.deadline is not None:
            delay = max(0.0, min(delay, self.deadline - time.time()))
        await asyncio.sleep(delay)
