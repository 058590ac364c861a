"""Operators against the emulator: blocking and deferred waits (TaskDeferred with the right trigger, the trigger
run for real, execute_complete), failures with the platform's message, on_kill cancelling an execution and a
sync, sync push/pull with shards and failures, upload, tasks, exports, clone, templated fields."""
from __future__ import annotations

import threading
import time

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from dags_examples.seed import make_images
from dataloop_provider.operators.datasets import DataloopCloneDatasetOperator, DataloopExportAnnotationsOperator
from dataloop_provider.operators.executions import DataloopExecuteFunctionOperator
from dataloop_provider.operators.items import DataloopUploadItemsOperator
from dataloop_provider.operators.pipelines import DataloopExecutePipelineOperator
from dataloop_provider.operators.sync import DataloopSyncPullOperator, DataloopSyncPushOperator
from dataloop_provider.operators.tasks import (DataloopAddItemsToTaskOperator, DataloopCreateQATaskOperator,
                                               DataloopCreateTaskOperator)
from dataloop_provider.triggers.runs import DataloopExecutionTrigger, DataloopPipelineExecutionTrigger
from .helpers import deferred, killed_while_waiting, run_trigger

FAST = {"poll_interval": 0.2, "max_poll_interval": 1}


@pytest.fixture
def dataset(client, demo, unique):
    return client.projects.get(project_id=demo["project_id"]).datasets.create(unique("ds"), labels=["object"])


def items_of(dataset, folder="/"):
    return [i for i in dataset.items.list().all() if i.type == "file" and i.filename.startswith(folder)]


# -- executions ------------------------------------------------------------------------------------------
def test_execute_function_blocking_returns_outputs_and_link(demo, default_conn, context):
    op = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="echo",
                                         execution_input={"config": {"a": 1}}, deferrable=False, **FAST)
    result = op.execute(context)
    assert result["statuses"] == ["success"] and result["outputs"] == [{"echo": {"a": 1}}]
    url = context["ti"].xcoms["dataloop_execution_url"]
    assert url.endswith(f"/executions/{result['execution_ids'][0]}") and demo["project_id"] in url


def test_execute_function_deferred_on_items(client, demo, default_conn, context, dataset, tmp_path):
    images = make_images(tmp_path, 2, seed=7)
    item_ids = [dataset.items.upload(local_path=p).id for p in images]
    op = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="pre_annotate",
                                         item_ids=item_ids, deferrable=True, timeout=120, **FAST)
    deferral = deferred(op, context)
    assert isinstance(deferral.trigger, DataloopExecutionTrigger) and deferral.method_name == "execute_complete"
    assert len(deferral.trigger.run_ids) == 2 and deferral.trigger.deadline > time.time()
    [event] = run_trigger(deferral.trigger)
    result = op.execute_complete(context, event)
    assert result["statuses"] == ["success", "success"]
    assert all(len(dataset.items.get(item_id=i).annotations.list()) == 1 for i in item_ids)


def test_failed_execution_fails_the_task_with_the_platform_message(demo, default_conn, context):
    op = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="fail", **FAST)
    with pytest.raises(AirflowException, match="model weights not found"):
        op.execute(context)
    deferring = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="fail",
                                                deferrable=True, **FAST)
    try:
        trigger = deferred(deferring, context).trigger
    except AirflowException as exc:  # it failed before the deferral: the same message, without a trigger
        assert "model weights not found" in str(exc)
        return
    [event] = run_trigger(trigger)
    with pytest.raises(AirflowException, match="model weights not found"):
        deferring.execute_complete(context, event)


def test_timeout_fails_and_cancels_the_execution(client, demo, default_conn, context):
    op = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="block",
                                         execution_input={"seconds": 30}, timeout=1, **FAST)
    with pytest.raises(AirflowException, match="did not finish within 1 s.*cancelled"):
        op.execute(context)
    status = client.runs.status("execution", op.run_ids[0])
    assert status.terminal and not status.succeeded


