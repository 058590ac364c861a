"""Sensors in poke, reschedule and deferrable modes against the emulator: executions, pipeline executions,
commands, annotation-task completion (percent and statuses) and new items since the data interval."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowSensorTimeout

try:  # Airflow 3.3
    from airflow.sdk.exceptions import AirflowRescheduleException
except ImportError:  # Airflow 3.1
    from airflow.exceptions import AirflowRescheduleException

from dataloop_provider.sensors.items import DataloopNewItemsSensor
from dataloop_provider.sensors.runs import (DataloopCommandSensor, DataloopExecutionSensor,
                                            DataloopPipelineExecutionSensor, DataloopTaskCompletionSensor)
from dataloop_provider.triggers.items import DataloopNewItemsTrigger
from dataloop_provider.triggers.runs import DataloopCommandTrigger, DataloopExecutionTrigger, DataloopTaskTrigger
from .helpers import deferred, run_trigger


@pytest.fixture
def dataset(client, demo, unique):
    return client.datasets.get(dataset_id=demo["dataset_id"])


def test_execution_sensor_poke_and_failure(client, demo, default_conn, context):
    done = client.executions.create(service_id=demo["service_id"], function_name="echo",
                                    execution_input={"config": 1})
    client.runs.wait("execution", done.id, timeout=60)
    sensor = DataloopExecutionSensor(task_id="s", execution_id=done.id, poke_interval=0.1)
    assert sensor.poke(context).is_done and sensor.execute(context)["status"] == "success"
    failed = client.executions.create(service_id=demo["service_id"], function_name="fail")
    client.runs.wait("execution", failed.id, timeout=60, raise_on_failure=False)
    with pytest.raises(AirflowException, match="model weights not found"):
        DataloopExecutionSensor(task_id="s", execution_id=failed.id).poke(context)


def test_reschedule_mode_gives_back_the_slot(client, demo, default_conn, context):
    running = client.executions.create(service_id=demo["service_id"], function_name="block",
                                       execution_input={"seconds": 30})
    sensor = DataloopExecutionSensor(task_id="s", execution_id=running.id, mode="reschedule", poke_interval=5)
    context.update(task_reschedule_count=0)
    with pytest.raises(AirflowRescheduleException) as caught:
        sensor.execute(context)
    assert caught.value.reschedule_date > datetime.now(timezone.utc)
    client.runs.cancel("execution", running.id)


def test_deferrable_execution_sensor_waits_on_the_triggerer(client, demo, default_conn, context):
    running = client.executions.create(service_id=demo["service_id"], function_name="block",
                                       execution_input={"seconds": 1})
    sensor = DataloopExecutionSensor(task_id="s", execution_id=running.id, deferrable=True, poke_interval=0.2,
                                     timeout=60)
    deferral = deferred(sensor, context)
    assert isinstance(deferral.trigger, DataloopExecutionTrigger) and deferral.timeout == timedelta(seconds=60)
    assert deferral.trigger.cancel_on_kill is False  # a sensor does not own the run it watches
    [event] = run_trigger(deferral.trigger)
    assert sensor.execute_complete(context, event)["status"] == "success"
    with pytest.raises(AirflowSensorTimeout, match="timed out after 60 s"):
        sensor.execute_complete(context, {"event": "timeout", "message": "still running"})


def test_pipeline_execution_sensor(client, demo, default_conn, context, dataset, unique):
    item = dataset.items.upload(local_path=b"p", remote_path="/" + unique("p"), remote_name="p.txt")
    run = client.pipelines.get(pipeline_id=demo["pipeline_id"]).execute(execution_input={"item": item.id})
    sensor = DataloopPipelineExecutionSensor(task_id="s", pipeline_execution_id=run.id,
                                             pipeline_id=demo["pipeline_id"], poke_interval=0.1, timeout=60)
    assert sensor.execute(context)["terminal"]


def test_command_sensor_poke_and_deferred(client, demo, default_conn, context, dataset, unique):
    from dataloop_core import Filters
    folder = "/" + unique("b")
    dataset.items.upload(local_path=b"b", remote_path=folder, remote_name="b.txt")
    command = client.executions.create_batch(service_id=demo["service_id"], function_name="pre_annotate",
                                             filters=Filters(field="dir", values=folder), wait=False)
    sensor = DataloopCommandSensor(task_id="s", command_id=command.id, deferrable=True, poke_interval=0.1)
    try:
        trigger = deferred(sensor, context).trigger
    except pytest.fail.Exception:  # done before the deferral
        trigger = None
    if trigger is not None:
        assert isinstance(trigger, DataloopCommandTrigger) and trigger.run_ids == [command.id]
        [event] = run_trigger(trigger)
        assert sensor.execute_complete(context, event)["status"] == "success"
    assert DataloopCommandSensor(task_id="s", command_id=command.id).poke(context).is_done


def test_task_completion_by_percent_and_by_statuses(client, demo, default_conn, context, dataset, unique):
    items = [dataset.items.upload(local_path=b"a", remote_path="/" + unique("c"), remote_name=f"{i}.txt")
             for i in range(2)]
    task = dataset.tasks.create(task_name=unique("task"), assignee_ids=[demo["annotator"]], items=items)
    by_percent = DataloopTaskCompletionSensor(task_id="s", annotation_task_id=task.id, min_percent=50,
                                              deferrable=True, poke_interval=0.1)
    trigger = deferred(by_percent, context).trigger
    assert isinstance(trigger, DataloopTaskTrigger) and trigger.run_options == {"min_percent": 50}
    client.items.update_status("completed", items=[items[0]], task_id=task.id)
    assert by_percent.poke(context).is_done
    by_status = DataloopTaskCompletionSensor(task_id="s", annotation_task_id=task.id, statuses=["completed"])
    assert not by_status.poke(context).is_done
    client.items.update_status("completed", items=[items[1]], task_id=task.id)
    assert by_status.poke(context).is_done
    with pytest.raises(ValueError, match="min_percent or statuses, not both"):
        DataloopTaskCompletionSensor(task_id="s", annotation_task_id="t", min_percent=5, statuses=["completed"])


def test_new_items_since_the_data_interval(client, default_conn, context, dataset, unique):
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    folder = "/" + unique("n")
    sensor = DataloopNewItemsSensor(task_id="s", dataset_id=dataset.id, filters={"dir": folder},
                                    since=start.isoformat(), until=None, poke_interval=0.1, deferrable=True,
                                    timeout=30)
    trigger = deferred(sensor, context).trigger
    assert isinstance(trigger, DataloopNewItemsTrigger) and trigger.since.endswith("Z")
    item = dataset.items.upload(local_path=b"n", remote_path=folder, remote_name="n.txt")
    [event] = run_trigger(trigger)
    assert sensor.execute_complete(context, event) == {"dataset_id": dataset.id, "count": 1, "item_ids": [item.id]}
    assert sensor.poke(context).xcom_value["item_ids"] == [item.id]
    ended = DataloopNewItemsSensor(task_id="s", dataset_id=dataset.id, filters={"dir": folder},
                                   since=start - timedelta(hours=1), until=start)
    assert not ended.poke(context).is_done  # the item came after the interval


def test_data_interval_templates_render(default_conn):
    import jinja2
    sensor = DataloopNewItemsSensor(task_id="s", dataset_id="{{ params.ds }}")
    start, end = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, 1, tzinfo=timezone.utc)
    sensor.render_template_fields({"params": {"ds": "d1"}, "data_interval_start": start,
                                   "data_interval_end": end}, jinja_env=jinja2.Environment())
    assert (sensor.dataset_id, sensor.since, sensor.until) == ("d1", str(start), str(end))
    trigger = sensor.trigger(time.time() + 10)
    assert (trigger.since, trigger.until) == ("2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z")


@pytest.mark.parametrize("kind", ["task", "new items", "pipeline execution"])
def test_other_sensors_reschedule_while_not_done(client, demo, default_conn, context, dataset, unique, kind):
    if kind == "task":
        item = dataset.items.upload(local_path=b"r", remote_path="/" + unique("r"), remote_name="r.txt")
        task = dataset.tasks.create(task_name=unique("task"), assignee_ids=[demo["annotator"]], items=[item.id])
        sensor = DataloopTaskCompletionSensor(task_id="s", annotation_task_id=task.id, mode="reschedule")
    elif kind == "new items":
        sensor = DataloopNewItemsSensor(task_id="s", dataset_id=dataset.id, filters={"dir": "/" + unique("none")},
                                        since=datetime.now(timezone.utc), until=None, mode="reschedule")
    else:
        service = client.services.get(service_id=demo["service_id"])
        service.pause()
        try:
            item = dataset.items.upload(local_path=b"q", remote_path="/" + unique("q"), remote_name="q.txt")
            run = client.pipelines.get(pipeline_id=demo["pipeline_id"]).execute(execution_input={"item": item.id})
            sensor = DataloopPipelineExecutionSensor(task_id="s", pipeline_execution_id=run.id, mode="reschedule")
            with pytest.raises(AirflowRescheduleException):
                sensor.execute(dict(context, task_reschedule_count=0))
        finally:
            service.resume()
        return
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(dict(context, task_reschedule_count=0))
