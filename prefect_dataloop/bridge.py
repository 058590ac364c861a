"""The event bridge: Dataloop changes seen by ``dataloop_core.feed`` relayed as Prefect events, so a deployment
with a ``DeploymentEventTrigger`` runs when the data changes.

A feed is described in plain JSON (so it can be a deployment parameter):

- ``{"items": {"dataset_id": ..., "filters": {...}, "events": ["created"], "since": iso}}`` -> ``dataloop.item.*``
- ``{"task": {"task_id": ..., "min_percent": 100}}`` -> ``dataloop.task.completed``
- ``{"runs": {"kind": "pipeline_execution", "pipeline_id": ...}}`` (or ``service_id`` / ``run_ids``)
  -> ``dataloop.pipeline.execution.succeeded|failed`` (``dataloop.execution.*`` for executions)

``relay_dataloop_events`` polls each feed once from its saved cursor, emits one event per change and saves the
new cursor in a Prefect Variable; run it as a deployment on an interval schedule and Prefect's scheduler is the
loop. The cursor is saved only after the poll's events were sent, so each change is relayed once; if the flow
dies in between, the next run relays that poll's changes again (at least once).
"""
from __future__ import annotations

import hashlib
import json
from typing import List, Optional

from prefect import flow, get_run_logger
from prefect.events.worker import EventsWorker
from prefect.variables import Variable

from dataloop_core.feed import ItemFeed, RunFeed, TaskFeed

from . import events
from .credentials import DataloopCredentials

FEEDS = {"items": ItemFeed, "task": TaskFeed, "runs": RunFeed}
OPTIONS = {"items": {"dataset_id", "filters", "events", "since", "settle", "page_size"},
           "task": {"task_id", "min_percent", "statuses"},
           "runs": {"kind", "run_ids", "service_id", "pipeline_id", "since", "settle"}}


def build_feed(client, spec: dict, cursor: Optional[str] = None):
    """The ``dataloop_core.feed`` object a JSON feed description names (clear errors for anything else)."""
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in FEEDS:
        raise ValueError(f"a feed is one of {{'items': ...}}, {{'task': ...}}, {{'runs': ...}}; got {spec!r}")
    (name, options), = spec.items()
    unknown = set(options) - OPTIONS[name]
    if unknown:
        raise ValueError(f"unknown option(s) for a {name!r} feed: {', '.join(sorted(unknown))}; "
                         f"allowed: {', '.join(sorted(OPTIONS[name]))}")
    options = dict(options)
    if name == "runs":
        return RunFeed(client, options.pop("kind"), options.pop("run_ids", None), cursor=cursor, **options)
    return FEEDS[name](client, cursor=cursor, **options)


def cursor_variable(prefix: str, spec: dict) -> str:
    """The Prefect Variable holding one feed's cursor: ``<prefix>-<digest of the feed description>``."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    return f"{prefix}-{digest}"


def relay(feed, dataset_id: Optional[str] = None, max_changes: int = 1000) -> List[str]:
    """Poll ``feed`` once and emit each change as a Prefect event; the event names, in order."""
    emitted = []
    for change in feed.poll(max_changes=max_changes):
        event = events.change_event(change, dataset_id)
        emitted.append(event.event if event is not None else change.kind)
    return emitted


@flow(name="Relay Dataloop changes as Prefect events")
def relay_dataloop_events(credentials: DataloopCredentials, feeds: List[dict],
                          state_prefix: str = "dataloop-bridge", max_changes: int = 1000) -> dict:
    """Poll every feed once from its saved cursor, emit its changes as Prefect events, save the cursors.

    Example:
        ```python
        from prefect_dataloop import DataloopCredentials
        from prefect_dataloop.bridge import relay_dataloop_events

        relay_dataloop_events.serve(name="dataloop-bridge", interval=30, parameters={
            "credentials": DataloopCredentials.load("BLOCK_NAME"),
            "feeds": [{"items": {"dataset_id": "DATASET_ID", "filters": {"dir": "/incoming"}}}]})
        ```
    """
    client, relayed = credentials.get_client(), {}
    for spec in feeds:
        name = cursor_variable(state_prefix, spec)
        feed = build_feed(client, spec, Variable.get(name, default=None, _sync=True))
        names = relay(feed, (spec.get("items") or {}).get("dataset_id"), max_changes)
        EventsWorker.instance().wait_until_empty()     # the events are sent before the cursor moves past them
        Variable.set(name, feed.cursor, overwrite=True, _sync=True)
        for event in names:
            relayed[event] = relayed.get(event, 0) + 1
    get_run_logger().info("relayed %d change(s): %s", sum(relayed.values()), relayed or "none")
    return {"relayed": sum(relayed.values()), "events": relayed}
