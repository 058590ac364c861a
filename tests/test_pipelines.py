"""Pipelines over HTTP: CRUD, graph validation, install/pause, reset, statistics, execute (task/dataset nodes)."""
from __future__ import annotations

import pytest

from dataloop_core.entities.pipeline import PipelineSettings, PipelineStats
from dataloop_core.entities.pipeline_node import DatasetNode, PipelineConnection, TaskNode
from dataloop_core.exceptions import BadRequest, NotFound
from dataloop_core.filters import Filters, FiltersResource


def upload(dataset, data: bytes, folder: str, name: str):
    return dataset.items.upload(local_path=data, remote_path=folder, remote_name=name)


def task_node(project, dataset, name="task"):
    return TaskNode(name, project.id, dataset.id, "recipe", "r" * 24, "tester@dataloop.local", [])


def dataset_node(project, dataset, name="store", folder=None):
    return DatasetNode(name, project.id, dataset.id, dataset_folder=folder)


def two_node_pipeline(project, dataset, unique, target=None):
    pipeline = project.pipelines.create(name=unique("pipe"))
    first, second = task_node(project, dataset), dataset_node(project, target or dataset)
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
    with pytest.raises(BadRequest, match="cycle: 'store' -> 'task' -> 'store'|cycle: 'task' -> 'store' -> 'task'"):
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


def test_execute_requires_install_and_runs_task_then_dataset(project, dataset, unique):
    target = project.datasets.create(unique("target"))
    item = upload(dataset, b"hello", "/a", "hello.txt")
    pipeline, first, second = two_node_pipeline(project, dataset, unique, target=target)
    with pytest.raises(BadRequest, match="not installed"):
        pipeline.execute(execution_input={"item": item.id})
    installed = pipeline.install()
    assert installed.status == "Installed"
    run = installed.execute(execution_input={"item": item.id}).wait(timeout=30)
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
    first, second = task_node(project, dataset), dataset_node(project, dataset)
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