def test_on_kill_cancels_a_blocking_execution_wait(client, demo, default_conn, context):
    op = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="block",
                                         execution_input={"seconds": 30}, timeout=60, **FAST)
    assert "cancelled" in str(killed_while_waiting(op, context))
    status = client.runs.status("execution", op.run_ids[0])
    assert status.terminal and not status.succeeded


def test_execute_complete_rejects_odd_events(demo, default_conn, context):
    op = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"])
    with pytest.raises(AirflowException, match="unexpected trigger event"):
        op.execute_complete(context, None)
    with pytest.raises(AirflowException, match="could not follow the execution: gone"):
        op.execute_complete(context, {"event": "error", "message": "gone", "run_ids": ["x"]})


def test_per_item_operators_given_no_items_start_nothing(demo, default_conn, context):
    function = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"],
                                               function_name="pre_annotate", item_ids=[])
    assert function.execute(context) == {"execution_ids": [], "statuses": [], "outputs": []}
    pipeline = DataloopExecutePipelineOperator(task_id="t", pipeline_id=demo["pipeline_id"], item_ids=[])
    assert pipeline.execute(context)["pipeline_execution_ids"] == []


def test_bad_operator_arguments_are_named():
    with pytest.raises(ValueError, match="at most one of item_ids, dataset_id, execution_input"):
        DataloopExecuteFunctionOperator(task_id="t", service_id="s", item_ids=["i"], dataset_id="d")
    with pytest.raises(ValueError, match="timeout must be a positive"):
        DataloopExecuteFunctionOperator(task_id="t", service_id="s", timeout=0)
    with pytest.raises(ValueError, match="output_type must be"):
        DataloopExportAnnotationsOperator(task_id="t", dataset_id="d", local_path="x", output_type="csv")


def test_execute_pipeline_deferred_per_item(client, demo, default_conn, context, dataset, tmp_path, faults):
    item = dataset.items.upload(local_path=make_images(tmp_path, 1, seed=3)[0])
    # the node's annotation upload answers after 1 s, so the cycle is still running when the operator defers
    faults({"path": "/api/v1/items/*/annotations", "method": "POST", "action": "delay", "delay": 1, "times": -1})
    op = DataloopExecutePipelineOperator(task_id="t", pipeline_id=demo["pipeline_id"], item_ids=[item.id],
                                         deferrable=True, timeout=120, **FAST)
    deferral = deferred(op, context)
    assert isinstance(deferral.trigger, DataloopPipelineExecutionTrigger)
    assert deferral.trigger.run_options == {"pipeline_id": demo["pipeline_id"]}
    [event] = run_trigger(deferral.trigger)
    result = op.execute_complete(context, event)
    assert result["statuses"] == ["success"] and result["pipeline_id"] == demo["pipeline_id"]
    assert "dataloop_pipeline_execution_url" in context["ti"].xcoms


# -- sync ------------------------------------------------------------------------------------------------
def test_sync_push_shards_then_pull(client, default_conn, context, dataset, tmp_path):
    make_images(tmp_path / "src", 6)
    results = [DataloopSyncPushOperator(task_id="push", dataset_id=dataset.id, local_dir=str(tmp_path / "src"),
                                        shard=f"{i}/2", journal_dir=str(tmp_path / "j")).execute(context)
               for i in range(2)]
    assert sum(r["transferred"] for r in results) == 6 and all(r["ok"] for r in results)
    assert {r["shard"] for r in results} == {"0/2", "1/2"} and results[0]["created_after"] is None
    assert results[1]["created_after"].endswith("Z")  # the newest file shard 0 pushed, by the platform clock
    again = DataloopSyncPushOperator(task_id="push", dataset_id=dataset.id, local_dir=str(tmp_path / "src"),
                                     journal_dir=str(tmp_path / "j")).execute(context)
    assert again["transferred"] == 0 and again["skipped"] == 6
    pulled = DataloopSyncPullOperator(task_id="pull", dataset_id=dataset.id, local_dir=str(tmp_path / "dst"),
                                      journal_dir=str(tmp_path / "j")).execute(context)
    assert pulled["transferred"] == 6 and len(list((tmp_path / "dst").iterdir())) == 6
    assert context["ti"].xcoms["dataloop_dataset_url"] == dataset.platform_url


