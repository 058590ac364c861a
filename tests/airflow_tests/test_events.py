"""Event triggers for AssetWatcher scheduling over dataloop_core.feed: new items fire once each, a restarted
trigger resumes from the cursor kept in the asset's state store (no repeats, nothing missed), a task completion
fires once."""
from __future__ import annotations

import asyncio

import pytest

from dataloop_provider.triggers.events import DataloopNewItemsEventTrigger, DataloopTaskCompletedEventTrigger


class AssetStateStore:
    """The triggerer's per-asset key/value store (its async half), kept in memory for a test."""

    def __init__(self):
        self.values: dict = {}

    async def aget(self, key, default=None):
        return self.values.get(key, default)

    async def aset(self, key, value):
        self.values[key] = value


def first_events(trigger, count: int, timeout: float = 30) -> list:
    """Run the (endless) trigger as the triggerer does, which keeps iterating after an event (so the trigger
    saves its cursor), until ``count`` events and the cursor of the last one is saved; then stop it."""
    async def collect():
        events, done = [], asyncio.Event()

        async def iterate():
            async for event in trigger.run():
                events.append(event.payload)
                if len(events) == count:
                    done.set()
        runner = asyncio.ensure_future(iterate())
        await done.wait()
        while store_of(trigger) is not None and store_of(trigger).get("dataloop_feed_cursor") != events[-1]["cursor"]:
            await asyncio.sleep(0.05)
        runner.cancel()
        return events
    return asyncio.run(asyncio.wait_for(collect(), timeout))


def store_of(trigger):
    return trigger.asset_state_store.values if trigger.asset_state_store is not None else None


def test_new_items_fire_once_and_resume_after_a_restart(client, demo, default_conn, unique):
    dataset = client.datasets.get(dataset_id=demo["dataset_id"])
    folder = "/" + unique("ev")
    store = AssetStateStore()
    kwargs = {"filters": {"dir": folder}, "poll_interval": 0.2, "settle": 0}
    first = dataset.items.upload(local_path=b"1", remote_path=folder, remote_name="1.txt")
    trigger = DataloopNewItemsEventTrigger(dataset.id, **kwargs)
    trigger.asset_state_store = store
    [event] = first_events(trigger, 1)
    assert event["ids"] == [first.id] and event["kind"] == "item_created" and event["count"] == 1
    assert store.values["dataloop_feed_cursor"] == event["cursor"]

    second = dataset.items.upload(local_path=b"2", remote_path=folder, remote_name="2.txt")
    restarted = DataloopNewItemsEventTrigger(dataset.id, **kwargs)  # a new triggerer process: same kwargs
    restarted.asset_state_store = store
    [event] = first_events(restarted, 1)
    assert event["ids"] == [second.id]  # the first item is not fired again


def test_task_completed_fires_when_the_task_is_done(client, demo, default_conn, unique):
    dataset = client.datasets.get(dataset_id=demo["dataset_id"])
    item = dataset.items.upload(local_path=b"t", remote_path="/" + unique("tc"), remote_name="t.txt")
    task = dataset.tasks.create(task_name=unique("task"), assignee_ids=[demo["annotator"]], items=[item.id])
    client.items.update_status("completed", items=[item], task_id=task.id)
    [event] = first_events(DataloopTaskCompletedEventTrigger(task.id, poll_interval=0.2), 1)
    assert event["kind"] == "task_completed" and event["ids"] == [task.id]


def test_bad_event_trigger_arguments_are_named():
    with pytest.raises(ValueError, match="dataset_id must be an id string"):
        DataloopNewItemsEventTrigger("")
    with pytest.raises(ValueError, match="poll_interval must be > 0"):
        DataloopTaskCompletedEventTrigger("t", poll_interval=0)


def test_event_triggers_are_event_triggers_with_stable_kwargs():
    from airflow.triggers.base import BaseEventTrigger
    trigger = DataloopNewItemsEventTrigger("d1", filters={"dir": "/x"})
    classpath, kwargs = trigger.serialize()
    assert isinstance(trigger, BaseEventTrigger) and "cursor" not in kwargs  # the cursor never changes the hash
    assert BaseEventTrigger.hash(classpath, kwargs) == BaseEventTrigger.hash(*type(trigger)(**kwargs).serialize())
