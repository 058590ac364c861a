"""The status-and-wait contract (dataloop_core.runs): one status, one wait, one cancel for every kind of run."""
from __future__ import annotations

import json
import threading
import uuid

import pytest

from dataloop_core import CodeNode
from dataloop_core.entities.pipeline_execution import PipelineExecution
from dataloop_core.exceptions import DataloopError, NotFound, RunCancelled, RunFailed, RunTimeout
from dataloop_core.runs import RunKind, RunStatus
from eventually import eventually
from faas_runner import wait_status


@pytest.fixture(scope="module")
def service(package):
    return package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")


def blocked(service, tmp_path):
    execution = service.executions.create(function_name="block", execution_input={"flag": str(tmp_path / "flag")})
    wait_status(service, execution.id, "in-progress")
    return execution


def test_execution_status_is_small_plain_json(client, service):
    done = service.executions.create(function_name="echo", execution_input={"config": {"k": 1}}, sync=True)
    status = client.runs.status("execution", done.id)
    assert status == client.executions.status(done.id)
    assert (status.kind, status.id, status.status, status.terminal, status.succeeded) == \
        ("execution", done.id, "success", True, True)
    assert status.output["echo"] == {"k": 1}
    assert RunStatus.from_dict(json.loads(json.dumps(status.to_dict()))) == status
    with pytest.raises(ValueError, match=r"RunStatus.from_dict: missing keys \['id'\]"):
        RunStatus.from_dict({"kind": "execution", "status": "success", "terminal": True, "succeeded": True})


def console_page(emulator, url: str) -> str:
    """The text of a console page, signed in as the tester (the console's own sign-in form)."""
    import requests
    assert url.startswith(emulator.url + "/console/"), url
    with requests.Session() as session:
        signed_in = session.post(emulator.url + "/console/login", allow_redirects=False,
                                 data={"token": emulator.token("tester@dataloop.local"), "next": ""})
        assert signed_in.status_code == 303, signed_in.text
        page = session.get(url, allow_redirects=False)
    assert page.status_code == 200, url
    return page.text


def test_an_execution_links_to_its_console_page(emulator, client, service):
    done = service.executions.create(function_name="echo", execution_input={"config": 1}, sync=True)
    assert done.platform_url == (f"{client.console_url}projects/{service.project_id}/services/{service.id}"
                                 f"/executions/{done.id}")
    assert client.executions.get(execution_id=done.id).platform_url == done.platform_url
    assert done.id in console_page(emulator, done.platform_url)


def test_wait_returns_the_success_and_reports_progress(client, service):
    started = service.executions.create(function_name="echo", execution_input={"config": "x"})
    seen = []
    status = client.runs.wait(RunKind.EXECUTION, started.id, timeout=60, on_progress=seen.append)
    assert status.succeeded and status.output["echo"] == "x"
    assert seen and seen[-1] == status


def test_a_failed_execution_raises_with_the_platforms_message(client, service):
    failing = service.executions.create(function_name="fail")
    with pytest.raises(RunFailed, match="boom from user code") as raised:
        client.executions.wait_for(failing.id, timeout=60)
    assert raised.value.status.status == "failed" and not raised.value.status.succeeded
    assert isinstance(raised.value, DataloopError)
    kept = client.runs.wait("execution", failing.id, timeout=60, raise_on_failure=False)
    assert kept.terminal and not kept.succeeded


def test_a_wait_that_times_out_is_a_timeout_error_and_leaves_the_run(client, service, tmp_path):
    execution = blocked(service, tmp_path)
    with pytest.raises(RunTimeout, match=f"execution {execution.id} is in-progress") as raised:
        client.runs.wait("execution", execution.id, timeout=0.3, poll_interval=0.05)
    assert isinstance(raised.value, TimeoutError) and raised.value.status.status == "in-progress"
    assert client.executions.status(execution.id).status == "in-progress"
    client.executions.cancel(execution.id)
    with pytest.raises(ValueError, match="timeout must be a positive"):
        client.runs.wait("execution", execution.id, timeout=0)


def test_a_cancelled_wait_terminates_the_execution(client, service, tmp_path):
    execution = blocked(service, tmp_path)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(RunCancelled) as raised:
        client.runs.wait("execution", execution.id, timeout=60, cancel_event=cancel)
    final = client.runs.wait("execution", execution.id, timeout=60, raise_on_failure=False)
    assert final.status == "terminated", raised.value.status
    assert client.runs.cancel("execution", execution.id) == final  # a finished run is left as it is