def test_sync_fails_listing_the_failed_files(default_conn, context, dataset, tmp_path, faults):
    make_images(tmp_path / "src", 2)
    faults({"method": "POST", "path": "/api/v1/datasets/*/items", "status": 400, "times": 100})
    op = DataloopSyncPushOperator(task_id="push", dataset_id=dataset.id, local_dir=str(tmp_path / "src"),
                                  journal_dir=str(tmp_path / "j"))
    with pytest.raises(AirflowException, match=r"push failed for 2 file\(s\): img_000_0000.png"):
        op.execute(context)


def test_on_kill_cancels_a_sync(default_conn, context, dataset, tmp_path):
    make_images(tmp_path / "src", 60)
    op = DataloopSyncPushOperator(task_id="push", dataset_id=dataset.id, local_dir=str(tmp_path / "src"),
                                  journal_dir=str(tmp_path / "j"), workers=1)
    op.on_kill()  # before execute: a no-op
    outcome = {}

    def run():
        try:
            outcome["result"] = op.execute(context)
        except AirflowException as exc:
            outcome["error"] = exc
    worker = threading.Thread(target=run)
    worker.start()
    while op._cancel is None:
        time.sleep(0.01)
    op.on_kill()
    worker.join(60)
    assert "cancelled" in str(outcome.get("error")) or outcome["result"]["transferred"] == 60
    if "error" in outcome:
        assert len(items_of(dataset)) < 60


# -- items, tasks, datasets ------------------------------------------------------------------------------
def test_upload_with_metadata_and_annotations(default_conn, context, dataset, tmp_path):
    make_images(tmp_path / "img", 2)
    (tmp_path / "ann").mkdir()
    name = "img_000_0000"
    (tmp_path / "ann" / f"{name}.json").write_text(
        '{"annotations": [{"type": "class", "label": "object", "coordinates": []}]}')
    result = DataloopUploadItemsOperator(task_id="up", dataset_id=dataset.id, local_path=str(tmp_path / "img"),
                                         local_annotations_path=str(tmp_path / "ann"), remote_path="/up",
                                         item_metadata={"user": {"source": "airflow"}}).execute(context)
    assert result["count"] == 2 and len(result["item_ids"]) == 2
    items = {i.name: i for i in items_of(dataset, "/up")}
    assert items[f"{name}.png"].metadata["user"]["source"] == "airflow"
    assert len(items[f"{name}.png"].annotations.list()) == 1


def test_tasks_from_filters_and_ids_then_qa(client, demo, default_conn, context, dataset, tmp_path):
    items = [dataset.items.upload(local_path=p, remote_path="/t") for p in make_images(tmp_path, 3)]
    created = DataloopCreateTaskOperator(task_id="c", dataset_id=dataset.id, task_name="label",
                                         assignee_ids=[demo["annotator"]], filters={"dir": "/t"},
                                         ).execute(context)
    assert created["total_items"] == 3 and context["ti"].xcoms["dataloop_task_url"].endswith(created["task_id"])
    by_ids = DataloopCreateTaskOperator(task_id="c", dataset_id=dataset.id, task_name="two",
                                        assignee_ids=[demo["annotator"]], item_ids=[items[0].id]).execute(context)
    assert by_ids["total_items"] == 1
    added = DataloopAddItemsToTaskOperator(task_id="a", annotation_task_id=by_ids["task_id"],
                                           item_ids=[items[1].id]).execute(context)
    assert added["total_items"] == 2
    assert DataloopCreateTaskOperator(task_id="c", dataset_id=dataset.id, task_name="none", assignee_ids=["x"],
                                      item_ids=[]).execute(context)["task_id"] is None
    client.items.update_status("completed", items=[items[0]], task_id=by_ids["task_id"])
    qa = DataloopCreateQATaskOperator(task_id="q", annotation_task_id=by_ids["task_id"],
                                      assignee_ids=[demo["annotator"]]).execute(context)
    assert qa["name"] == "two_qa" and qa["total_items"] == 1


