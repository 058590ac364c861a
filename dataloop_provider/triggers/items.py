"""New items in a dataset (created in ``[since, until)``, matching filters): the query shared by the sensor's
poke and ``DataloopNewItemsTrigger``."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import AsyncIterator, Optional, Union

from airflow.triggers.base import TriggerEvent

from dataloop_core import Filters, FiltersOperations, FiltersOrderByDirection
from dataloop_core.exceptions import DataloopError
from dataloop_provider.triggers.base import DataloopTrigger

MAX_IDS = 100


def platform_time(value: Union[str, datetime, None]) -> Optional[str]:
    """A datetime (or ISO string) as the platform writes ``createdAt``: ``2026-01-02T03:04:05.678Z`` (UTC)."""
    if value is None or value in ("", "None"):  # a templated data interval of a run without one
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO date-time: {value!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_items(client, dataset_id: str, since=None, until=None, filters: Optional[dict] = None) -> dict:
    """``{"count", "item_ids"}`` (ids capped at 100, oldest first) of files created in ``[since, until)``."""
    query = Filters.from_dict(dict(filters or {}))
    if since is not None:
        query.add("createdAt", platform_time(since), FiltersOperations.GREATER_THAN_OR_EQUAL)
    if until is not None:
        query.add("createdAt", platform_time(until), FiltersOperations.LESS_THAN)
    query.sort_by("createdAt")
    query.page_size = MAX_IDS
    page = client.datasets.get(dataset_id=dataset_id).items.list(filters=query)
    return {"dataset_id": dataset_id, "count": len(page), "item_ids": [item.id for item in page.items]}


def newest_created_at(client, dataset_id: str) -> Optional[str]:
    """The ``createdAt`` of the dataset's newest file as the platform wrote it (its clock, not ours), or None."""
    query = Filters()
    query.sort_by("createdAt", FiltersOrderByDirection.DESCENDING)
    query.page_size = 1
    page = client.datasets.get(dataset_id=dataset_id).items.list(filters=query)
    return page.items[0].created_at if page.items else None


class DataloopNewItemsTrigger(DataloopTrigger):
    """Fire once at least ``min_items`` files created in ``[since, until)`` match ``filters``; times out at the
    deadline. Event: ``{"event": "success" | "timeout" | "error", "count", "item_ids", "message"}``."""

    serialized_fields = ("dataset_id", "since", "until", "filters", "min_items")

    def __init__(self, dataset_id: str, *, since: Optional[str] = None, until: Optional[str] = None,
                 filters: Optional[dict] = None, min_items: int = 1, **kwargs):
        super().__init__(**kwargs)
        if not dataset_id or not isinstance(dataset_id, str):
            raise ValueError(f"DataloopNewItemsTrigger: dataset_id must be an id string, got {dataset_id!r}")
        if min_items < 1:
            raise ValueError(f"DataloopNewItemsTrigger: min_items must be >= 1, got {min_items}")
        self.dataset_id, self.filters, self.min_items = dataset_id, dict(filters or {}), int(min_items)
        self.since, self.until = platform_time(since), platform_time(until)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            payload = await self._wait()
        finally:
            self.hook.close()
        yield TriggerEvent(payload)

    async def _wait(self) -> dict:
        attempt = 0
        while True:
            try:
                client = await self.hook.aget_conn()
                found = await asyncio.to_thread(new_items, client, self.dataset_id, self.since, self.until,
                                                self.filters)
            except (DataloopError, ValueError) as exc:
                return {"event": "error", "count": 0, "item_ids": [], "message": str(exc)}
            if found["count"] >= self.min_items:
                return {"event": "success", **found, "message": None}
            if self.expired():
                return {"event": "timeout", **found, "message": (
                    f"only {found['count']} new item(s) in dataset {self.dataset_id} before the deadline, "
                    f"{self.min_items} wanted")}
            await self.sleep(attempt)
            attempt += 1
