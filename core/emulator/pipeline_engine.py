"""The emulator's pipeline engine: validates pipeline graphs and runs pipeline executions (wire §7.3).

A pipeline execution starts at the start node(s). Code and function nodes run through the FaaS runtime
(``emulator.extensions["faas"]``); task and dataset nodes run here. When a node's run succeeds its outputs
travel along the node's connections (a connection's ``condition`` is a DQL filter over the item, its
``action`` must match the action the node emitted) to the inputs of the next nodes. The execution is
``success`` once nothing runs and every run succeeded, ``failed`` once nothing runs and a run failed.
A task node adds the item to the node's task (``metadata.taskId``, created on install) and waits: when the
item gets a status in that task (an ``ItemStatus``/``statusChanged`` event) the node succeeds with the action
the status stands for, and the item travels along the connections of that action. A wait is the task node's
in-progress run, stored in the execution's ``executions``: after an emulator restart the executions that were
only waiting in task nodes wait again; any other unfinished one is failed (its node runs died with the old
process). Pipelines with event or cron triggers on their start nodes are started by
:meth:`PipelineEngine.fire_trigger`.
"""
from __future__ import annotations

import json
import logging
import posixpath
import threading
from types import SimpleNamespace
from typing import Dict, List, Optional

from . import dql
from .errors import BadRequest, EmulatorError
from .ids import now_iso

logger = logging.getLogger("dataloop_core.emulator.pipelines")
NODE_TYPES = ("code", "function", "task", "storage", "ml")
TERMINAL = {"success", "failed", "terminated", "aborted", "canceled", "system-failure"}


# -- graph validation ----------------------------------------------------------------------------
def graph_errors(pipeline: dict) -> List[str]:
    """Every structural problem of a pipeline JSON, each naming the node or connection."""
    nodes, connections = pipeline.get("nodes") or [], pipeline.get("connections") or []
    if not isinstance(nodes, list) or not isinstance(connections, list):
        return ["nodes and connections must be lists"]
    errors, by_id = [], {}
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("id"), str) or not node["id"]:
            errors.append(f"node #{index} has no id")
            continue
        label = f"node {node.get('name')!r} ({node['id']})"
        if node["id"] in by_id:
            errors.append(f"{label}: duplicate node id")
        if node.get("type") not in NODE_TYPES:
            errors.append(f"{label}: unknown type {node.get('type')!r}; expected one of {NODE_TYPES}")
        by_id[node["id"]] = node
    for index, connection in enumerate(connections):
        errors.extend(_connection_errors(index, connection, by_id))
    for start in pipeline.get("startNodes") or []:
        if not isinstance(start, dict) or start.get("nodeId") not in by_id:
            errors.append(f"start node {start.get('nodeId') if isinstance(start, dict) else start!r} "
                          "is not a node of the pipeline")
    if not errors:
        cycle = find_cycle(by_id, connections)
        if cycle:
            errors.append("pipeline has a cycle: " + " -> ".join(repr(by_id[n].get("name") or n) for n in cycle))
    return errors


def _connection_errors(index: int, connection, by_id: dict) -> List[str]:
    if not isinstance(connection, dict):
        return [f"connection #{index} is not an object"]
    errors = []
    for end, ports_key in (("src", "outputs"), ("tgt", "inputs")):
        ref = connection.get(end) or {}
        node = by_id.get(ref.get("nodeId"))
        where = f"connection #{index} {end}"
        if node is None:
            errors.append(f"{where}: node {ref.get('nodeId')!r} does not exist (dangling connection)")
        elif ref.get("portId") not in [p.get("portId") for p in node.get(ports_key) or []]:
            errors.append(f"{where}: port {ref.get('portId')!r} is not an {ports_key[:-1]} port of node "
                          f"{node.get('name')!r}")
    condition = connection.get("condition")
    if condition:
        try:
            json.loads(condition) if isinstance(condition, str) else condition
        except ValueError:
            errors.append(f"connection #{index}: condition is not a JSON DQL filter")
    return errors


