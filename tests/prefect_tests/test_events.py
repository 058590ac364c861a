"""Event names and resource ids (one scheme for emitted outcomes and bridged changes), and artifact keys."""
from __future__ import annotations

import pytest

from dataloop_core.feed import Change
from prefect_dataloop import events
from prefect_dataloop.artifacts import artifact_key


@pytest.mark.parametrize("kind, outcome, name", [
    ("execution", None, "dataloop.execution.succeeded"),
    ("pipeline_execution", "cancelled", "dataloop.pipeline.execution.cancelled"),
    ("command", "timed-out", "dataloop.command.timed-out"),
    ("task", None, "dataloop.task.succeeded"),
])
def test_run_outcomes(emitted, kind, outcome, name):
    status = {"kind": kind, "id": "abc", "status": "success", "succeeded": True, "message": None, "percent": 100}
    events.run_outcome(status, outcome)
    [event] = emitted("dataloop.")
    assert event.event == name and event.resource.id == f"dataloop.{events.OBJECTS[kind]}.abc"
    assert event.payload == {"status": "success", "message": None, "percent": 100}


def test_bridged_changes(emitted):
    item = Change("item_updated", "i1", "2026-01-01T00:00:00Z", {"datasetId": "d1", "filename": "/a.png"}, "c")
    run = Change("run_finished", "p1", "2026-01-01T00:00:00Z",
                 {"kind": "pipeline_execution", "status": "failed", "succeeded": False, "pipelineId": "pp"}, "c")
    events.change_event(item)
    events.change_event(run)
    updated, failed = emitted("dataloop.")
    assert (updated.event, updated.resource.id, updated.related[0].id) == (
        "dataloop.item.updated", "dataloop.item.i1", "dataloop.dataset.d1")
    assert (failed.event, failed.resource.id, failed.related[0].id) == (
        "dataloop.pipeline.execution.failed", "dataloop.pipeline.execution.p1", "dataloop.pipeline.pp")
    with pytest.raises(ValueError, match="unknown change kind 'item_deleted'"):
        events.change_event(Change("item_deleted", "i", "t", {}, "c"))


def test_artifact_keys_follow_prefects_rule():
    assert artifact_key("Dataloop", "Dataset My_Images (v2)") == "dataloop-dataset-my-images-v2"
    assert artifact_key("dataloop-sync", "push", "shard", "0-of-4") == "dataloop-sync-push-shard-0-of-4"
