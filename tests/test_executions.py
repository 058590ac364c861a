"""Executions: create (inputs per wire §3.17), batch, get/list/wait, logs, progress, rerun, terminate, update."""
from __future__ import annotations

import uuid

import pytest

from dataloop_core import Filters, FiltersResource
from dataloop_core.entities.command import Command
from dataloop_core.entities.execution import Execution
from dataloop_core.entities.function_io import FunctionIO
from dataloop_core.entities.service_log import ServiceLog
from dataloop_core.exceptions import BadRequest, NotFound
from faas_runner import wait_status


@pytest.fixture(scope="module")
def service(package):
    return package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def items(faas_project, tmp_path_factory):
    dataset = faas_project.datasets.create(f"ds-{uuid.uuid4().hex[:6]}")
    folder = tmp_path_factory.mktemp("files")
    uploaded = []
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(name)
        uploaded.append(dataset.items.upload(local_path=str(folder / name)))
    return dataset, uploaded


def test_create_input_forms(service, items):
    dataset, (item, _) = items
    by_item = service.executions.create(function_name="run", item_id=item.id, dataset_id=dataset.id)
    assert isinstance(by_item, Execution) and by_item.function_name == "run"
    assert by_item.input == {"item": {"dataset_id": dataset.id, "item_id": item.id}}
    assert by_item.project_id == service.project_id and by_item.service_id == service.id
    by_io = service.executions.create(function_name="echo",
                                      execution_input=[FunctionIO(type="Json", name="config", value={"k": 1})])
    assert by_io.input == {"config": {"k": 1}}
    assert service.executions.create(function_name="echo", execution_input={"config": 5}, return_output=True) == \
        {"echo": 5, "greeting": "hello"}
    assert by_item.wait().latest_status["status"] == "success"
    assert by_io.wait().output["echo"] == {"k": 1}


def test_create_sync_and_curl(service, client):
    execution = service.executions.create(function_name="echo", execution_input={"config": "s"}, sync=True)
    assert execution.latest_status["status"] == "success" and not execution.in_progress()
    curl = service.executions.create(function_name="echo", execution_input={"config": 1}, return_curl_only=True)
    assert curl.startswith("curl -X POST") and client.transport.token not in curl


def test_create_bad_input(service, faas_project, items):
    dataset, _ = items
    with pytest.raises(BadRequest, match="function 'nope' not found in module 'default_module'"):
        service.executions.create(function_name="nope")
    with pytest.raises(BadRequest, match="input 'flag' must be a String, got int"):
        service.executions.create(function_name="block", execution_input={"flag": 5})
    with pytest.raises(BadRequest, match="has no input 'other'"):
        service.executions.create(function_name="echo", execution_input={"other": 1})
    with pytest.raises(BadRequest, match="item_id must be a 24-hex id"):
        service.executions.create(function_name="run", item_id="bad", dataset_id=dataset.id)
    with pytest.raises(NotFound, match="Item not found"):
        service.executions.create(function_name="run", item_id="0" * 24, dataset_id=dataset.id)
    with pytest.raises(BadRequest, match="must be an Item reference"):
        service.executions.create(function_name="run", execution_input={"item": 3})
    with pytest.raises(NotFound, match="Service not found"):
        faas_project.executions.create(service_id="0" * 24, function_name="echo")
    with pytest.raises(ValueError):
        service.executions.create(function_name="echo", execution_input=[1, 2])
    with pytest.raises(ValueError):
        faas_project.executions.create(function_name="echo")
    filters = Filters(field="functionName", values="nope", resource=FiltersResource.EXECUTION)
    assert service.executions.list(filters).items_count == 0


def test_get_list_and_wait_timeout(service, tmp_path):
    done = service.executions.create(function_name="echo", execution_input={"config": "l"}, sync=True)
    assert service.executions.get(execution_id=done.id).output["echo"] == "l"
    assert service.executions.get(execution_id=done.id, sync=True).id == done.id
    listed = service.executions.list()
    assert done.id in [e.id for e in listed.all()] and listed.page_size == 100
    filters = Filters(field="latestStatus.status", values="success", resource=FiltersResource.EXECUTION)
    assert all(e.latest_status["status"] == "success" for e in service.executions.list(filters).all())
    blocked = service.executions.create(function_name="block", execution_input={"flag": str(tmp_path / "x")})
    with pytest.raises(TimeoutError):
        service.executions.wait(execution_id=blocked.id, timeout=0.3)
    blocked.terminate()
    with pytest.raises(NotFound, match="Execution not found"):
        service.executions.get(execution_id="0" * 24)
    with pytest.raises(BadRequest, match="invalid execution id"):
        service.executions.get(execution_id="xyz")


