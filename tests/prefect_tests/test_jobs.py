"""DataloopFunction / DataloopPipeline job blocks and the run tasks on the emulator's real FaaS runtime: waits
that end in success, failure, timeout and cancel (by the job run, and by cancelling the flow run itself)."""
from __future__ import annotations

import asyncio
import os
import signal
import threading
import uuid

import pytest
from prefect import flow

from dataloop_core.entities.pipeline_node import CodeNode
from dataloop_core.exceptions import RunCancelled, RunFailed, RunTimeout
from prefect_dataloop import DataloopFunction, DataloopJobRun, DataloopPipeline
from prefect_dataloop.flows import trigger_pipeline_and_wait
from prefect_dataloop.tasks import (create_annotation_task, create_qa_task, execute_function, execute_pipeline,
                                    wait_for_command, wait_for_execution, wait_for_pipeline_execution,
                                    wait_for_task_progress, add_items_to_task)

from .conftest import artifacts_of, run_flow


@pytest.fixture(scope="module")
def service(package):
    return package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def function(credentials, faas_project, service):
    def build(function_name, **fields):
        return DataloopFunction(credentials=credentials, project_name=faas_project.name,
                                service_name=service.name, function_name=function_name, **fields)
    return build


def remote_status(client, execution_id):
    return client.executions.get(execution_id=execution_id).latest_status["status"]


def test_function_job__success_with_output_artifacts_and_event(function, emitted, service):
    block = function("echo", execution_input={"config": {"answer": 42}})

    @flow
    def run_it():
        run = block.trigger()
        assert isinstance(run, DataloopJobRun) and run.kind == "execution"
        finished = run.wait_for_completion()
        return run.run_id, finished, run.fetch_result()

    (run_id, finished, result), flow_run_id = run_flow(run_it)
    assert finished["succeeded"] is True and finished["status"] == "success"
    assert result["output"] == {"echo": {"answer": 42}, "greeting": "hello"}
    found = artifacts_of(flow_run_id)
    assert any(a.type == "progress" and a.data == 100.0 for a in found)
    assert any(a.type == "markdown" and service.id in a.data and run_id in a.data for a in found)
    [event] = emitted("dataloop.execution")
    assert (event.event, event.resource.id) == ("dataloop.execution.succeeded", f"dataloop.execution.{run_id}")
    assert event.related[0].id == f"dataloop.service.{service.id}"


def test_function_job__failure_raises_with_the_platform_message(function, emitted):
    run = function("fail").trigger()
    with pytest.raises(RunFailed, match="boom from user code"):
        run.wait_for_completion()
    assert run.fetch_result()["succeeded"] is False
    assert [e.event for e in emitted("dataloop.execution")] == ["dataloop.execution.failed"]


def test_function_job__timeout_cancels_the_remote_run(function, client, tmp_path, emitted):
    run = function("block", execution_input={"flag": str(tmp_path / "never")}, timeout_seconds=1,
                   poll_interval_seconds=0.2).trigger()
    with pytest.raises(RunTimeout):
        run.wait_for_completion()
    assert remote_status(client, run.run_id) in ("terminated", "aborted", "failed")
    assert [e.event for e in emitted("dataloop.execution")] == ["dataloop.execution.timed-out"]


def test_function_job__cancel_from_another_thread(function, client, tmp_path, emitted):
    run = function("block", execution_input={"flag": str(tmp_path / "never")}, poll_interval_seconds=0.2).trigger()
    threading.Timer(1.0, run.cancel).start()
    with pytest.raises(RunCancelled):
        run.wait_for_completion()
    assert remote_status(client, run.run_id) in ("terminated", "aborted", "failed")
    assert [e.event for e in emitted("dataloop.execution")] == ["dataloop.execution.cancelled"]


def test_cancelling_the_flow_run_cancels_the_remote_job(function, client, tmp_path):
    """A runner cancels a flow run by sending its process SIGTERM, which Prefect turns into ``TerminationSignal``
    in the flow: the wait stops and terminates the remote execution before the flow run ends."""
    block = function("block", execution_input={"flag": str(tmp_path / "never")}, poll_interval_seconds=0.2)
    started, delivered = {}, []

    def cancel_when_running(run):
        pause = threading.Event()
        while not pause.wait(0.1):
            if (run.last or {}).get("status") == "in-progress":    # the flow is waiting on a running job
                os.kill(os.getpid(), signal.SIGTERM)
                return

    @flow
    def long_job():
        run = block.trigger()
        started["id"] = run.run_id
        threading.Thread(target=cancel_when_running, args=(run,), daemon=True).start()
        return run.wait_for_completion()

    # Prefect re-delivers the signal to the handler it replaced: record it instead of ending pytest
    previous = signal.signal(signal.SIGTERM, lambda *_: delivered.append(True))
    try:
        with pytest.raises(BaseException) as raised:
            long_job()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert type(raised.value).__name__ == "TerminationSignal" and delivered
    assert remote_status(client, started["id"]) in ("terminated", "aborted", "failed")