def find_cycle(by_id: dict, connections: list) -> Optional[List[str]]:
    """A list of node ids forming a cycle (first == last), or ``None``."""
    edges: Dict[str, List[str]] = {node_id: [] for node_id in by_id}
    for c in connections:
        edges[c["src"]["nodeId"]].append(c["tgt"]["nodeId"])
    state: Dict[str, int] = {}

    def visit(node_id: str, trail: List[str]) -> Optional[List[str]]:
        state[node_id] = 1
        for target in edges[node_id]:
            if state.get(target) == 1:
                return trail[trail.index(target):] + [node_id, target] if target in trail else [node_id, target]
            if target not in state:
                found = visit(target, trail + [node_id])
                if found:
                    return found
        state[node_id] = 2
        return None

    for node_id in by_id:
        if node_id not in state:
            found = visit(node_id, [])
            if found:
                return found
    return None


def check_graph(pipeline: dict) -> None:
    errors = graph_errors(pipeline)
    if errors:
        raise BadRequest("invalid pipeline: " + "; ".join(errors))


def start_node_ids(pipeline: dict) -> List[str]:
    """Root start nodes; without any, the nodes no connection leads to."""
    roots = [s["nodeId"] for s in pipeline.get("startNodes") or [] if s.get("type", "root") == "root"]
    if roots:
        return roots
    targets = {c["tgt"]["nodeId"] for c in pipeline.get("connections") or []}
    return [n["id"] for n in pipeline.get("nodes") or [] if n["id"] not in targets]