@pytest.fixture
def held(emulator, monkeypatch):
    """Platform commands started from now on run only once released (so a wait sees them running)."""
    from held_commands import hold_commands
    release = hold_commands(emulator, monkeypatch)
    yield release
    release.set()


def files_under(root) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_export_blocking_json_zip_and_empty(client, default_conn, context, dataset, tmp_path):
    for path in make_images(tmp_path / "img", 2):
        dataset.items.upload(local_path=path, remote_path="/e")
    exported = DataloopExportAnnotationsOperator(task_id="x", dataset_id=dataset.id, local_path=str(tmp_path / "out"),
                                                 deferrable=False, **FAST).execute(context)
    assert exported == {"dataset_id": dataset.id, "path": str(tmp_path / "out" / f"{dataset.id}.json"),
                        "bytes": (tmp_path / "out" / f"{dataset.id}.json").stat().st_size}
    dataset.export(local_path=str(tmp_path / "core"), include_annotations=True)  # what the client writes
    assert files_under(tmp_path / "out") == files_under(tmp_path / "core")
    assert context["ti"].xcoms["dataloop_dataset_url"] == dataset.platform_url
    archive = DataloopExportAnnotationsOperator(task_id="x", dataset_id=dataset.id, output_type="zip",
                                                local_path=str(tmp_path / "zip"), filters={"dir": "/e"},
                                                **FAST).execute(context)
    assert archive["path"].endswith(".json.zip") and archive["bytes"] > 0
    empty = DataloopExportAnnotationsOperator(task_id="x", dataset_id=dataset.id, local_path=str(tmp_path / "none"),
                                              filters={"dir": "/nothing-here"}, **FAST).execute(context)
    assert empty["bytes"] == 2 and (tmp_path / "none" / f"{dataset.id}.json").read_text() == "[]"


def test_export_deferred(client, default_conn, context, dataset, tmp_path, held):
    from dataloop_provider.triggers.runs import DataloopCommandTrigger
    for path in make_images(tmp_path / "img", 3, seed=5):
        dataset.items.upload(local_path=path, remote_path="/e")
    op = DataloopExportAnnotationsOperator(task_id="x", dataset_id=dataset.id, local_path=str(tmp_path / "out"),
                                           output_type="folders", deferrable=True, timeout=120, **FAST)
    deferral = deferred(op, context)
    assert isinstance(deferral.trigger, DataloopCommandTrigger) and deferral.method_name == "execute_complete"
    assert deferral.trigger.run_ids == context["ti"].xcoms["run_ids"] and len(deferral.trigger.run_ids) == 1
    held.set()
    [event] = run_trigger(deferral.trigger)
    assert event["event"] == "success"
    result = op.execute_complete(context, event)
    assert result["path"] == str(tmp_path / "out") and result["bytes"] > 0
    dataset.export(local_path=str(tmp_path / "core"), include_annotations=True, output_export_type="folders")
    assert files_under(tmp_path / "out") == files_under(tmp_path / "core")
    assert len(files_under(tmp_path / "out")) == 3


