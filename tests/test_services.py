"""Services: deploy (create/update), get/list, update/delete, pause/resume/restart, status, revisions, logs,
execute, slots, name validation, local-folder deploys, checkout."""
from __future__ import annotations

import json
import uuid

import pytest

from dataloop_core import DataloopClient, Filters, FiltersResource
from dataloop_core.entities.service import KubernetesRabbitmqAutoscaler, KubernetesRuntime, Service
from dataloop_core.entities.service_log import ServiceLog
from dataloop_core.exceptions import BadRequest, NotFound


@pytest.fixture
def name():
    return f"svc-{uuid.uuid4().hex[:8]}"


def test_deploy_creates_then_updates_by_name(package, name):
    runtime = KubernetesRuntime(concurrency=2, autoscaler=KubernetesRabbitmqAutoscaler(max_replicas=2))
    service = package.services.deploy(service_name=name, runtime=runtime, init_input={"greeting": "yo"},
                                      execution_timeout=30, max_attempts=2)
    assert isinstance(service, Service) and service.name == name
    assert service.package_id == package.id and service.project_id == package.project_id
    assert service.module_name == "default_module" and service.init_input == {"greeting": "yo"}
    assert service.runtime["concurrency"] == 2 and service.runtime["autoscaler"]["maxReplicas"] == 2
    assert service.execution_timeout == 30 and service.max_attempts == 2 and service.active is True
    again = package.deploy(service_name=name, execution_timeout=60)
    assert again.id == service.id and again.execution_timeout == 60 and again.version == "1.0.1"


def test_deploy_defaults_to_the_package_name(package):
    service = package.services.deploy()
    assert service.name == package.name and service.package_revision == package.version
    service.delete()


def test_deploy_bad_input(package, faas_project, client, name):
    with pytest.raises(ValueError, match="needs a package"):
        faas_project.services.deploy(service_name=name)
    with pytest.raises(BadRequest, match="module 'nope' not found"):
        package.services.deploy(service_name=name, module_name="nope")
    with pytest.raises(BadRequest, match="invalid service name"):
        package.services.deploy(service_name="Bad Name")
    with pytest.raises(BadRequest, match="concurrency"):
        package.services.deploy(service_name=name, runtime={"concurrency": 0})
    with pytest.raises(BadRequest, match="packageId is required"):
        client.transport.json("POST", "/services", json={"name": name, "projectId": faas_project.id})
    with pytest.raises(NotFound, match="Package not found"):
        client.transport.json("POST", "/services", json={"name": name, "projectId": faas_project.id,
                                                         "packageId": "0" * 24})
    assert faas_project.services.list(Filters(field="name", values=name,
                                              resource=FiltersResource.SERVICE)).items_count == 0


def shout(item, text, progress=None):
    return f"{item.name}:{text.upper()}"


def test_deploy_a_python_function(faas_project, name):
    """``deploy(func=...)`` pushes a generated package (inputs typed by argument name) and deploys it."""
    dataset = faas_project.datasets.create(f"fn-{uuid.uuid4().hex[:6]}")
    item = dataset.items.upload(local_path=b"x", remote_path="/", remote_name="a.txt")
    service = faas_project.services.deploy(service_name=name, func=shout)
    package = service.package
    assert package.name == name and service.package_id == package.id
    assert [(i.type, i.name) for i in package.modules[0].functions[0].inputs] == [("Item", "item"), ("Json", "text")]
    execution = service.execute(function_name="shout", sync=True,
                                execution_input={"item": {"item_id": item.id, "dataset_id": dataset.id}, "text": "hi"})
    assert execution.latest_status["status"] == "success" and execution.output == "a.txt:HI"
    with pytest.raises(ValueError, match="either func or package"):
        faas_project.services.deploy(service_name=name, func=shout, package=package)
    with pytest.raises(ValueError, match="func must be a function"):
        faas_project.services.deploy(service_name=name, func="shout")


def test_duplicate_name_is_rejected(package, faas_project, client, name):
    package.services.deploy(service_name=name)
    with pytest.raises(BadRequest, match="already exists"):
        client.transport.json("POST", "/services", json={"name": name, "projectId": faas_project.id,
                                                         "packageId": package.id})


def test_get_and_list(package, faas_project, name):
    service = package.services.deploy(service_name=name)
    assert faas_project.services.get(service_id=service.id).name == name
    assert faas_project.services.get(service_name=name).id == service.id
    ids = [s.id for s in package.services.list().all()]
    assert service.id in ids
    by_name = faas_project.services.list(Filters(field="name", values=name, resource=FiltersResource.SERVICE))
    assert [s.id for s in by_name.all()] == [service.id]
    with pytest.raises(NotFound, match="Service not found"):
        faas_project.services.get(service_id="0" * 24)
    with pytest.raises(BadRequest, match="invalid service id"):
        faas_project.services.get(service_id="nope")
    with pytest.raises(NotFound, match="Service not found: missing-one"):
        faas_project.services.get(service_name="missing-one")
    with pytest.raises(ValueError):
        faas_project.services.list(Filters(resource=FiltersResource.ITEM))


