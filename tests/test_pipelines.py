"""Pipelines over HTTP: CRUD, graph validation, install/pause, reset, statistics, execute (dataset and task nodes),
pipeline triggers (event and cron)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dataloop_core.entities.pipeline import PipelineSettings, PipelineStats
from dataloop_core.entities.pipeline_node import CodeNode, DatasetNode, PipelineConnection, TaskNode
from dataloop_core.entities.workload import WorkloadUnit
from dataloop_core.exceptions import BadRequest, NotFound
from dataloop_core.filters import Filters, FiltersResource
from eventually import eventually


def upload(dataset, data: bytes, folder: str, name: str):
    return dataset.items.upload(local_path=data, remote_path=folder, remote_name=name)


def task_node(project, dataset, name="task"):
    return TaskNode(name, project.id, dataset.id, "recipe", "r" * 24, "tester@dataloop.local", [])


def dataset_node(project, dataset, name="store", folder=None):
    return DatasetNode(name, project.id, dataset.id, dataset_folder=folder)


def two_node_pipeline(project, dataset, unique, target=None):
    pipeline = project.pipelines.create(name=unique("pipe"))
    first, second = dataset_node(project, dataset, "first"), dataset_node(project, target or dataset)
    pipeline.connect(first, second)
    return pipeline.update(), first, second


def test_create_get_list_and_delete(project, unique):
    name = unique("pipe")
    pipeline = project.pipelines.create(name=name)
    assert pipeline.name == name and pipeline.project_id == project.id and pipeline.status == "Created"
    assert project.pipelines.get(pipeline_id=pipeline.id).name == name
    assert project.pipelines.get(pipeline_name=name).id == pipeline.id
    assert [p.id for p in project.pipelines.list().all()] == [pipeline.id]
    assert project.pipelines.delete(pipeline_name=name) is True
    with pytest.raises(NotFound, match="Pipeline not found"):
        project.pipelines.get(pipeline_id=pipeline.id)


def test_create_from_json_and_bad_input(project, dataset, unique):
    node = task_node(project, dataset)
    pipeline = project.pipelines.create(pipeline_json={"name": unique("pipe"), "nodes": [node.to_json()],
                                                       "connections": [], "startNodes": []})
    assert [n.node_id for n in pipeline.nodes] == [node.node_id]
    with pytest.raises(BadRequest, match="already exists"):
        project.pipelines.create(name=pipeline.name)
    with pytest.raises(ValueError, match="needs a name"):
        project.pipelines.create()
    with pytest.raises(BadRequest, match="invalid pipeline id"):
        project.pipelines.get(pipeline_id="nope")
    with pytest.raises(NotFound, match="Pipeline not found: 0000"):
        project.pipelines.get(pipeline_id="0" * 24)
    with pytest.raises(ValueError, match="exactly one"):
        project.pipelines.stats()


def test_cycles_and_dangling_connections_are_rejected(project, dataset, unique):
    pipeline, first, second = two_node_pipeline(project, dataset, unique)
    pipeline.connect(second, first)
    with pytest.raises(BadRequest, match="cycle: 'store' -> 'first' -> 'store'|cycle: 'first' -> 'store' -> 'first'"):
        pipeline.update()
    dangling = PipelineConnection(first.node_id, first.outputs[0].port_id, "ghost-node", "ghost-port")
    body = project.pipelines.get(pipeline_id=pipeline.id).to_json()
    body["connections"].append(dangling.to_json())
    with pytest.raises(BadRequest, match="connection #1 tgt: node 'ghost-node' does not exist"):
        project.pipelines.create(pipeline_json=dict(body, name=unique("pipe")))
    stored = project.pipelines.get(pipeline_id=pipeline.id)
    assert len(stored.connections) == 1  # state intact
    report = project.pipelines.validate(pipeline_json=body)
    assert report["valid"] is False and "dangling" in report["errors"][0]


def test_update_settings_and_variables(project, unique):
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.settings = PipelineSettings(default_resume_option="resumeExistingCycles", keep_triggers_active=True)
    pipeline.variables.append({"name": "threshold", "type": "Float", "value": 0.5})
    pipeline.description = "scored"
    updated = pipeline.update()
    assert updated.settings.keep_triggers_active is True
    assert updated.variables[0]["name"] == "threshold" and updated.variables[0]["reference"] == pipeline.id
    assert updated.description == "scored"
    updated.update_variables_values(threshold=0.9)
    assert updated.update().variables[0]["value"] == 0.9
    again = project.pipelines.update_settings(updated, PipelineSettings(default_resume_option="terminateExistingCycles"))
    assert again.settings.default_resume_option == "terminateExistingCycles"


def test_execute_requires_install_and_runs_dataset_nodes(project, dataset, unique):
    target = project.datasets.create(unique("target"))
    item = upload(dataset, b"hello", "/a", "hello.txt")
    pipeline, first, second = two_node_pipeline(project, dataset, unique, target=target)
    with pytest.raises(BadRequest, match="not installed"):
        pipeline.execute(execution_input={"item": item.id})
    installed = pipeline.install()
    assert installed.status == "Installed"
    run = project.pipelines.execute(pipeline=installed, execution_input={"item": item.id}).wait(timeout=30)
    assert run.status == "success"
    assert run.node_status(first.node_id) == "success" and run.node_status(second.node_id) == "success"
    copied = run.executions[second.node_id][0]["output"]
    assert copied["dataset_id"] == target.id
    assert target.items.get(item_id=copied["item_id"]).filename == "/a/hello.txt"
    stats = installed.stats()
    assert isinstance(stats, PipelineStats) and stats.count("success") == 1
    assert project.pipelines.reset(pipeline=installed) is True
    assert project.pipelines.stats(pipeline_id=installed.id).count("success") == 0
    project.pipelines.pause(pipeline=installed)
    assert project.pipelines.get(pipeline_id=installed.id).status == "Uninstalled"


def test_condition_blocks_connection_and_test_mode(project, dataset, unique):
    item = upload(dataset, b"x", "/b", "x.txt")
    pipeline = project.pipelines.create(name=unique("pipe"))
    first, second = dataset_node(project, dataset, "first"), dataset_node(project, dataset)
    pipeline.connect(first, second, filters=Filters(field="dir", values="/elsewhere"))
    pipeline = pipeline.update()
    run = project.pipelines.test(pipeline=pipeline, execution_input={"item": item.id}).wait(timeout=30)
    assert run.status == "success" and run.node_status(second.node_id) == "pending"
    assert project.pipelines.get(pipeline_id=pipeline.id).status == "Created"


def test_pipeline_executions_list_get_and_rerun(project, dataset, unique):
    item = upload(dataset, b"y", "/", "y.txt")
    pipeline, first, _ = two_node_pipeline(project, dataset, unique)
    pipeline = pipeline.install()
    run = pipeline.pipeline_executions.create(execution_input={"item": item.id}).wait(timeout=30)
    listed = pipeline.pipeline_executions.list()
    assert [r.id for r in listed.all()] == [run.id]
    assert pipeline.pipeline_executions.get(run.id).pipeline_id == pipeline.id
    filters = Filters(field="status", values="success", resource=FiltersResource.PIPELINE_EXECUTION)
    assert pipeline.pipeline_executions.list(filters=filters).items_count == 1
    assert pipeline.pipeline_executions.rerun(method="startFromBeginning") is True
    again = pipeline.pipeline_executions.wait(pipeline_execution_id=run.id, timeout=30)
    assert again.status == "success" and again.node_status(first.node_id) == "success"
    with pytest.raises(BadRequest, match="method must be one of"):
        pipeline.pipeline_executions.rerun(method="sideways")
    with pytest.raises(NotFound, match="Pipeline execution not found"):
        pipeline.pipeline_executions.get("0" * 24)
    with pytest.raises(ValueError, match="PIPELINE_EXECUTION"):
        pipeline.pipeline_executions.list(filters=Filters())


def test_execute_batch_runs_one_execution_per_item(project, dataset, unique):
    for name in ("1.txt", "2.txt"):
        upload(dataset, name.encode(), "/batch", name)
    pipeline, _, _ = two_node_pipeline(project, dataset, unique)
    pipeline = pipeline.install()
    filters = Filters(field="dir", values="/batch", context={"datasets": [dataset.id]})
    command = pipeline.execute_batch(filters=filters)
    assert command.status == "success" and len(command.spec["pipelineExecutionIds"]) == 2
    for execution_id in command.spec["pipelineExecutionIds"]:
        assert pipeline.pipeline_executions.wait(pipeline_execution_id=execution_id, timeout=30).status == "success"


def test_local_graph_edits_and_open_in_web(project, dataset, unique, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0, autoraise=True: opened.append(url))
    pipeline = project.pipelines.create(name=unique("pipe"))
    first, second = task_node(project, dataset), dataset_node(project, dataset)
    pipeline.connect(first, second)
    pipeline.set_start_node(second)
    assert pipeline.start_nodes[0] == {"nodeId": second.node_id, "type": "root"}
    pipeline.remove_node(second)
    assert [n.node_id for n in pipeline.nodes] == [first.node_id] and pipeline.connections == []
    pipeline.open_in_web()
    project.pipelines.open_in_web(pipeline_id=pipeline.id)
    assert opened[0].endswith(f"projects/{project.id}/pipelines/{pipeline.id}") and opened[0] == opened[1]


def tag(item):
    item.metadata.setdefault("user", {})["tagged"] = item.metadata.get("user", {}).get("tagged", 0) + 1
    return item.update()


def test_task_node_waits_for_the_item_status_and_routes_by_action(project, dataset, unique):
    """Scenario: code node -> task node -> code node (complete) / dataset node (discard); the status an annotator
    sets on the item in the node's task continues the execution along the matching connection."""
    archive = project.datasets.create(unique("archive"))
    first, last = CodeNode("tag", project.id, project.name, tag), CodeNode("tag-again", project.id, project.name, tag)
    review = TaskNode("review", project.id, dataset.id, "recipe", "r" * 24, "owner@dataloop.local",
                      [WorkloadUnit("ann1@dataloop.local", 60), WorkloadUnit("ann2@dataloop.local", 40)])
    discarded = dataset_node(project, archive, "discarded")
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.connect(first, review)
    pipeline.connect(review, last)  # the port's first action: complete
    pipeline.connect(review, discarded, action="discard")
    pipeline = pipeline.update().install()
    task_id = next(n for n in pipeline.nodes if n.node_id == review.node_id).metadata["taskId"]
    task = project.tasks.get(task_id=task_id)
    assert [a.action for a in task.available_actions] == ["completed", "discard"]
    assert sorted(a.annotator for a in task.assignments.list()) == ["ann1@dataloop.local", "ann2@dataloop.local"]

    kept, dropped = upload(dataset, b"k", "/review", "kept.txt"), upload(dataset, b"d", "/review", "dropped.txt")
    runs = {}
    for item in (kept, dropped):
        runs[item.id] = pipeline.execute(execution_input={"item": item.id})
        eventually(lambda: pipeline.pipeline_executions.get(runs[item.id].id).node_status(review.node_id)
                 == "in-progress")
    assert pipeline.pipeline_executions.get(runs[kept.id].id).status == "in-progress"
    assert sorted(i.id for i in project.tasks.get_items(task_id=task_id).all()) == sorted([kept.id, dropped.id])

    dataset.items.get(item_id=kept.id).update_status("completed", task_id=task_id)
    run = pipeline.pipeline_executions.wait(pipeline_execution_id=runs[kept.id].id, timeout=120)
    assert run.status == "success" and run.node_status(last.node_id) == "success"
    assert run.node_status(discarded.node_id) == "pending"
    assert dataset.items.get(item_id=kept.id).metadata["user"]["tagged"] == 2

    dataset.items.get(item_id=dropped.id).update_status("discard", task_id=task_id)
    run = pipeline.pipeline_executions.wait(pipeline_execution_id=runs[dropped.id].id, timeout=120)
    assert run.status == "success" and run.node_status(last.node_id) == "pending"
    assert [i.name for i in archive.items.list().all()] == ["dropped.txt"]
    assert project.tasks.get(task_id=task_id).status == "completed"