def test_export_fire_and_forget_then_on_kill_aborts_the_commands(client, default_conn, context, dataset, tmp_path,
                                                                 held):
    dataset.items.upload(local_path=make_images(tmp_path / "img", 1)[0])
    started = DataloopExportAnnotationsOperator(task_id="x", dataset_id=dataset.id, local_path=str(tmp_path / "a"),
                                                wait_for_completion=False).execute(context)
    assert started["command_ids"] == context["ti"].xcoms["run_ids"] and started["statuses"][0] in (
        "created", "in-progress")
    op = DataloopExportAnnotationsOperator(task_id="x", dataset_id=dataset.id, local_path=str(tmp_path / "b"),
                                           timeout=60, **FAST)
    assert "cancelled" in str(killed_while_waiting(op, context))
    assert client.runs.status("command", op.run_ids[0]).status == "aborted"
    assert not (tmp_path / "b").exists()


def test_clone_blocking_and_deferred(emulator, client, default_conn, context, dataset, tmp_path, unique,
                                    monkeypatch):
    from dataloop_provider.triggers.runs import DataloopCommandTrigger
    for path in make_images(tmp_path / "img", 2, seed=6):
        dataset.items.upload(local_path=path, remote_path="/c")
    name = unique("copy")
    clone = DataloopCloneDatasetOperator(task_id="c", dataset_id=dataset.id, clone_name=name, filters={"dir": "/c"},
                                         deferrable=False, **FAST).execute(context)
    assert clone["name"] == name and clone["source_dataset_id"] == dataset.id and clone["dataset_id"] != dataset.id
    assert client.datasets.get(dataset_id=clone["dataset_id"]).items_count == 2
    assert context["ti"].xcoms["dataloop_dataset_url"].endswith(f"/datasets/{clone['dataset_id']}/items")
    from held_commands import hold_commands
    release = hold_commands(emulator, monkeypatch)  # from now on: the clone is still running when it defers
    try:
        op = DataloopCloneDatasetOperator(task_id="c", dataset_id=dataset.id, clone_name=name + "-2",
                                          deferrable=True, timeout=120, **FAST)
        deferral = deferred(op, context)
        assert isinstance(deferral.trigger, DataloopCommandTrigger) and len(deferral.trigger.run_ids) == 1
        release.set()
        [event] = run_trigger(deferral.trigger)
    finally:
        release.set()
    result = op.execute_complete(context, event)
    assert result["name"] == name + "-2" and result["dataset_id"] == event["statuses"][0]["output"]["returnedModelId"]
    assert context["ti"].xcoms["dataloop_dataset_url"].endswith(f"/datasets/{result['dataset_id']}/items")


def test_failed_clone_fails_the_task_with_the_platform_message(default_conn, context, dataset, held):
    taken = {"task_id": "c", "dataset_id": dataset.id, "clone_name": dataset.name, **FAST}
    op = DataloopCloneDatasetOperator(deferrable=True, **taken)
    deferral = deferred(op, context)
    held.set()
    [event] = run_trigger(deferral.trigger)
    assert event["event"] == "failure"
    with pytest.raises(AirflowException, match="failed: Dataset with the same name already exists"):
        op.execute_complete(context, event)
    with pytest.raises(AirflowException, match="failed: Dataset with the same name already exists"):
        DataloopCloneDatasetOperator(deferrable=False, **taken).execute(context)


def test_templated_fields_render(default_conn):
    import jinja2
    op = DataloopSyncPushOperator(task_id="p", dataset_id="{{ params.ds }}", local_dir="/data/{{ ds_nodash }}",
                                  shard="{{ params.shard }}")
    op.render_template_fields({"params": {"ds": "d1", "shard": "0/2"}, "ds_nodash": "20260101"},
                              jinja_env=jinja2.Environment())
    assert (op.dataset_id, op.local_dir, op.shard) == ("d1", "/data/20260101", "0/2")
    create = DataloopCreateTaskOperator(task_id="c", dataset_id="d", task_name="t {{ run_id }}",
                                        assignee_ids=["{{ params.who }}"], filters={"dir": "/{{ ds }}"})
    create.render_template_fields({"run_id": "r1", "params": {"who": "a@b.c"}, "ds": "2026-01-01"},
                                  jinja_env=jinja2.Environment())
    assert (create.task_name, create.assignee_ids, create.filters) == ("t r1", ["a@b.c"], {"dir": "/2026-01-01"})


