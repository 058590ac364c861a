"""Event triggers for data-aware scheduling (``AssetWatcher``): fire on Dataloop changes read through
``dataloop_core.feed``, each change once, resuming from the feed's cursor after a triggerer restart.

The cursor lives in the watched asset's state store (``asset_state_store``, injected by the Airflow 3.3+
triggerer) under ``cursor_key``; without one (older Airflow, or a trigger run by hand) it lives in memory.
Event payload: ``{"kind", "count", "ids" (capped at 100), "changes" (first 20, plain JSON), "cursor"}``.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator, ClassVar, Optional

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from dataloop_core.feed import ItemFeed, TaskFeed
from dataloop_provider.hooks.dataloop import DataloopHook
from dataloop_provider.triggers.base import SerializedFields

MAX_IDS, MAX_CHANGES = 100, 20


class DataloopFeedTrigger(SerializedFields, BaseEventTrigger):
    """Poll a feed every ``poll_interval`` s; one event per batch of new changes. Subclasses build the feed."""

    common_fields = ("dataloop_conn_id", "poll_interval", "max_changes")
    cursor_key: ClassVar[str] = "dataloop_feed_cursor"

    def __init__(self, *, dataloop_conn_id: str = DataloopHook.default_conn_name, poll_interval: float = 30.0,
                 max_changes: int = 1000, **kwargs):
        super().__init__(**kwargs)
        if poll_interval <= 0 or max_changes < 1:
            raise ValueError(f"{type(self).__name__}: poll_interval must be > 0 and max_changes >= 1, got "
                             f"{poll_interval} and {max_changes}")
        self.dataloop_conn_id, self.poll_interval, self.max_changes = dataloop_conn_id, poll_interval, max_changes
        self._cursor: Optional[str] = None

    def feed(self, client, cursor: Optional[str]):
        raise NotImplementedError

    @property
    def state_store(self):
        """The watched asset's state store (Airflow 3.3+ triggerer), else None."""
        return getattr(self, "asset_state_store", None)

    async def load_cursor(self) -> Optional[str]:
        if self.state_store is not None:
            return await self.state_store.aget(self.cursor_key)
        return self._cursor

    async def save_cursor(self, cursor: Optional[str]) -> None:
        self._cursor = cursor
        if self.state_store is not None:
            await self.state_store.aset(self.cursor_key, cursor)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll forever; after each event the cursor is saved, so a restart resumes after the changes already
        fired (at least once: a crash between firing and saving repeats that one batch)."""
        client = await DataloopHook(self.dataloop_conn_id).aget_conn()
        saved = await self.load_cursor()
        feed = await asyncio.to_thread(self.feed, client, saved)
        while True:
            changes = await asyncio.to_thread(feed.poll, self.max_changes)
            if changes:
                yield TriggerEvent({"kind": changes[0].kind, "count": len(changes),
                                    "ids": [c.id for c in changes[:MAX_IDS]],
                                    "changes": [c.to_dict() for c in changes[:MAX_CHANGES]],
                                    "cursor": feed.cursor})
            if feed.cursor != saved:
                saved = feed.cursor
                await self.save_cursor(saved)
            await asyncio.sleep(self.poll_interval)


class DataloopNewItemsEventTrigger(DataloopFeedTrigger):
    """Fires when items matching ``filters`` are created (or updated, per ``events``) in ``dataset_id``; without
    a saved cursor it starts from ``since`` (an ISO time; None: every item from the beginning). ``settle``: how
    many seconds a change waits before it is reported (late writes still land in order)."""

    serialized_fields = ("dataset_id", "filters", "events", "since", "settle")

    def __init__(self, dataset_id: str, *, filters: Optional[dict] = None, events: tuple = ("created",),
                 since: Optional[str] = None, settle: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        if not dataset_id or not isinstance(dataset_id, str):
            raise ValueError(f"DataloopNewItemsEventTrigger: dataset_id must be an id string, got {dataset_id!r}")
        self.dataset_id, self.filters, self.events, self.since = dataset_id, filters, list(events), since
        self.settle = settle

    def feed(self, client, cursor):
        return ItemFeed(client, self.dataset_id, filters=self.filters, cursor=cursor, since=self.since,
                        events=tuple(self.events), settle=self.settle)


class DataloopTaskCompletedEventTrigger(DataloopFeedTrigger):
    """Fires when annotation task ``task_id`` reaches ``min_percent`` progress (or every item has one of
    ``statuses``); again only after it fell below and reached it anew."""

    serialized_fields = ("task_id", "min_percent", "statuses")

    def __init__(self, task_id: str, *, min_percent: float = 100, statuses: Optional[list] = None, **kwargs):
        super().__init__(**kwargs)
        if not task_id or not isinstance(task_id, str):
            raise ValueError(f"DataloopTaskCompletedEventTrigger: task_id must be an id string, got {task_id!r}")
        self.task_id, self.min_percent, self.statuses = task_id, min_percent, statuses

    def feed(self, client, cursor):
        return TaskFeed(client, self.task_id, min_percent=self.min_percent, cursor=cursor, statuses=self.statuses)