def test_task_node_bad_input(project, dataset, unique):
    node = TaskNode("review", project.id, dataset.id, "recipe", "r" * 24, "owner@dataloop.local",
                    [WorkloadUnit("ann@dataloop.local", 100)])
    node.metadata["workload"] = [{"assigneeId": "not-an-email", "load": 100}]
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.add_node(node)
    pipeline = pipeline.update()
    with pytest.raises(BadRequest, match="node 'review': .*not-an-email"):
        pipeline.install()
    assert project.pipelines.get(pipeline_id=pipeline.id).status == "Created"  # state intact
    assert project.tasks.list() == []


def test_event_trigger_on_a_pipeline_fires_on_upload(project, dataset, unique):
    """Scenario: a trigger on the root node starts a pipeline execution when a matching item is uploaded."""
    target = project.datasets.create(unique("target"))
    pipeline, first, second = two_node_pipeline(project, dataset, unique, target=target)
    assert pipeline.triggers.create(filters=Filters(field="dir", values="/incoming")) is True
    pipeline = project.pipelines.get(pipeline_id=pipeline.id)
    assert pipeline.start_nodes[0]["trigger"]["spec"]["actions"] == ["Created"]
    assert project.triggers.list().items_count == 0  # created on install
    pipeline = pipeline.install()
    [trigger] = pipeline.triggers.list().all()
    assert trigger.pipeline_id == pipeline.id and trigger.active is True
    upload(dataset, b"no", "/elsewhere", "skip.txt")
    item = upload(dataset, b"yes", "/incoming", "go.txt")
    run = eventually(lambda: pipeline.pipeline_executions.list().items)[0]
    run = pipeline.pipeline_executions.wait(pipeline_execution_id=run.id, timeout=60)
    assert run.status == "success" and run.to_json()["triggerId"] == trigger.id
    assert run.executions[first.node_id][0]["input"]["item"]["item_id"] == item.id
    assert [i.name for i in target.items.list().all()] == ["go.txt"]
    pipeline.pause()
    assert project.triggers.get(trigger_id=trigger.id).active is False
    upload(dataset, b"late", "/incoming", "late.txt")
    assert pipeline.pipeline_executions.list().items_count == 1
    with pytest.raises(ValueError, match="exactly one of"):
        pipeline.triggers.create(pipeline_id=pipeline.id, service_id="s" * 24)
    with pytest.raises(ValueError, match="is not a node of pipeline"):
        pipeline.triggers.create(pipeline_node_id="ghost")
    project.pipelines.delete(pipeline=pipeline)
    with pytest.raises(NotFound, match="Trigger not found"):
        project.triggers.get(trigger_id=trigger.id)