def test_job_blocks_are_awaitable_in_async_flows(function):
    block = function("echo", execution_input={"config": "async"})

    @flow
    async def run_async():
        run = await block.trigger()
        await run.wait_for_completion()
        return await run.fetch_result()

    state = asyncio.run(run_async(return_state=True))
    assert state.result()["output"]["echo"] == "async"
    found = artifacts_of(state.state_details.flow_run_id)
    assert {a.type for a in found} == {"progress", "markdown"} and all(a.data == 100.0 for a in found
                                                                        if a.type == "progress")


def test_run_tasks__execute_then_wait(function, credentials):
    block = function("echo", execution_input={"config": "x"})

    @flow
    def run_tasks():
        started = execute_function(block)
        return started, wait_for_execution(credentials, started["id"], timeout=120)

    (started, finished), _ = run_flow(run_tasks)
    assert started["kind"] == "execution" and finished["id"] == started["id"]
    assert finished["output"]["echo"] == "x"


def tag(item):
    item.metadata.setdefault("user", {})["tagged"] = True
    return item.update()


@pytest.fixture
def pipeline_block(credentials, project, unique):
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.add_node(CodeNode("tag", project.id, project.name, tag))
    pipeline = pipeline.update().install()
    return DataloopPipeline(credentials=credentials, project_name=project.name, pipeline_name=pipeline.name,
                            timeout_seconds=120)


def test_trigger_pipeline_and_wait(pipeline_block, dataset, emitted):
    item = dataset.items.upload(local_path=b"payload", remote_path="/in", remote_name="a.txt")
    result, flow_run_id = run_flow(trigger_pipeline_and_wait, pipeline_block, {"item": item.id})
    assert result["kind"] == "pipeline_execution" and result["succeeded"] is True
    assert dataset.items.get(item_id=item.id).metadata["user"]["tagged"] is True
    [event] = emitted("dataloop.pipeline.execution")
    assert event.event == "dataloop.pipeline.execution.succeeded"
    assert event.related[0].role == "pipeline"
    assert any(a.type == "markdown" and "pipelines" in a.data for a in artifacts_of(flow_run_id))


def test_execute_pipeline_then_wait_task(pipeline_block, dataset, credentials):
    item = dataset.items.upload(local_path=b"payload", remote_path="/in", remote_name="b.txt")

    @flow
    def run_tasks():
        started = execute_pipeline(pipeline_block, {"item": item.id})
        return wait_for_pipeline_execution(credentials, started["id"], pipeline_id=started["pipeline_id"])

    finished, _ = run_flow(run_tasks)
    assert finished["succeeded"] is True


def test_annotation_tasks_commands_and_task_progress(dataset_block, dataset, credentials, client, unique):
    items = [dataset.items.upload(local_path=str(i).encode(), remote_path="/t", remote_name=f"{i}.txt")
             for i in range(4)]
    ids = [i.id for i in items]

    @flow
    def labelling():
        task = create_annotation_task(dataset_block, unique("label"), ["anna@labelers.io"], item_ids=ids[:3])
        grown = add_items_to_task(credentials, task["id"], item_ids=ids[3:], assignee_ids=["ben@labelers.io"])
        client.tasks.set_status("completed", "create", task["id"], ids)     # the labelers finish the work
        done = wait_for_task_progress(credentials, task["id"], min_percent=100, timeout=60)
        qa = create_qa_task(credentials, task["id"], ["carl@labelers.io"])
        command = client.tasks.create(task_name=unique("async"), dataset=dataset, assignee_ids=["d@l.io"],
                                      wait=False)
        return task, grown, done, qa, wait_for_command(credentials, command.id, timeout=60)

    (task, grown, done, qa, command), _ = run_flow(labelling)
    assert task["total_items"] == 3 and grown["total_items"] == 4
    assert done["terminal"] and done["succeeded"] and done["percent"] == 100
    assert qa["name"] == task["name"] + "_qa" and qa["total_items"] == 4
    assert command["succeeded"] is True and command["kind"] == "command"


def test_task_wait_errors_are_named(credentials):
    with pytest.raises(ValueError, match="item_ids is empty"):
        create_annotation_task.fn(None, "x", ["a@b.io"], item_ids=[])
    with pytest.raises(ValueError, match="not both"):
        add_items_to_task.fn(credentials, "t", item_ids=["i"], filters={"dir": "/"})