def test_update_revisions_and_bad_update(package, name):
    service = package.services.deploy(service_name=name)
    service.execution_timeout = 120
    updated = service.update()
    assert updated.execution_timeout == 120 and updated.version == "1.0.1"
    revisions = service.revisions()
    assert [r["executionTimeout"] for r in revisions] == [3600, 120]
    service.on_reset = "explode"
    with pytest.raises(BadRequest, match="onReset"):
        service.update()
    assert service.services.get(service_id=service.id).on_reset == "failed"


def test_delete_by_name_removes_service_and_triggers(package, faas_project, name):
    service = package.services.deploy(service_name=name)
    trigger = service.triggers.create(name=f"t-{uuid.uuid4().hex[:6]}", function_name="echo",
                                      actions=["Deleted"])
    assert faas_project.services.delete(service_name=name) is True
    with pytest.raises(NotFound):
        faas_project.services.get(service_id=service.id)
    with pytest.raises(NotFound, match="Trigger not found"):
        faas_project.triggers.get(trigger_id=trigger.id)
    with pytest.raises(ValueError):
        faas_project.services.delete()


def test_status_pause_resume_restart(package, name):
    service = package.services.deploy(service_name=name)
    assert service.status()["status"] == "Running"
    assert service.pause() is True
    assert service.services.get(service_id=service.id).active is False
    assert service.resume()["active"] is True
    assert service.restart() is True
    assert service.execute(function_name="echo", execution_input={"config": 1}, sync=True).output["echo"] == 1


def test_execute_by_name_and_log_iteration(package, faas_project, name, capsys):
    service = package.services.deploy(service_name=name)
    execution = faas_project.services.execute(service_name=name, function_name="echo",
                                              execution_input={"config": "logged"}, sync=True)
    assert execution.latest_status["status"] == "success"
    logs = service.log(execution_id=execution.id, view=False)
    assert isinstance(logs, ServiceLog)
    lines = list(logs)
    assert lines[-1].endswith("[Done] Executing function.")
    assert any("Executing function 'echo'" in line for line in lines)
    followed = [e["message"] for e in service.log(execution_id=execution.id, follow=True, view=False).entries()]
    assert followed[-1] == "[Done] Executing function."
    small_pages = list(service.log(execution_id=execution.id, size=1, view=False))
    assert small_pages == lines
    assert service.log(execution_id=execution.id, text="nothing-like-this", view=False).logs == []
    service.log(execution_id=execution.id, view=True)
    assert "[Done] Executing function." in capsys.readouterr().out


def test_logs_need_a_service(client, faas_project):
    with pytest.raises(BadRequest, match="serviceId is required"):
        client.transport.json("POST", "/services/logs", json={"projectId": faas_project.id})
    with pytest.raises(ValueError):
        faas_project.services.log(service=None)


def test_activate_slots_creates_then_updates_the_setting(package, faas_project, name):
    service = package.services.deploy(service_name=name)
    slots = [{"displayName": "Go", "moduleName": "default_module", "functionName": "echo",
              "displayScopes": [{"resource": "Item", "filter": {}}], "postAction": {"type": "noAction"}}]
    first = service.activate_slots(project_id=faas_project.id, slots=slots)
    second = service.activate_slots(project_id=faas_project.id, slots=slots, icon="fas fa-bolt")
    assert len(first) == 1 and first[0]["id"] == second[0]["id"]
    assert second[0]["icon"] == "fas fa-bolt" and second[0]["metadata"]["serviceId"] == service.id
    with pytest.raises(ValueError, match="scope"):
        service.activate_slots(slots=slots)


def test_name_validation(faas_project):
    assert faas_project.services.name_validation("good-name") is None
    with pytest.raises(BadRequest):
        faas_project.services.name_validation("Bad_Name")


def test_deploy_from_local_folder_with_triggers(package, faas_project, tmp_path, name):
    spec = {"name": name, "packageName": package.name, "initParams": {"greeting": "local"},
            "triggers": [{"name": f"t-{uuid.uuid4().hex[:6]}", "function": "echo", "resource": "Dataset",
                          "actions": ["Created"], "filter": {}}]}
    (tmp_path / "service.json").write_text(json.dumps(spec))
    service = faas_project.services.deploy_from_local_folder(cwd=str(tmp_path))
    assert service.name == name and service.init_input == {"greeting": "local"}
    assert [t.function_name for t in service.triggers.list().all()] == ["echo"]
    with pytest.raises(ValueError, match="service file not found"):
        faas_project.services.deploy_from_local_folder(cwd=str(tmp_path / "missing"))


def test_checkout_and_open_in_web(package, emulator, tmp_path, name, monkeypatch):
    service = package.services.deploy(service_name=name)
    with DataloopClient(base_url=emulator.url, token=emulator.token("tester@dataloop.local"),
                        state_dir=str(tmp_path)) as local:
        local.services.checkout(service_id=service.id)
        assert local.services.get().id == service.id
        opened = []
        monkeypatch.setattr("webbrowser.open", lambda url, **kw: opened.append(url))
        local.services.open_in_web(service_id=service.id)
        assert opened == [service.platform_url]
