"""Pipeline executions: the engine with a fake FaaS runtime (unit), and the end-to-end scenario on the real one."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from dataloop_core.emulator.blobs import BlobStore
from dataloop_core.emulator.errors import BadRequest
from dataloop_core.emulator.pipeline_engine import PipelineEngine, find_cycle, node_outputs
from dataloop_core.emulator.store import Store
from dataloop_core.entities.function_io import FunctionIO
from dataloop_core.entities.pipeline_node import CodeNode, PipelineNode, PipelineNodeIO
from dataloop_core.repositories.pipeline_executions import execution_input_json

PROJECT = "a" * 24


class FakeRuntime:
    """Runs functions from a dict ``name -> callable(input) -> output``; raising fails the execution."""

    def __init__(self, functions, threaded=False):
        self.functions, self.threaded, self.calls = functions, threaded, []

    def execute(self, service, function_name, input, creator, api_url, pipeline=None, trigger_id=None,
                on_done=None, project_id=None):
        self.calls.append((service["name"], function_name, input, pipeline))
        execution = {"id": f"ex-{len(self.calls)}", "input": input, "latestStatus": {"status": "created"}}

        def finish():
            try:
                done = {**execution, "output": self.functions[function_name](input),
                        "latestStatus": {"status": "success"}}
            except Exception as exc:
                done = {**execution, "output": None, "latestStatus": {"status": "failed", "message": str(exc)}}
            on_done(done)
        if self.threaded:
            threading.Thread(target=finish).start()
        else:
            finish()
        return execution


def function_node(name, function_name, inputs=("value",), outputs=("value",)):
    ports = lambda names: [PipelineNodeIO("Json", n) for n in names]
    return PipelineNode(name, "function", {"functionName": function_name, "serviceName": "svc"}, PROJECT,
                        ports(inputs), ports(outputs))


@pytest.fixture
def engine_with(tmp_path):
    def build(functions, threaded=False):
        store = Store(str(tmp_path / "state.sqlite3"))
        store.insert("service", {"name": "svc", "projectId": PROJECT}, scope=PROJECT)
        runtime = FakeRuntime(functions, threaded)
        emulator = SimpleNamespace(store=store, blobs=BlobStore(str(tmp_path / "blobs")),
                                   extensions={"faas": runtime})
        return PipelineEngine(emulator), runtime, store
    return build


def pipeline_of(store, *nodes, links=()):
    doc = {"name": "p", "projectId": PROJECT, "nodes": [n.to_json() for n in nodes], "connections": [],
           "startNodes": [{"nodeId": nodes[0].node_id, "type": "root"}]}
    for source, target in links:
        doc["connections"].append({"src": {"nodeId": source.node_id, "portId": source.outputs[0].port_id},
                                   "tgt": {"nodeId": target.node_id, "portId": target.inputs[0].port_id}})
    return store.insert("pipeline", doc, scope=PROJECT)


def test_outputs_flow_along_connections(engine_with):
    engine, runtime, store = engine_with({"double": lambda i: i["value"] * 2, "inc": lambda i: i["value"] + 1})
    first, second = function_node("double", "double"), function_node("inc", "inc")
    pipeline = pipeline_of(store, first, second, links=[(first, second)])
    doc = engine.start(pipeline, {"value": 5}, "http://x/api/v1", "me@x")
    assert doc["status"] == "success"
    assert [c[2] for c in runtime.calls] == [{"value": 5}, {"value": 10}]
    assert runtime.calls[1][3] == {"id": pipeline["id"], "nodeId": second.node_id, "executionId": doc["id"]}
    assert doc["executions"][second.node_id][0]["output"] == 11
    assert {n["id"]: n["status"] for n in doc["nodes"]} == {first.node_id: "success", second.node_id: "success"}


def test_a_failed_node_fails_the_execution_and_stops_the_flow(engine_with):
    engine, runtime, store = engine_with({"boom": lambda i: 1 / 0, "inc": lambda i: i})
    first, second = function_node("boom", "boom"), function_node("inc", "inc")
    doc = engine.start(pipeline_of(store, first, second, links=[(first, second)]), {"value": 1}, "u", "me")
    assert doc["status"] == "failed" and len(runtime.calls) == 1
    assert {n["id"]: n["status"] for n in doc["nodes"]} == {first.node_id: "failed", second.node_id: "pending"}
    assert "division by zero" in doc["executions"][first.node_id][0]["latestStatus"]["message"]


def test_threaded_completion_and_fan_out(engine_with):
    engine, runtime, store = engine_with({"f": lambda i: i["value"]}, threaded=True)
    root, left, right = function_node("root", "f"), function_node("left", "f"), function_node("right", "f")
    doc = engine.start(pipeline_of(store, root, left, right, links=[(root, left), (root, right)]), {"value": 3},
                       "u", "me")
    for _ in range(200):
        doc = store.get("pipeline_execution", doc["id"])
        if doc["status"] == "success":
            break
        threading.Event().wait(0.01)
    assert doc["status"] == "success" and len(runtime.calls) == 3


def test_missing_service_and_unknown_start_node(engine_with):
    engine, _, store = engine_with({})
    node = function_node("orphan", "f")
    node._json["namespace"]["serviceName"] = "ghost"
    doc = engine.start(pipeline_of(store, node), {}, "u", "me")
    assert doc["status"] == "failed"
    assert "service 'ghost' not found" in doc["executions"][node.node_id][0]["latestStatus"]["message"]
    with pytest.raises(BadRequest, match="is not a node of pipeline"):
        engine.start(pipeline_of(store, node), {}, "u", "me", node_id="nope")


def test_graph_helpers():
    assert find_cycle({"a": {}, "b": {}}, [{"src": {"nodeId": "a"}, "tgt": {"nodeId": "b"}}]) is None
    cycle = find_cycle({"a": {}, "b": {}}, [{"src": {"nodeId": "a"}, "tgt": {"nodeId": "b"}},
                                            {"src": {"nodeId": "b"}, "tgt": {"nodeId": "a"}}])
    assert cycle[0] == cycle[-1]
    two = function_node("n", "f", outputs=("a", "b")).to_json()
    assert node_outputs(two, {}, {"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert node_outputs(function_node("n", "f").to_json(), {"value": 7}, None) == {"value": 7}
    assert execution_input_json([FunctionIO("Json", "a", 1), FunctionIO("String", "b", "x")]) == {"a": 1, "b": "x"}
    with pytest.raises(ValueError, match="execution_input"):
        execution_input_json(["nope"])


def tag(item):
    item.metadata.setdefault("user", {})["tagged"] = True
    return item.update()


def test_two_code_nodes_run_end_to_end_on_the_faas_runtime(emulator, project, dataset, unique):
    """Scenario: a two-node pipeline executes end to end and its execution reaches success."""
    item = dataset.items.upload(local_path=b"payload", remote_path="/in", remote_name="a.txt")
    first = CodeNode("tag", project.id, project.name, tag)
    second = CodeNode("tag-again", project.id, project.name, tag)
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.connect(first, second)
    pipeline = pipeline.update().install()
    run = pipeline.execute(execution_input={"item": item.id}).wait(timeout=120)
    assert run.status == "success", run.to_json()
    assert run.node_status(first.node_id) == run.node_status(second.node_id) == "success"
    assert run.executions[second.node_id][0]["output"]["item_id"] == item.id
    assert dataset.items.get(item_id=item.id).metadata["user"]["tagged"] is True
    assert project.pipelines.stats(pipeline=pipeline).count("success") == 1


def test_function_node_of_a_deployed_service(project, dataset, unique, tmp_path):
    from dataloop_core.entities.package import PackageFunction, PackageModule
    from dataloop_core.entities.pipeline_node import FunctionNode
    (tmp_path / "main.py").write_text("class ServiceRunner:\n    def rename(self, item):\n"
                                      "        item.metadata.setdefault('user', {})['seen'] = 1\n"
                                      "        return item.update()\n")
    module = PackageModule(functions=[PackageFunction("rename", inputs=[FunctionIO("Item", "item")],
                                                      outputs=[FunctionIO("Item", "item")])])
    package = project.packages.push(package_name=unique("pkg"), src_path=str(tmp_path), modules=[module])
    service = package.deploy(service_name=unique("svc"))
    node = FunctionNode("rename", service, "rename")
    assert node.namespace["serviceName"] == service.name and node.inputs[0].name == "item"
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.add_node(node)
    pipeline = pipeline.update().install()
    item = dataset.items.upload(local_path=b"z", remote_path="/fn", remote_name="z.txt")
    run = pipeline.execute(execution_input={"item": item.id}).wait(timeout=120)
    assert run.status == "success" and dataset.items.get(item_id=item.id).metadata["user"]["seen"] == 1
    with pytest.raises(ValueError, match="function 'nope' not found"):
        FunctionNode("x", service, "nope")
    assert [p.id for p in project.packages.list().all()] == [package.id]  # code-node packages stay hidden