def test_a_progress_hook_can_stop_a_wait(client, service, tmp_path):
    execution = blocked(service, tmp_path)

    def stop(status):
        raise KeyboardInterrupt("operator killed")
    with pytest.raises(KeyboardInterrupt):
        client.runs.wait("execution", execution.id, on_progress=stop)
    client.executions.terminate(execution_id=execution.id)
    assert client.runs.wait("execution", execution.id, raise_on_failure=False).status == "terminated"


def test_unknown_ids_and_kinds(client):
    with pytest.raises(NotFound):
        client.runs.status("execution", "0" * 24)
    with pytest.raises(NotFound):
        client.runs.cancel("command", "0" * 24)
    with pytest.raises(NotFound, match="Pipeline execution not found"):
        client.runs.status("pipeline_execution", "0" * 24)
    with pytest.raises(ValueError, match="unknown run kind 'job'; expected one of: execution, pipeline_execution"):
        client.runs.status("job", "x")
    with pytest.raises(ValueError, match="pass execution or execution_id"):
        client.executions.terminate()


def test_commands(client, project, dataset, unique):
    dataset.items.upload(local_path=b"abc", remote_name="a.txt")
    other = project.datasets.create(unique("other"))
    command = client.datasets.merge(merge_name=unique("merged"), project_ids=project.id,
                                    dataset_ids=[dataset.id, other.id], wait=False)
    status = client.runs.wait("command", command.id, timeout=60)
    assert status.kind == "command" and status.succeeded and status.percent == 100
    assert client.runs.cancel("command", command.id) == status


def hold(item):
    import time
    time.sleep(60)
    return item


def test_pipeline_execution_from_the_client_root(emulator, client, project, dataset, unique):
    item = dataset.items.upload(local_path=b"payload", remote_name="p.txt")
    node = CodeNode("hold", project.id, project.name, hold)
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.add_node(node)
    pipeline = pipeline.update().install()
    cycle = pipeline.execute(execution_input={"item": item.id})
    status = client.runs.status("pipeline_execution", cycle.id)
    assert status.kind == "pipeline_execution" and not status.terminal
    assert client.pipeline_executions.get(cycle.id).pipeline_id == pipeline.id
    url = f"{client.console_url}projects/{project.id}/pipelines/{pipeline.id}/executions/{cycle.id}"
    assert cycle.platform_url == url and client.pipeline_executions.get(cycle.id).platform_url == url
    assert cycle.id in console_page(emulator, url)
    bare = PipelineExecution(client, {"id": cycle.id, "pipelineId": pipeline.id})  # the platform's: no projectId
    assert bare.platform_url == url
    with pytest.raises(RunTimeout):
        client.pipeline_executions.wait(pipeline_execution_id=cycle.id, timeout=0.2)
    node_runs = {"filter": {"pipeline.executionId": cycle.id}, "resource": "executions"}
    # cancel once the node's execution exists: that is what a cycle's cancel terminates
    eventually(lambda: list(client.executions.list(filters=node_runs).all()), "the node's execution")
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(RunCancelled):
        client.runs.wait("pipeline_execution", cycle.id, cancel_event=cancel)
    final = client.runs.wait("pipeline_execution", cycle.id, timeout=60, raise_on_failure=False)
    assert final.status == "failed" and "hold" in final.message
    with pytest.raises(RunFailed, match="node 'hold' failed"):
        client.runs.wait("pipeline_execution", cycle.id)


def test_task_progress_as_a_run(client, dataset, unique):
    items = [dataset.items.upload(local_path=b"x" * n, remote_name=f"{n}.txt") for n in (1, 2)]
    task = dataset.tasks.create(task_name=unique("task"), assignee_ids=["annotator@dataloop.local"])
    status = client.runs.status("task", task.id)
    assert (status.terminal, status.percent, status.output["totalItems"]) == (False, 0.0, 2)
    with pytest.raises(RunTimeout):
        client.runs.wait("task", task.id, timeout=0.2, poll_interval=0.05)
    items[0].update_status(status="completed", task_id=task.id)
    assert client.tasks.status(task.id, min_percent=50).terminal
    assert not client.tasks.status(task.id, statuses=["completed", "discard"]).terminal
    items[1].update_status(status="discard", task_id=task.id)
    done = client.runs.wait("task", task.id, statuses=["completed", "discard"], timeout=30)
    assert done.succeeded and done.output["itemStatus"] == {"completed": 1, "discard": 1}
    with pytest.raises(ValueError, match="cannot be cancelled"):
        client.runs.cancel("task", task.id)
    with pytest.raises(ValueError, match="min_percent must be in"):
        client.runs.status("task", task.id, min_percent=0)
    with pytest.raises(ValueError, match="statuses must be a non-empty list"):
        client.runs.wait("task", task.id, statuses="completed")