# -- execution -----------------------------------------------------------------------------------
class PipelineEngine:
    """Runs pipeline executions; one per emulator (``emulator.extensions["pipelines"]``)."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.store = emulator.store
        self._lock = threading.RLock()
        self._running: Dict[str, int] = {}
        self._waits: Dict[tuple, list] = {}  # (task id, item id) -> [(run, node, done)] of waiting task nodes
        self._recover()

    def _recover(self) -> None:
        """After a restart: executions waiting only in task nodes wait again, other unfinished ones fail."""
        for doc in self.store.list("pipeline_execution", where="json_extract(doc, '$.status') IN "
                                                               "('pending', 'in-progress', 'rerun')"):
            pipeline = self.store.find("pipeline", doc["pipelineId"])
            waits = _task_waits(doc, pipeline) if pipeline is not None else []
            if not waits:
                self.store.patch("pipeline_execution", doc["id"], {"status": "failed"})
                continue
            api_url = doc["url"].rsplit("/pipelines/", 1)[0]
            with self._lock:
                self._running[doc["id"]] = len(waits)
            for node, run in waits:
                self._wait(doc["id"], node, run, api_url, doc.get("creator") or "")

    def _wait(self, execution_id: str, node: dict, run: dict, api_url: str, creator: str) -> tuple:
        """Register ``run`` of task ``node`` as waiting for its item's status; returns the key and the wait."""
        def done(execution: dict) -> None:
            self._finished(execution_id, node, run["input"], execution, self._api_url(api_url), creator)
        key = ((node.get("metadata") or {}).get("taskId"), run["input"][_item_port(node)]["item_id"])
        wait = (run, node, done)
        with self._lock:
            self._waits.setdefault(key, []).append(wait)
        return key, wait

    def close(self) -> None:
        """Nothing to release: node runs belong to the FaaS runtime."""

    def _ctx(self, api_url: str, user: str):
        return SimpleNamespace(store=self.store, blobs=self.emulator.blobs, api_url=api_url, user=user,
                               emulator=self.emulator)

    # -- starting ------------------------------------------------------------------------------
    def start(self, pipeline: dict, inputs: Optional[dict], api_url: str, creator: str,
              node_id: Optional[str] = None, test_mode: bool = False, trigger_id: Optional[str] = None) -> dict:
        """Create a pipeline execution and start its first node(s); returns the execution document."""
        nodes = {n["id"]: n for n in pipeline.get("nodes") or []}
        if node_id is not None and node_id not in nodes:
            raise BadRequest(f"node {node_id!r} is not a node of pipeline {pipeline['id']}")
        starts = [node_id] if node_id else start_node_ids(pipeline)
        if not starts:
            raise BadRequest(f"pipeline {pipeline['name']!r} has no start node")
        if inputs is not None and not isinstance(inputs, dict):
            raise BadRequest("pipeline input must be an object of {input name: value}")
        execution_id = self.store.new_id()
        doc = {"id": execution_id, "pipelineId": pipeline["id"], "projectId": pipeline.get("projectId"),
               "url": f"{api_url}/pipelines/{pipeline['id']}/executions/{execution_id}", "status": "in-progress",
               "creator": creator, "testMode": bool(test_mode), "input": inputs or {}, "maxAttempts": 1,
               "triggerId": trigger_id,
               "nodes": [_node_state(n) for n in nodes.values()], "executions": {}}
        self.store.insert("pipeline_execution", doc, scope=pipeline["id"])
        self.run_from(doc, pipeline, {sid: dict(inputs or {}) for sid in starts}, api_url, creator)
        return self.store.get("pipeline_execution", execution_id)

    def run_from(self, doc: dict, pipeline: dict, node_inputs: Dict[str, dict], api_url: str, creator: str) -> None:
        """Run the given nodes of an existing execution with their inputs."""
        with self._lock:
            self._running[doc["id"]] = self._running.get(doc["id"], 0) + 1  # guard while dispatching
        try:
            nodes = {n["id"]: n for n in pipeline.get("nodes") or []}
            for node_id, inputs in node_inputs.items():
                self._dispatch(doc["id"], pipeline, nodes[node_id], self._resolve_inputs(nodes[node_id], inputs),
                               api_url, creator)
        finally:
            self._release(doc["id"])

    def _resolve_inputs(self, node: dict, inputs: dict) -> dict:
        """Item/Dataset ids given as strings become references; missing inputs take port defaults."""
        resolved = dict(inputs)
        for port in node.get("inputs") or []:
            name, value = port.get("name"), resolved.get(port.get("name"))
            if value is None and port.get("defaultValue") is not None:
                resolved[name] = port["defaultValue"]
            elif port.get("type") == "Item" and isinstance(value, str):
                item = self.store.find("item", value)
                resolved[name] = {"item_id": value, "dataset_id": item["datasetId"] if item else None}
            elif port.get("type") == "Dataset" and isinstance(value, str):
                resolved[name] = {"dataset_id": value}
        return resolved

    # -- node runs -------------------------------------------------------------------------------
    def _dispatch(self, execution_id: str, pipeline: dict, node: dict, inputs: dict, api_url: str,
                  creator: str) -> None:
        with self._lock:
            self._running[execution_id] = self._running.get(execution_id, 0) + 1
        self._set_node(execution_id, node["id"], "in-progress")

        def done(execution: dict) -> None:
            self._finished(execution_id, node, inputs, execution, api_url, creator)
        try:
            if node["type"] in ("code", "function"):
                service = self._service_of(pipeline, node)
                function_name = (node.get("namespace") or {}).get("functionName") or "run"
                started = self.faas.execute(service, function_name, inputs, creator, api_url,
                                            pipeline={"id": pipeline["id"], "nodeId": node["id"],
                                                      "executionId": execution_id}, on_done=done)
                self._record(execution_id, node["id"], started)
            elif node["type"] == "task":
                self._enter_task(execution_id, pipeline, node, inputs, api_url, creator)
            elif node["type"] == "storage":
                done(self._local_run(node, inputs, self._dataset_output(node, inputs, api_url, creator)))
            else:
                raise BadRequest(f"node {node.get('name')!r}: type {node['type']!r} cannot run in the emulator")
        except Exception as exc:  # the node fails, the pipeline execution records why
            if not isinstance(exc, BadRequest):
                logger.exception("pipeline node %s failed to start", node.get("id"))
            done(self._local_run(node, inputs, None, status="failed", message=getattr(exc, "message", str(exc))))

    def _api_url(self, stored: str) -> str:
        """The server's API root as the FaaS runtime last saw it in a request, else ``stored`` (from a document:
        stale when the emulator restarted on another port)."""
        return getattr(self.emulator.extensions.get("faas"), "api_url", None) or stored

    @property
    def faas(self):
        runtime = self.emulator.extensions.get("faas")
        if runtime is None:
            raise BadRequest("the FaaS runtime is not available in this emulator")
        return runtime

    def _service_of(self, pipeline: dict, node: dict) -> dict:
        from .resources._pipeline_nodes import code_service_name
        namespace = node.get("namespace") or {}
        project_id = node.get("projectId") or pipeline.get("projectId")
        name = code_service_name(pipeline["id"], node["id"]) if node["type"] == "code" else namespace.get(
            "serviceName")
        found = self.store.find_by("service", "name", name, scope=project_id) if name else []
        if not found:
            raise BadRequest(f"node {node.get('name')!r}: service {name!r} not found in project {project_id}"
                             + (" (install the pipeline first)" if node["type"] == "code" else ""))
        return found[0]

    def _local_run(self, node: dict, inputs: dict, output, action: Optional[list] = None,
                   status: str = "success", message: str = "") -> dict:
        stamp = now_iso()
        state = {"status": status, "percentComplete": 100, "message": message, "timestamp": stamp}
        return {"id": self.store.new_id(), "functionName": (node.get("namespace") or {}).get("functionName"),
                "input": inputs, "output": output, "latestStatus": state, "status": [state], "createdAt": stamp,
                "updatedAt": stamp, "pipeline": {"nodeId": node["id"]}, "action": (action or [None])[0]}

    # -- task nodes ------------------------------------------------------------------------------
    def _enter_task(self, execution_id: str, pipeline: dict, node: dict, inputs: dict, api_url: str,
                    creator: str) -> None:
        """Add the item to the node's task (:func:`tasks.add_item`); the run ends when the item gets a status
        there (:meth:`on_event`)."""
        from .resources import tasks
        from .resources._pipeline_nodes import task_workload
        label = f"node {node.get('name')!r}"
        task_id = (node.get("metadata") or {}).get("taskId")
        if not task_id:
            raise BadRequest(f"{label}: the node has no task (install the pipeline first)")
        item_ref = inputs.get(_item_port(node))
        item = self.store.find("item", item_ref.get("item_id") or "") if isinstance(item_ref, dict) else None
        if item is None:
            raise BadRequest(f"{label}: input item not found: {item_ref!r}")
        run = self._local_run(node, inputs, None, status="in-progress")
        key, wait = self._wait(execution_id, node, run, api_url, creator)
        ctx = self._ctx(api_url, creator)
        try:
            with self.store.transaction():
                task = self.store.find("task", task_id)
                if task is None:
                    raise BadRequest(f"{label}: task {task_id} no longer exists")
                item = self.store.get("item", item["id"], "Item")
                if item["datasetId"] != task["datasetId"]:
                    raise BadRequest(f"{label}: item {item['id']} is not in the dataset of task {task_id}")
                task = tasks.add_item(ctx, task, item, tasks.parse_workload(task_workload(pipeline, node)))
        except Exception:
            with self._lock:
                self._waits[key].remove(wait)
                if not self._waits[key]:
                    del self._waits[key]
            raise
        self._record(execution_id, node["id"], run)
        tasks.emit(ctx, "Task", "Updated", task)

    def on_event(self, resource: str, action: str, doc: dict) -> None:
        """An item's new status in a task continues the pipeline executions waiting for it in task nodes, along
        the connections of the matching action."""
        if resource != "ItemStatus" or action != "statusChanged":
            return
        from .resources.tasks import status_of
        ready = []
        with self._lock:
            for task_id, item_id in list(self._waits):
                status = status_of(doc, task_id) if item_id == doc.get("id") else None
                if status is not None:
                    ready.extend((status, wait) for wait in self._waits.pop((task_id, item_id)))
        for status, (run, node, done) in ready:
            state = {"status": "success", "percentComplete": 100, "message": f"item status: {status}",
                     "timestamp": now_iso()}
            done({**run, "output": run["input"].get(_item_port(node)), "latestStatus": state, "status": run["status"] + [state],
                  "updatedAt": state["timestamp"], "action": action_of(status, node_actions(node))})

    # -- triggers --------------------------------------------------------------------------------
    def fire_trigger(self, trigger: dict, resource: Optional[str] = None, action: Optional[str] = None,
                     doc: Optional[dict] = None) -> Optional[dict]:
        """Start an execution of the trigger's pipeline at its node, the event's entity as the node's input
        (called by the FaaS trigger dispatcher for ``{"type": "pipeline"}`` operations)."""
        from .faas.dispatch import RESOURCE_INPUT_TYPE
        spec = trigger.get("spec") or {}
        operation = spec.get("operation") or {}
        pipeline = self.store.find("pipeline", operation.get("id") or "")
        if pipeline is None or pipeline.get("status") != "Installed":
            return None
        node = next((n for n in pipeline.get("nodes") or [] if n["id"] == operation.get("nodeId")), None)
        if node is None:
            logger.warning("trigger %s names a node its pipeline does not have", trigger["id"])
            return None
        inputs = dict(spec.get("input") or {})
        if doc is not None:
            ports = node.get("inputs") or []
            port = next((p for p in ports if p.get("type") == RESOURCE_INPUT_TYPE.get(resource)), None) or \
                next(iter(ports), None)
            if port is not None:
                inputs[port["name"]] = doc.get("id")
        api_url = self._api_url((trigger.get("url") or "").rsplit("/triggers/", 1)[0])
        try:
            return self.start(pipeline, inputs, api_url, trigger.get("creator") or "", node_id=node["id"],
                              trigger_id=trigger["id"])
        except EmulatorError as exc:
            logger.warning("trigger %s could not start pipeline %s: %s", trigger["id"], pipeline["id"], exc.message)
            return None

    def _dataset_output(self, node: dict, inputs: dict, api_url: str, creator: str) -> dict:
        from .resources import _item_docs as item_docs
        item_ref = inputs.get("item") or {}
        item = self.store.find("item", item_ref.get("item_id")) if isinstance(item_ref, dict) else None
        if item is None:
            raise BadRequest(f"node {node.get('name')!r}: input item not found: {item_ref!r}")
        target_id = (node.get("metadata") or {}).get("datasetId")
        if not target_id or item["datasetId"] == target_id:
            return {"item_id": item["id"], "dataset_id": item["datasetId"]}
        ctx = self._ctx(api_url, creator)
        with self.store.transaction():
            dataset = self.store.get("dataset", target_id, "Dataset")
            folder = (node.get("metadata") or {}).get("dir") or item.get("dir") or "/"
            filename = posixpath.join(folder, item["name"])
            copy = item_docs.find_by_filename(ctx, target_id, filename)
            if copy is None:
                item_docs.ensure_dirs(ctx, dataset, folder)
                copy = item_docs.new_doc(ctx, dataset, filename, "file", item["metadata"].get("system"))
                copy["metadata"] = json.loads(json.dumps({**item["metadata"], "system": copy["metadata"]["system"]}))
                copy["srcItem"] = item["id"]
                if self.emulator.blobs.exists(item["id"]):
                    with open(self.emulator.blobs.path(item["id"]), "rb") as handle:
                        self.emulator.blobs.write(copy["id"], handle.read())
                self.store.insert("item", copy, scope=target_id)
        return {"item_id": copy["id"], "dataset_id": target_id}

    def _finished(self, execution_id: str, node: dict, inputs: dict, execution: dict, api_url: str,
                  creator: str) -> None:
        try:
            status = (execution.get("latestStatus") or {}).get("status")
            self._record(execution_id, node["id"], execution)
            self._set_node(execution_id, node["id"], "success" if status == "success" else "failed")
            if status == "success":
                pipeline = self.store.find("pipeline", self._pipeline_id(execution_id))
                if pipeline is not None:
                    outputs = node_outputs(node, inputs, execution.get("output"))
                    for target, target_inputs in self._route(pipeline, node, outputs, execution.get("action")):
                        self._dispatch(execution_id, pipeline, target, target_inputs, api_url, creator)
        finally:
            self._release(execution_id)

    def _route(self, pipeline: dict, node: dict, outputs: dict, action: Optional[str]):
        nodes = {n["id"]: n for n in pipeline.get("nodes") or []}
        ports = {p["portId"]: p["name"] for p in node.get("outputs") or []}
        for connection in pipeline.get("connections") or []:
            if connection["src"]["nodeId"] != node["id"] or connection["tgt"]["nodeId"] not in nodes:
                continue
            value = outputs.get(ports.get(connection["src"]["portId"]))
            if value is None or (connection.get("action") and action and connection["action"] != action):
                continue
            if connection.get("condition") and not self._condition_holds(connection["condition"], value):
                continue
            target = nodes[connection["tgt"]["nodeId"]]
            port = next(p for p in target.get("inputs") or [] if p["portId"] == connection["tgt"]["portId"])
            yield target, {port["name"]: value}

    def _condition_holds(self, condition, value) -> bool:
        query = json.loads(condition) if isinstance(condition, str) else condition
        if not query:
            return True
        item = self.store.find("item", value.get("item_id")) if isinstance(value, dict) else None
        return item is not None and dql.matches(item, query)

    # -- bookkeeping -----------------------------------------------------------------------------
    def _pipeline_id(self, execution_id: str) -> Optional[str]:
        doc = self.store.find("pipeline_execution", execution_id)
        return doc["pipelineId"] if doc else None

    def _record(self, execution_id: str, node_id: str, execution: Optional[dict]) -> None:
        if not execution or not execution.get("id"):
            return
        with self.store.transaction():
            doc = self.store.find("pipeline_execution", execution_id)
            if doc is None:
                return
            runs = doc.setdefault("executions", {}).setdefault(node_id, [])
            known = next((i for i, run in enumerate(runs) if run.get("id") == execution["id"]), None)
            if known is None:
                runs.append(execution)
            elif _status(runs[known]) not in TERMINAL:  # never overwrite a final record with an earlier one
                runs[known] = execution
            self.store.replace("pipeline_execution", doc)

    def _set_node(self, execution_id: str, node_id: str, status: str) -> None:
        with self.store.transaction():
            doc = self.store.find("pipeline_execution", execution_id)
            if doc is None:
                return
            for state in doc["nodes"]:
                if state["id"] == node_id and not (state["status"] == "failed" and status != "failed"):
                    state["status"] = status
            self.store.replace("pipeline_execution", doc)

    def _release(self, execution_id: str) -> None:
        with self._lock:
            self._running[execution_id] -= 1
            if self._running[execution_id] > 0:
                return
            del self._running[execution_id]
        with self.store.transaction():
            doc = self.store.find("pipeline_execution", execution_id)
            if doc is None or self.is_running(execution_id):  # a rerun started meanwhile
                return
            failed = any(s["status"] == "failed" for s in doc["nodes"])
            doc["status"] = "failed" if failed else "success"
            self.store.replace("pipeline_execution", doc)

    def is_running(self, execution_id: str) -> bool:
        with self._lock:
            return execution_id in self._running


