"""Helpers of the Airflow leg's tests: a task instance's XCom half, running triggers and catching deferrals."""
from __future__ import annotations

import asyncio
import json

import pytest


class TaskInstanceStub:
    """What a task instance gives operators and sensors outside a DAG run: XCom by key, first reschedule,
    stats tags."""

    def __init__(self):
        self.xcoms: dict = {}
        self.stats_tags: dict = {}

    def xcom_push(self, key: str, value) -> None:
        json.dumps(value)  # XCom values must be plain JSON
        self.xcoms[key] = value

    def xcom_pull(self, key: str = "return_value", **_):
        return self.xcoms.get(key)

    def get_first_reschedule_date(self, context):
        return None


def run_trigger(trigger, events: int = 1, timeout: float = 60):
    """Run a trigger on a fresh event loop until it yields ``events`` events; returns their payloads."""
    async def collect():
        payloads = []
        async for event in trigger.run():
            payloads.append(event.payload)
            if len(payloads) >= events:
                break
        return payloads
    return asyncio.run(asyncio.wait_for(collect(), timeout))


def deferred(operator, context):
    """Run ``operator.execute`` expecting a deferral; returns the TaskDeferred."""
    from airflow.providers.common.compat.sdk import TaskDeferred
    with pytest.raises(TaskDeferred) as caught:
        operator.execute(context)
    return caught.value


class TaskStateStore:
    """The task state store of Airflow 3.3 (kept across a task's tries), in memory."""

    def __init__(self):
        self.values: dict = {}

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value) -> None:
        json.dumps(value)
        self.values[key] = value


def killed_while_waiting(op, context, started_within: float = 30):
    """Run ``op.execute`` in a thread, call ``op.on_kill()`` once it has started its runs, and return the
    ``AirflowException`` the execution ended with (the thread must end within 30 s)."""
    import threading
    import time
    from airflow.providers.common.compat.sdk import AirflowException
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault(
        "error", pytest.raises(AirflowException, op.execute, context)))
    worker.start()
    deadline = time.monotonic() + started_within
    while not op.run_ids and time.monotonic() < deadline:
        time.sleep(0.05)
    op.on_kill()
    worker.join(30)
    assert not worker.is_alive(), "the task did not end after on_kill"
    return outcome["error"].value
