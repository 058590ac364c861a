"""The event bridge: Dataloop changes (new items matching filters, a task completed, a pipeline execution
finished) become Prefect events, each once across runs, and a deployment with a DeploymentEventTrigger runs."""
from __future__ import annotations


import pytest

from eventually import eventually
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.events import DeploymentEventTrigger

from dataloop_core.entities.pipeline_node import CodeNode
from prefect_dataloop.bridge import build_feed, relay_dataloop_events

from .conftest import run_flow


@flow
def on_new_item(item_id: str, dataset_id: str) -> str:
    return item_id


def test_bridge_relays_new_items_once_and_starts_a_deployment_run(credentials, dataset, unique, emitted):
    deployment_id = on_new_item.to_deployment(unique("on-new-item"), triggers=[DeploymentEventTrigger(
        expect={"dataloop.item.created"},
        match_related={"prefect.resource.id": f"dataloop.dataset.{dataset.id}"},
        parameters={"item_id": "{{ event.resource.id }}", "dataset_id": dataset.id})]).apply()
    feeds = [{"items": {"dataset_id": dataset.id, "filters": {"dir": "/incoming"}, "settle": 0}}]
    prefix = unique("bridge")
    dataset.items.upload(local_path=b"elsewhere", remote_path="/other", remote_name="skip.txt")
    item = dataset.items.upload(local_path=b"new", remote_path="/incoming", remote_name="new.txt")

    first, _ = run_flow(relay_dataloop_events, credentials, feeds, state_prefix=prefix)
    again, _ = run_flow(relay_dataloop_events, credentials, feeds, state_prefix=prefix)

    assert first == {"relayed": 1, "events": {"dataloop.item.created": 1}}
    assert again == {"relayed": 0, "events": {}}          # the cursor was saved: nothing is relayed twice
    [event] = emitted("dataloop.item")
    assert event.resource.id == f"dataloop.item.{item.id}" and event.payload["filename"] == "/incoming/new.txt"

    with get_client(sync_client=True) as client:  # the automation services react within seconds
        runs = eventually(lambda: client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(
            any_=[deployment_id]))), "the DeploymentEventTrigger starting a run", limit=90, step=0.5)
    assert len(runs) == 1
    assert runs[0].parameters == {"item_id": f"dataloop.item.{item.id}", "dataset_id": dataset.id}


def tag(item):
    item.metadata.setdefault("user", {})["seen"] = True
    return item.update()


def test_bridge_relays_task_completed_and_pipeline_finished(credentials, client, project, dataset, unique,
                                                            emitted):
    items = [dataset.items.upload(local_path=b"x", remote_path="/t", remote_name=f"{i}.txt") for i in range(2)]
    task = dataset.tasks.create(unique("label"), assignee_ids=["anna@labelers.io"])
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.add_node(CodeNode("tag", project.id, project.name, tag))
    pipeline = pipeline.update().install()
    execution = pipeline.execute(execution_input={"item": items[0].id}).wait(timeout=120)
    client.tasks.set_status("completed", "create", task.id, [i.id for i in items])
    feeds = [{"task": {"task_id": task.id}}, {"runs": {"kind": "pipeline_execution", "pipeline_id": pipeline.id,
                                                       "settle": 0}}]

    result, _ = run_flow(relay_dataloop_events, credentials, feeds, state_prefix=unique("bridge"))

    assert result["events"] == {"dataloop.task.completed": 1, "dataloop.pipeline.execution.succeeded": 1}
    [done] = emitted("dataloop.task")
    assert done.resource.id == f"dataloop.task.{task.id}" and done.payload["percent"] == 100
    [finished] = emitted("dataloop.pipeline")
    assert finished.resource.id == f"dataloop.pipeline.execution.{execution.id}"
    assert finished.related[0].id == f"dataloop.pipeline.{pipeline.id}"


@pytest.mark.parametrize("spec, message", [
    ({"files": {}}, "a feed is one of"),
    ({"items": {"dataset": "x"}}, "unknown option.*dataset"),
    ({"runs": {"kind": "task", "pipeline_id": "p"}}, "RunFeed follows kind"),
])
def test_bad_feed_descriptions_are_named(client, spec, message):
    with pytest.raises(ValueError, match=message):
        build_feed(client, spec)
