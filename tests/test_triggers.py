"""Triggers: Event triggers fire executions on item/annotation changes, Cron triggers on schedule; CRUD."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from dataloop_core import Filters, FiltersResource
from dataloop_core.entities.trigger import CronTrigger, Trigger, TriggerExecutionMode, TriggerResource
from dataloop_core.exceptions import BadRequest, NotFound
from faas_runner import HookServer
from eventually import eventually


@pytest.fixture
def service(package):
    service = package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")
    yield service
    service.delete()


@pytest.fixture
def dataset(faas_project):
    return faas_project.datasets.create(f"ds-{uuid.uuid4().hex[:6]}")


def tname() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def upload(dataset, tmp_path, name: str):
    (tmp_path / name).write_text(name)
    return dataset.items.upload(local_path=str(tmp_path / name))


def fired(service, trigger) -> list:
    filters = Filters(field="triggerId", values=trigger.id, resource=FiltersResource.EXECUTION)
    return list(service.executions.list(filters).all())


def test_event_trigger_fires_on_upload_with_the_item(service, dataset, tmp_path):
    trigger = service.triggers.create(name=tname(), function_name="run", filters=Filters(),
                                      resource=TriggerResource.ITEM, actions="Created")
    assert isinstance(trigger, Trigger) and trigger.function_name == "run" and trigger.service_id == service.id
    assert trigger.to_json()["spec"]["filter"] == {"$and": [{"hidden": False}, {"type": "file"}]}
    item = upload(dataset, tmp_path, "new.txt")
    executions = fired(service, trigger)
    assert len(executions) == 1
    done = executions[0].wait(timeout=60)
    assert done.latest_status["status"] == "success" and done.output["item_id"] == item.id
    assert done.input == {"item": {"item_id": item.id, "dataset_id": dataset.id}}


def test_event_filter_and_project_scope(service, dataset, tmp_path, client):
    trigger = service.triggers.create(name=tname(), function_name="run", filters={"name": "*.png"})
    upload(dataset, tmp_path, "skip.txt")
    assert fired(service, trigger) == []
    other = client.projects.create(f"other-{uuid.uuid4().hex[:6]}").datasets.create("elsewhere")
    (tmp_path / "x.png").write_bytes(b"png")
    other.items.upload(local_path=str(tmp_path / "x.png"))
    assert fired(service, trigger) == []
    dataset.items.upload(local_path=str(tmp_path / "x.png"))
    assert len(fired(service, trigger)) == 1


@pytest.mark.parametrize("mode, expected", [(TriggerExecutionMode.ONCE, 1), (TriggerExecutionMode.ALWAYS, 2)])
def test_execution_mode_on_updates(service, dataset, tmp_path, mode, expected):
    trigger = service.triggers.create(name=tname(), function_name="run", actions=["Updated"],
                                      execution_mode=mode)
    item = upload(dataset, tmp_path, "u.txt")
    for value in ("one", "two"):
        item.metadata.setdefault("user", {})["v"] = value
        item = item.update()
    assert len(fired(service, trigger)) == expected


def test_inactive_and_deleted_triggers_do_not_fire(service, dataset, tmp_path):
    trigger = service.triggers.create(name=tname(), function_name="run", active=False)
    upload(dataset, tmp_path, "a.txt")
    assert fired(service, trigger) == []
    trigger.active = True
    assert trigger.update().active is True
    upload(dataset, tmp_path, "b.txt")
    assert len(fired(service, trigger)) == 1
    assert trigger.delete() is True
    upload(dataset, tmp_path, "c.txt")
    assert len(fired(service, trigger)) == 1
    with pytest.raises(NotFound, match="Trigger not found"):
        service.triggers.get(trigger_id=trigger.id)


def test_cron_trigger_fires_on_matching_minutes(service, emulator):
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    trigger = service.triggers.create(name=tname(), trigger_type="Cron", cron="*/5 * * * *", function_name="echo",
                                      inputs={"config": "tick"}, start_at=now.isoformat(),
                                      end_at=(now + timedelta(days=1)).isoformat())
    assert isinstance(trigger, CronTrigger) and trigger.cron == "*/5 * * * *"
    assert trigger.to_json()["spec"]["input"] == {"config": "tick"}
    dispatcher = emulator.emulator.extensions["faas"].triggers
    matching = now + timedelta(minutes=5 - now.minute % 5)
    started = [e for e in dispatcher.fire_due(matching) if e["triggerId"] == trigger.id]
    assert len(started) == 1
    assert [e for e in dispatcher.fire_due(matching) if e["triggerId"] == trigger.id] == []
    assert [e for e in dispatcher.fire_due(matching + timedelta(minutes=1)) if e["triggerId"] == trigger.id] == []
    assert [e for e in dispatcher.fire_due(now + timedelta(days=2)) if e["triggerId"] == trigger.id] == []
    done = service.executions.wait(execution_id=started[0]["id"], timeout=60)
    assert done.output["echo"] == "tick" and done.trigger_id == trigger.id


def test_get_list_clone_and_resource_information(service, faas_project, client, dataset, tmp_path):
    name = tname()
    trigger = service.triggers.create(name=name, function_name="run")
    assert faas_project.triggers.get(trigger_id=trigger.id).name == name
    assert service.triggers.get(trigger_name=name).id == trigger.id
    assert [t.id for t in service.triggers.list().all()] == [trigger.id]
    with pytest.raises(NotFound, match="Trigger not found: nope"):
        service.triggers.get(trigger_name="nope")
    target = client.projects.create(f"clone-{uuid.uuid4().hex[:6]}")
    clone = trigger.clone(project_id=target.id, name="copied")
    assert clone.project_id == target.id and clone.name == "copied" and clone.id != trigger.id
    (tmp_path / "info.txt").write_text("x")
    item = dataset.items.upload(local_path=str(tmp_path / "info.txt"))
    info = service.triggers.resource_information(resource="Item", resource_type=item, action="Created")
    assert trigger.id in [i["triggerId"] for i in info]
    assert service.triggers.resource_information(resource="Item", resource_type=item, action="Deleted") == []
    assert service.triggers.name_validation("fine-name") is None
    with pytest.raises(BadRequest):
        service.triggers.name_validation("Not Fine")


def test_bad_trigger_input(service, faas_project, client):
    with pytest.raises(BadRequest, match="function 'nope' not found"):
        service.triggers.create(name=tname(), function_name="nope")
    with pytest.raises(BadRequest, match="spec.cron"):
        service.triggers.create(name=tname(), trigger_type="Cron", cron="61 * * * *", function_name="echo")
    with pytest.raises(BadRequest, match="spec.resource"):
        service.triggers.create(name=tname(), function_name="run", resource="Galaxy")
    with pytest.raises(BadRequest, match="spec.actions"):
        service.triggers.create(name=tname(), function_name="run", actions=["Exploded"])
    with pytest.raises(BadRequest, match="invalid trigger name"):
        service.triggers.create(name="Bad Name", function_name="run")
    with pytest.raises(NotFound, match="Service not found"):
        faas_project.triggers.create(service_id="0" * 24, name=tname())
    with pytest.raises(ValueError, match="exactly one"):
        faas_project.triggers.create(name=tname())
    with pytest.raises(ValueError, match="needs cron"):
        service.triggers.create(name=tname(), trigger_type="Cron")
    with pytest.raises(NotFound, match="Pipeline not found"):
        service.triggers.create(name=tname(), pipeline_id="0" * 24)
    with pytest.raises(ValueError, match="exactly one of service_id, webhook_id or pipeline"):
        service.triggers.create(name=tname(), pipeline_id="0" * 24, service_id=service.id)
    with pytest.raises(BadRequest, match="invalid trigger id"):
        service.triggers.get(trigger_id="bad")
    assert service.triggers.list().items_count == 0
    trigger = service.triggers.create(name=tname(), function_name="run")
    trigger.spec["executionMode"] = "Sometimes"
    with pytest.raises(BadRequest, match="executionMode"):
        trigger.update()
    assert service.triggers.get(trigger_id=trigger.id).execution_mode == "Once"


# -- webhook triggers --------------------------------------------------------------------------------
@pytest.fixture
def hook_server():
    with HookServer() as server:
        yield server


def test_webhook_trigger_posts_the_event_and_retries_a_failed_delivery(faas_project, dataset, tmp_path, client,
                                                                       hook_server):
    webhook = client.transport.json("POST", "/webhooks", json={"name": "hook", "project": faas_project.id,
                                                                "hookUrl": hook_server.url, "httpMethod": "POST"})
    assert client.transport.json("GET", f"/webhooks/{webhook['id']}")["hookUrl"] == hook_server.url
    listed = client.transport.json("GET", "/webhooks", params={"pageOffset": 0, "pageSize": 100})
    assert webhook["id"] in [w["id"] for w in listed["items"]]
    hook_server.answers.extend([503])  # the first delivery fails: the emulator tries again
    trigger = faas_project.triggers.create(webhook_id=webhook["id"], name=tname(), resource=TriggerResource.ITEM,
                                           actions="Created", filters={"name": "hooked.txt"})
    assert trigger.webhook_id == webhook["id"]
    item = upload(dataset, tmp_path, "hooked.txt")
    eventually(lambda: len(hook_server.received) == 2, "two deliveries", limit=30)
    first, second = hook_server.received
    assert first["body"] == second["body"] and first["path"] == "/hook"
    assert second["body"]["resource"] == "Item" and second["body"]["action"] == "Created"
    assert second["body"]["data"]["id"] == item.id and second["body"]["triggerId"] == trigger.id
    assert "Authorization" not in second["headers"]
    upload(dataset, tmp_path, "not-hooked.txt")
    client.transport.json("DELETE", f"/webhooks/{webhook['id']}")
    with pytest.raises(NotFound, match="Webhook not found"):
        client.transport.json("GET", f"/webhooks/{webhook['id']}")
    assert len(hook_server.received) == 2


def test_webhook_bad_input(faas_project, client, hook_server):
    body = {"name": "hook", "project": faas_project.id, "hookUrl": hook_server.url}
    with pytest.raises(BadRequest, match="hookUrl must be an http"):
        client.transport.json("POST", "/webhooks", json={**body, "hookUrl": "ftp://127.0.0.1/x"})
    with pytest.raises(BadRequest, match="httpMethod must be one of"):
        client.transport.json("POST", "/webhooks", json={**body, "httpMethod": "BREW"})
    with pytest.raises(NotFound, match="Webhook not found"):
        faas_project.triggers.create(webhook_id="0" * 24, name=tname())
    with pytest.raises(BadRequest, match="invalid webhook id"):
        client.transport.json("GET", "/webhooks/nope")


def test_webhook_retries_are_bounded(faas_project, dataset, tmp_path, client, hook_server):
    from dataloop_core.emulator.faas.webhooks import ATTEMPTS
    webhook = client.transport.json("POST", "/webhooks", json={"name": "down", "project": faas_project.id,
                                                                "hookUrl": hook_server.url})
    hook_server.answers.extend([500] * (ATTEMPTS + 2))  # the hook is down for longer than the emulator tries
    faas_project.triggers.create(webhook_id=webhook["id"], name=tname(), filters={"name": "down.txt"})
    upload(dataset, tmp_path, "down.txt")
    eventually(lambda: len(hook_server.received) == ATTEMPTS, "every delivery attempt", limit=30)
    time.sleep(5)  # longer than the last backoff: no further try comes
    assert len(hook_server.received) == ATTEMPTS