def node_outputs(node: dict, inputs: dict, output) -> Dict[str, object]:
    """The value on each output port: a dict keyed by port names spreads; one port takes the whole output;
    a function that returned nothing passes its same-named input through."""
    ports = [p["name"] for p in node.get("outputs") or []]
    if isinstance(output, dict) and len(ports) > 1:
        return {name: output.get(name, inputs.get(name)) for name in ports}
    if len(ports) == 1:
        return {ports[0]: output if output is not None else inputs.get(ports[0])}
    return {}


def _task_waits(doc: dict, pipeline: dict) -> list:
    """``[(node, run)]`` of an unfinished execution whose only unfinished work is task nodes waiting for an item
    status (their in-progress runs); ``[]`` when anything else was running."""
    nodes = {n["id"]: n for n in pipeline.get("nodes") or []}
    waits = [(nodes.get(node_id), run) for node_id, runs in (doc.get("executions") or {}).items() for run in runs
             if _status(run) not in TERMINAL]
    busy = {state["id"] for state in doc.get("nodes") or [] if state.get("status") == "in-progress"}
    if not waits or any(node is None or node.get("type") != "task" for node, _ in waits) or \
            busy != {node["id"] for node, _ in waits}:
        return []
    return waits


def _node_state(node: dict) -> dict:
    return {"id": node["id"], "name": node.get("name"), "namespace": node.get("namespace"), "type": node.get("type"),
            "status": "pending", "ports": (node.get("inputs") or []) + (node.get("outputs") or []),
            "metadata": node.get("metadata") or {}, "projectId": node.get("projectId")}


def node_actions(node: dict) -> list:
    """The actions of a node's output ports (a task node's ``complete``, ``discard``, ...)."""
    return [a for port in node.get("outputs") or [] for a in port.get("actions") or []]


def _item_port(node: dict) -> str:
    return next((p["name"] for p in node.get("inputs") or [] if p.get("type") == "Item"), "item")


def action_of(status: str, actions: list) -> str:
    """The node action an item status stands for: ``completed`` -> ``complete``, ``approved`` -> ``approve``."""
    return next((a for a in actions if status in (a, a + "d", a + "ed")), status)


def _status(execution: dict) -> Optional[str]:
    return (execution.get("latestStatus") or {}).get("status")