def test_logs(service, capsys):
    execution = service.executions.create(function_name="fail", sync=True)
    logs = service.executions.logs(execution_id=execution.id, view=False)
    assert isinstance(logs, ServiceLog)
    assert any("boom from user code" in line for line in logs)
    assert execution.logs() is not None
    service.executions.logs(execution_id=execution.id)
    assert "ValueError: boom from user code" in capsys.readouterr().out


def test_progress_update_and_early_completion(service, tmp_path):
    flag = tmp_path / "release"
    running = service.executions.create(function_name="block", execution_input={"flag": str(flag)})
    wait_status(service, running.id, "in-progress")
    half = service.executions.progress_update(execution_id=running.id, percent_complete=30, message="third")
    assert half.latest_status["status"] == "in-progress" and half.latest_status["percentComplete"] == 30
    assert half.latest_status["message"] == "third"
    done = running.progress_update(output={"early": True})
    assert done.latest_status["status"] == "success" and done.output == {"early": True}
    flag.write_text("go")
    with pytest.raises(BadRequest, match="already success"):
        service.executions.progress_update(execution_id=running.id, percent_complete=10)
    assert service.executions.get(execution_id=running.id).output == {"early": True}


def test_rerun_increment_and_update(service, tmp_path):
    execution = service.executions.create(function_name="echo", execution_input={"config": "r"}, sync=True)
    assert execution.increment() == 4
    rerun = service.executions.rerun(execution=execution, sync=True)
    assert rerun.id == execution.id and rerun.attempts == 2 and rerun.output["echo"] == "r"
    assert [s["status"] for s in rerun.status][-3:] == ["created", "in-progress", "success"]
    rerun.max_attempts = 7
    assert service.executions.update(execution=rerun).max_attempts == 7
    running = service.executions.create(function_name="block", execution_input={"flag": str(tmp_path / "n")})
    wait_status(service, running.id, "in-progress")
    with pytest.raises(BadRequest, match="only finished executions can be rerun"):
        running.rerun()
    assert running.terminate().latest_status["status"] == "terminated"
    assert running.rerun().latest_status["status"] in ("created", "in-progress")
    running.terminate()


def test_terminate_a_queued_execution(package):
    paused = package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")
    paused.pause()
    queued = paused.execute(function_name="echo", execution_input={"config": 1})
    terminated = paused.executions.terminate(execution=queued)
    assert terminated.latest_status["status"] == "terminated"
    paused.resume()
    assert paused.executions.get(execution_id=queued.id).latest_status["status"] == "terminated"
    paused.delete()


def test_create_batch_and_rerun_batch(service, items):
    dataset, uploaded = items
    filters = Filters(field="datasetId", values=dataset.id)
    command = service.executions.create_batch(filters=filters, function_name="run")
    assert isinstance(command, Command) and command.status == "success"
    started = command.spec["executionIds"]
    assert len(started) == len(uploaded)
    outputs = sorted(service.executions.wait(execution_id=i, timeout=60).output["item_id"] for i in started)
    assert outputs == sorted(i.id for i in uploaded)
    rerun_filter = Filters(field="id", values=started, operator="in", resource=FiltersResource.EXECUTION)
    rerun = service.executions.rerun_batch(filters=rerun_filter)
    assert sorted(rerun.spec["executionIds"]) == sorted(started)
    assert all(service.executions.wait(execution_id=i, timeout=60).attempts == 2 for i in started)
    with pytest.raises(ValueError):
        service.executions.create_batch(filters=None)
    with pytest.raises(ValueError):
        service.executions.rerun_batch(filters=Filters())
    with pytest.raises(BadRequest, match="no Annotation input"):
        service.executions.create_batch(filters=Filters(resource=FiltersResource.ANNOTATION), function_name="run")