def test_execute_pipeline_blocking_with_an_input(client, demo, default_conn, context, dataset, tmp_path):
    item = dataset.items.upload(local_path=make_images(tmp_path, 1, seed=9)[0])
    result = DataloopExecutePipelineOperator(task_id="t", pipeline_id=demo["pipeline_id"],
                                             execution_input={"item": item.id}, timeout=120).execute(context)
    assert result["statuses"] == ["success"] and len(result["pipeline_execution_ids"]) == 1


def test_external_storage_sync_blocking_and_fire_and_forget(client, default_conn, context, s3_dataset):
    from dataloop_provider.operators.datasets import DataloopExternalStorageSyncOperator
    started = DataloopExternalStorageSyncOperator(task_id="s", dataset_id=s3_dataset.id,
                                                  wait_for_completion=False).execute(context)
    [command_id] = context["ti"].xcoms["run_ids"]
    assert started.get("command_id", command_id) == command_id  # or the task itself, if the command was that quick
    assert client.runs.wait("command", command_id, timeout=60).succeeded
    result = DataloopExternalStorageSyncOperator(task_id="s", dataset_id=s3_dataset.id, timeout=60,
                                                 **FAST).execute(context)
    assert result["status"] == "success" and result["counts"].get("unchangedCount") == 3


def test_a_retry_reattaches_to_the_running_execution(client, demo, default_conn, context):
    from .helpers import TaskStateStore
    context["task_state_store"] = store = TaskStateStore()
    first_try = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="block",
                                                execution_input={"seconds": 2}, deferrable=True, **FAST)
    deferred(first_try, context)  # then the worker dies: no execute_complete
    [started] = store.values["dataloop_run_ids"]
    retry = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="block",
                                            execution_input={"seconds": 2}, **FAST)
    result = retry.execute(context)
    assert result["execution_ids"] == [started] and result["outputs"] == ["released"]
    again = DataloopExecuteFunctionOperator(task_id="t", service_id=demo["service_id"], function_name="block",
                                            execution_input={"seconds": 2}, **FAST).execute(context)
    assert again["execution_ids"] == [started]  # already succeeded: its result, nothing started


def test_task_creation_deferred_and_fire_and_forget(client, demo, default_conn, context, dataset, tmp_path):
    from dataloop_provider.triggers.runs import DataloopCommandTrigger
    items = [dataset.items.upload(local_path=p, remote_path="/d") for p in make_images(tmp_path, 2, seed=4)]
    op = DataloopCreateTaskOperator(task_id="c", dataset_id=dataset.id, task_name="deferred",
                                    assignee_ids=[demo["annotator"]], item_ids=[i.id for i in items],
                                    deferrable=True, **FAST)
    try:
        deferral = deferred(op, context)
    except pytest.fail.Exception:  # the command ended before the deferral: same result, no trigger
        result = op._result
    else:
        assert isinstance(deferral.trigger, DataloopCommandTrigger)
        [event] = run_trigger(deferral.trigger)
        result = op.execute_complete(context, event)
    assert result["name"] == "deferred" and result["total_items"] == 2
    started = DataloopCreateTaskOperator(task_id="c", dataset_id=dataset.id, task_name="later",
                                         assignee_ids=[demo["annotator"]], filters={"dir": "/d"},
                                         wait_for_completion=False).execute(context)
    [command_id] = context["ti"].xcoms["run_ids"]
    assert started.get("command_id", command_id) == command_id  # or the task itself, if the command was that quick
    assert client.runs.wait("command", command_id, timeout=60).succeeded
