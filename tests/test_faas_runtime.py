"""The emulator's FaaS runtime: user code in worker processes, statuses, logs, isolation and limits."""
from __future__ import annotations

import os
import uuid

import pytest

from dataloop_core.emulator.faas.cron import CronError, CronSchedule
from dataloop_core.entities.execution import Execution
from faas_runner import wait_status


def deploy(package, **kwargs):
    return package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}", **kwargs)


@pytest.fixture(scope="module")
def service(package):
    return deploy(package, init_input={"greeting": "hey"}, execution_timeout=60)


def wait(execution: Execution) -> Execution:
    return execution.wait(timeout=60)


def log_text(service, execution: Execution) -> str:
    return "\n".join(e["message"] for e in service.log(execution_id=execution.id, view=False).entries())


def test_function_runs_in_a_worker_with_init_params_and_output(service):
    execution = wait(service.execute(function_name="echo", execution_input={"config": {"a": [1, 2]}}))
    assert execution.latest_status["status"] == "success"
    assert execution.output == {"echo": {"a": [1, 2]}, "greeting": "hey"}
    assert [s["status"] for s in execution.status] == ["created", "in-progress", "success"]
    assert execution.latest_status["percentComplete"] == 100
    assert execution.duration is not None and execution.attempts == 1


def test_item_input_is_an_entity_with_progress_and_logs(service, faas_project, tmp_path):
    dataset = faas_project.datasets.create(f"ds-{uuid.uuid4().hex[:6]}")
    (tmp_path / "cat.txt").write_text("meow")
    item = dataset.items.upload(local_path=str(tmp_path / "cat.txt"))
    execution = wait(service.execute(function_name="run", item_id=item.id, dataset_id=dataset.id))
    assert execution.latest_status["status"] == "success"
    assert execution.input == {"item": {"dataset_id": dataset.id, "item_id": item.id}}
    assert execution.output["item_id"] == item.id and execution.output["dataset_id"] == dataset.id
    assert any(s["status"] == "in-progress" and s.get("message") == "half way" for s in execution.status)
    text = log_text(service, execution)
    assert "hey cat.txt" in text
    assert f"processing {item.id}" in text
    assert "[Done] Executing function." in text


def test_raising_function_fails_with_traceback_in_logs(service):
    execution = wait(service.execute(function_name="fail"))
    assert execution.latest_status["status"] == "failed"
    assert execution.latest_status["message"] == "ValueError: boom from user code"
    text = log_text(service, execution)
    assert "Traceback (most recent call last)" in text and "boom from user code" in text
    assert "faas/worker.py" not in text


def test_crashing_worker_fails_the_execution_and_is_replaced(service):
    crashed = wait(service.execute(function_name="crash"))
    assert crashed.latest_status["status"] == "failed"
    assert "exit code 7" in crashed.latest_status["message"]
    after = wait(service.execute(function_name="echo", execution_input={"config": 1}))
    assert after.latest_status["status"] == "success"


def test_memory_exhaustion_only_fails_the_execution(service):
    execution = wait(service.execute(function_name="hog"))
    assert execution.latest_status["status"] == "failed"
    assert "MemoryError" in execution.latest_status["message"]
    assert wait(service.execute(function_name="echo", execution_input={"config": 2})).output["echo"] == 2


def test_timeout_kills_the_worker_and_fails(package, tmp_path):
    quick = deploy(package, execution_timeout=1)
    execution = wait(quick.execute(function_name="block", execution_input={"flag": str(tmp_path / "never")}))
    assert execution.latest_status["status"] == "failed"
    assert "timed out after 1 seconds" in execution.latest_status["message"]
    quick.delete()


def test_terminate_stops_a_running_execution(service, tmp_path):
    running = service.execute(function_name="block", execution_input={"flag": str(tmp_path / "never")})
    wait_status(service, running.id, "in-progress")
    terminated = running.terminate()
    assert terminated.latest_status["status"] == "terminated"
    assert terminated.latest_status["message"] == "termination signal"
    assert service.executions.get(execution_id=running.id).latest_status["status"] == "terminated"


def test_concurrency_limit_queues_and_hung_service_never_blocks_others(package, service, tmp_path):
    single = deploy(package, runtime={"concurrency": 1})
    flag = tmp_path / "go"
    first = single.execute(function_name="block", execution_input={"flag": str(flag)})
    second = single.execute(function_name="echo", execution_input={"config": "queued"})
    wait_status(single, first.id, "in-progress")
    assert single.executions.get(execution_id=second.id).latest_status["status"] == "created"
    other = wait(service.execute(function_name="echo", execution_input={"config": "free"}))
    assert other.output["echo"] == "free"
    flag.write_text("go")
    assert wait(first).output == "released"
    assert wait(second).output["echo"] == "queued"
    single.delete()


