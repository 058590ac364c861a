"""Triggers: serialise/deserialise round trip of every trigger, and real runs against the emulator yielding
success, failure, timeout and error events; on_kill cancels a running execution."""
from __future__ import annotations

import asyncio
import importlib
import time

import pytest

from dataloop_provider.triggers.items import DataloopNewItemsTrigger
from dataloop_provider.triggers.runs import (DataloopCommandTrigger, DataloopExecutionTrigger,
                                             DataloopPipelineExecutionTrigger, DataloopTaskTrigger)
from .helpers import run_trigger

FAR = 4102444800.0  # 2100-01-01: a deadline that never passes in a test

TRIGGERS = [
    DataloopExecutionTrigger(run_ids=["e1", "e2"], deadline=FAR, poll_interval=0.5, max_poll_interval=2),
    DataloopPipelineExecutionTrigger(run_ids="p1", run_options={"pipeline_id": "pl"}, cancel_on_kill=False),
    DataloopCommandTrigger(run_ids=["c1"], dataloop_conn_id="other"),
    DataloopTaskTrigger(run_ids=["t1"], run_options={"statuses": ["completed"]}),
    DataloopNewItemsTrigger("d1", since="2026-01-01T00:00:00+00:00", until=None, filters={"dir": "/a"},
                            min_items=3),
]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=lambda t: type(t).__name__)
def test_serialize_round_trip(trigger):
    """Through Airflow's own trigger serialisation (what the triggerer stores), back to an equal trigger."""
    from airflow.serialization.serialized_objects import BaseSerialization
    classpath, kwargs = trigger.serialize()
    stored = BaseSerialization.deserialize(BaseSerialization.serialize(kwargs))
    module, name = classpath.rsplit(".", 1)
    rebuilt = getattr(importlib.import_module(module), name)(**stored)
    assert type(rebuilt) is type(trigger) and rebuilt.serialize() == (classpath, kwargs)
    assert all(isinstance(v, (str, int, float, bool, list, dict, type(None))) for v in kwargs.values())


def test_feed_triggers_round_trip():
    events = pytest.importorskip("dataloop_provider.triggers.events")
    for trigger in (events.DataloopNewItemsEventTrigger("d1", filters={"dir": "/x"}, poll_interval=5),
                    events.DataloopTaskCompletedEventTrigger("t1", min_percent=80)):
        classpath, kwargs = trigger.serialize()
        assert type(trigger)(**kwargs).serialize() == (classpath, kwargs)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="run_ids must be non-empty"):
        DataloopExecutionTrigger(run_ids=[])
    with pytest.raises(ValueError, match="poll_interval"):
        DataloopCommandTrigger(run_ids=["c"], poll_interval=0)
    with pytest.raises(ValueError, match="min_items must be >= 1"):
        DataloopNewItemsTrigger("d", min_items=0)
    with pytest.raises(ValueError, match="not an ISO date-time"):
        DataloopNewItemsTrigger("d", since="yesterday")


def test_execution_success_event_carries_the_output(client, demo, default_conn):
    execution = client.executions.create(service_id=demo["service_id"], function_name="echo",
                                         execution_input={"config": {"n": 1}})
    [event] = run_trigger(DataloopExecutionTrigger(run_ids=[execution.id], poll_interval=0.2, max_poll_interval=1,
                                                   deadline=time.time() + 60))
    assert event["event"] == "success" and event["run_ids"] == [execution.id]
    assert event["statuses"][0]["output"] == {"echo": {"n": 1}} and event["statuses"][0]["succeeded"]


def test_failed_execution_event_has_the_platform_message(client, demo, default_conn):
    execution = client.executions.create(service_id=demo["service_id"], function_name="fail")
    [event] = run_trigger(DataloopExecutionTrigger(run_ids=[execution.id], poll_interval=0.2, max_poll_interval=1,
                                                   deadline=time.time() + 60))
    assert event["event"] == "failure" and "model weights not found" in event["message"]


def test_deadline_fires_a_timeout_event(client, demo, default_conn):
    execution = client.executions.create(service_id=demo["service_id"], function_name="block",
                                         execution_input={"seconds": 30})
    started = time.monotonic()
    [event] = run_trigger(DataloopExecutionTrigger(run_ids=[execution.id], poll_interval=0.2, max_poll_interval=1,
                                                   deadline=time.time() + 1))
    assert event["event"] == "timeout" and "deadline passed" in event["message"]
    assert time.monotonic() - started < 20
    client.runs.cancel("execution", execution.id)


def test_unknown_run_is_an_error_event(default_conn):
    [event] = run_trigger(DataloopCommandTrigger(run_ids=["0" * 24], deadline=time.time() + 30))
    assert event["event"] == "error" and event["message"]


def test_on_kill_cancels_the_running_execution(client, demo, default_conn):
    execution = client.executions.create(service_id=demo["service_id"], function_name="block",
                                         execution_input={"seconds": 30})
    trigger = DataloopExecutionTrigger(run_ids=[execution.id], deadline=time.time() + 60)
    asyncio.run(trigger.on_kill())
    status = client.runs.status("execution", execution.id)
    assert status.terminal and not status.succeeded


def test_task_trigger_fires_when_items_are_completed(client, demo, default_conn, unique):
    dataset = client.datasets.get(dataset_id=demo["dataset_id"])
    item = dataset.items.upload(local_path=b"x", remote_path="/t", remote_name=f"{unique('i')}.txt")
    task = dataset.tasks.create(task_name=unique("task"), assignee_ids=[demo["annotator"]], items=[item.id])
    trigger = DataloopTaskTrigger(run_ids=[task.id], run_options={"statuses": ["completed"]}, poll_interval=0.2,
                                  max_poll_interval=0.5, deadline=time.time() + 60)

    async def complete_then_wait():
        waiting = asyncio.ensure_future(trigger.run().__anext__())
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await asyncio.to_thread(client.items.update_status, "completed", items=[item], task_id=task.id)
        return (await waiting).payload
    event = asyncio.run(asyncio.wait_for(complete_then_wait(), 60))
    assert event["event"] == "success" and event["statuses"][0]["terminal"]


def test_new_items_trigger(client, demo, default_conn, unique):
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 1))
    dataset = client.datasets.get(dataset_id=demo["dataset_id"])
    folder = "/" + unique("new")
    item = dataset.items.upload(local_path=b"y", remote_path=folder, remote_name="y.txt")
    [event] = run_trigger(DataloopNewItemsTrigger(dataset.id, since=since, filters={"dir": folder},
                                                  poll_interval=0.2, deadline=time.time() + 30))
    assert event["event"] == "success" and event["item_ids"] == [item.id] and event["count"] == 1
    [event] = run_trigger(DataloopNewItemsTrigger(dataset.id, since=since, filters={"dir": folder}, min_items=2,
                                                  poll_interval=0.2, max_poll_interval=0.2,
                                                  deadline=time.time() + 0.5))
    assert event["event"] == "timeout" and "only 1 new item(s)" in event["message"]


def test_platform_out_of_reach_polls_on_until_the_deadline(conn_env):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conn_env("dataloop_down", {"conn_type": "dataloop", "host": f"http://127.0.0.1:{port}", "password": "t",
                               "extra": {"max_retries": 0}})
    [event] = run_trigger(DataloopExecutionTrigger(run_ids=["e"], dataloop_conn_id="dataloop_down",
                                                   poll_interval=0.2, max_poll_interval=0.2,
                                                   deadline=time.time() + 1))
    assert event["event"] == "timeout" and "out of reach" in event["message"]