def test_cron_trigger_on_a_pipeline(emulator, project, dataset, unique):
    pipeline, first, _ = two_node_pipeline(project, dataset, unique)
    project.triggers.create(pipeline_id=pipeline.id, pipeline_node_id=first.node_id, trigger_type="Cron",
                            cron="0 0 1 1 *")
    pipeline = project.pipelines.get(pipeline_id=pipeline.id).install()
    [trigger] = pipeline.triggers.list().all()
    assert trigger.type == "Cron" and trigger.spec["operation"] == {"type": "pipeline", "id": pipeline.id,
                                                                   "nodeId": first.node_id}
    dispatcher = emulator.emulator.extensions["faas"].triggers
    started = [e for e in dispatcher.fire_due(datetime(2031, 1, 1, tzinfo=timezone.utc))
               if e.get("triggerId") == trigger.id]
    assert [e["pipelineId"] for e in started] == [pipeline.id]
    run = pipeline.pipeline_executions.wait(pipeline_execution_id=started[0]["id"], timeout=60)
    assert run.status == "failed"  # a dataset node needs an item: the cron trigger gives none
    assert "input item not found" in run.executions[first.node_id][0]["latestStatus"]["message"]


def test_a_task_node_wait_survives_an_emulator_restart(tmp_path, unique):
    """The execution waiting in a task node is stored: after a restart of the emulator, the item's status still
    continues it."""
    from dataloop_core import DataloopClient
    from dataloop_core.emulator import EmulatorServer
    data_dir = str(tmp_path / "emulator")
    server = EmulatorServer(data_dir).start()
    try:
        with DataloopClient(base_url=server.url, token=server.token("tester@dataloop.local")) as client:
            project = client.projects.create(unique("restart"))
            dataset = project.datasets.create(unique("dataset"))
            review, last = task_node(project, dataset, "review"), CodeNode("tag", project.id, project.name, tag)
            pipeline = project.pipelines.create(name=unique("pipe"))
            pipeline.connect(review, last)
            pipeline = pipeline.update().install()
            item = upload(dataset, b"k", "/review", "kept.txt")
            run = pipeline.execute(execution_input={"item": item.id})
            eventually(lambda: pipeline.pipeline_executions.get(run.id).node_status(review.node_id) == "in-progress")
    finally:
        server.stop()
    server = EmulatorServer(data_dir).start()  # on another port: the resumed run must call back to the new one
    try:
        with DataloopClient(base_url=server.url, token=server.token("tester@dataloop.local")) as client:
            pipeline = client.pipelines.get(pipeline_id=pipeline.id)
            assert pipeline.pipeline_executions.get(run.id).status == "in-progress"
            task_id = next(n for n in pipeline.nodes if n.node_id == review.node_id).metadata["taskId"]
            client.items.get(item_id=item.id).update_status("completed", task_id=task_id)
            done = pipeline.pipeline_executions.wait(pipeline_execution_id=run.id, timeout=120)
            assert done.status == "success" and done.node_status(last.node_id) == "success"
            assert client.items.get(item_id=item.id).metadata["user"]["tagged"] == 1
    finally:
        server.stop()


def test_code_nodes_run_as_a_project_bot(project, dataset, unique):
    """A code node's function acts as the project's bot (its change to the item is the bot's), the pipeline
    execution stays the caller's."""
    first = CodeNode("tag", project.id, project.name, tag)
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.add_node(first)
    pipeline = pipeline.update().install()
    item = upload(dataset, b"b", "/bot", "bot.txt")
    run = pipeline.execute(execution_input={"item": item.id}).wait(timeout=60)
    assert run.status == "success" and run.to_json()["creator"] == "tester@dataloop.local"
    bots = [b.email for b in project.bots.list()]
    assert len(bots) == 1 and dataset.items.get(item_id=item.id).updated_by == bots[0]