def test_paused_service_queues_until_resumed(package):
    paused = deploy(package)
    assert paused.pause() is True
    execution = paused.execute(function_name="echo", execution_input={"config": 3})
    assert paused.status()["status"] == "Paused"
    assert paused.executions.get(execution_id=execution.id).latest_status["status"] == "created"
    assert paused.resume()["active"] is True
    assert wait(execution).output["echo"] == 3
    paused.delete()


def test_deleting_a_service_aborts_its_queued_executions(package):
    doomed = deploy(package)
    doomed.pause()
    execution = doomed.execute(function_name="echo", execution_input={"config": 4})
    doomed.delete()
    stored = doomed.client.executions.get(execution_id=execution.id)
    assert stored.latest_status["status"] == "aborted"


def test_faas_extension_execute_calls_on_done(emulator, service, client):
    runtime = emulator.emulator.extensions["faas"]
    finished = []
    doc = runtime.execute(service.to_json(), "echo", {"config": "x"}, client.user_email,
                          client.transport.api_url, pipeline={"id": "p", "nodeId": "n", "executionId": "e"},
                          on_done=finished.append)
    done = service.executions.wait(execution_id=doc["id"], timeout=60)
    assert done.output["echo"] == "x" and done.pipeline["nodeId"] == "n"
    assert finished and finished[0]["id"] == doc["id"] and finished[0]["output"]["echo"] == "x"


@pytest.mark.parametrize("expression, moment, expected", [
    ("* * * * *", (2024, 1, 1, 0, 0), True),
    ("0 5 * * *", (2024, 1, 1, 5, 0), True),
    ("0 5 * * *", (2024, 1, 1, 5, 1), False),
    ("*/15 8-10 * * mon-fri", (2024, 1, 2, 9, 45), True),
    ("*/15 8-10 * * mon-fri", (2024, 1, 6, 9, 45), False),
    ("0 0 1 jan *", (2024, 1, 1, 0, 0), True),
    ("0 0 13 * 5", (2024, 9, 13, 0, 0), True),
    ("0 0 13 * 5", (2024, 9, 6, 0, 0), True),
    ("0 0 13 * 5", (2024, 9, 7, 0, 0), False),
    ("0 0 * * 7", (2024, 1, 7, 0, 0), True),
    ("@hourly", (2024, 1, 7, 3, 0), True),
])
def test_cron_schedule_matches(expression, moment, expected):
    from datetime import datetime
    assert CronSchedule(expression).matches(datetime(*moment)) is expected


@pytest.mark.parametrize("expression", ["", "* * * *", "61 * * * *", "*/0 * * * *", "5-1 * * * *", "x * * * *"])
def test_cron_schedule_rejects_bad_expressions(expression):
    with pytest.raises(CronError):
        CronSchedule(expression)


def test_sdk_style_runner_loads_without_dtlpy(faas_project, tmp_path):
    (tmp_path / "main.py").write_text("import dtlpy as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
                                      "    def run(self, config):\n        return config * 2\n")
    modules = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
                "functions": [{"name": "run", "input": [{"name": "config", "type": "Json"}]}]}]
    package = faas_project.packages.push(src_path=str(tmp_path), package_name=f"sdk-{uuid.uuid4().hex[:6]}",
                                         modules=modules, ignore_sanity_check=True)
    service = deploy(package)
    assert wait(service.execute(execution_input={"config": 21})).output == 42
    service.delete()


def test_codebase_is_extracted_from_the_pushed_zip(emulator, package):
    runtime = emulator.emulator.extensions["faas"]
    service_doc = {"packageId": package.id, "moduleName": "default_module", "initParams": {}}
    folder = runtime.worker_config(service_doc)["codebaseDir"]
    assert os.path.isfile(os.path.join(folder, "main.py"))
    assert folder.startswith(os.path.join(emulator.emulator.data_dir, "faas", "codebases"))


@pytest.mark.parametrize("item_id", ["../../../../etc/passwd", "/etc/passwd", "", None])
def test_codebase_item_id_must_be_an_object_id(emulator, item_id):
    from dataloop_core.emulator.errors import BadRequest
    from dataloop_core.emulator.faas.codebase import codebase_dir
    package = {"name": "p", "codebase": {"type": "item", "itemId": item_id}}
    with pytest.raises(BadRequest, match="invalid codebase item id"):
        codebase_dir(emulator.emulator, package)


def test_blob_store_refuses_paths_as_blob_ids(tmp_path):
    from dataloop_core.emulator.blobs import BlobStore
    blobs = BlobStore(str(tmp_path / "blobs"))
    with pytest.raises(ValueError, match="invalid blob id"):
        blobs.path("../../outside")
    assert blobs.path("0" * 24).startswith(str(tmp_path / "blobs"))
