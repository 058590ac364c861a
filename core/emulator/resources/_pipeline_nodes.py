"""What installing a pipeline sets up for its nodes, and undoes on pause or delete.

* code nodes: their inline code becomes a package + service the FaaS runtime runs (hidden from package lists),
  running as a project bot like any service;
* function nodes: must name a deployed service of the project;
* task nodes: get a task (``metadata.taskId``) that the pipeline engine adds items to;
* start nodes with a ``trigger`` (``Triggers.create(pipeline=...)`` / ``node.add_trigger``): get a trigger
  document whose operation is ``{"type": "pipeline", "id", "nodeId"}``; the FaaS dispatcher hands its firings
  to ``PipelineEngine.fire_trigger``. Pausing deactivates them (unless ``keepTriggersActive``).
"""
from __future__ import annotations

import hashlib
import json

from ..errors import BadRequest
from ..pipeline_engine import node_actions
from .bots import service_bot
from .datasets import get_dataset
from .packages import find_package, insert_package, store_codebase_zip
from .tasks import create_empty, emit
from .triggers import check_spec

# a task node's output action -> the item status that takes it (the platform's task statuses)
ACTION_STATUS = {"complete": "completed", "approve": "approved"}


def _hashed(prefix: str, pipeline_id: str, node_id: str) -> str:
    return prefix + hashlib.md5(f"{pipeline_id}:{node_id}".encode()).hexdigest()[:12]


def code_service_name(pipeline_id: str, node_id: str) -> str:
    """The service (and package) running a code node: stable per pipeline and node."""
    return _hashed("pipeline-code-", pipeline_id, node_id)


def install_nodes(ctx, pipeline: dict, triggers: bool = True) -> None:
    """Check and set up every node (and, with ``triggers``, every start-node trigger) of ``pipeline``; its
    ``nodes`` may gain task ids: the caller stores the document."""
    for node in pipeline.get("nodes") or []:
        if node.get("type") == "function":
            _check_function_node(ctx, pipeline, node)
        elif node.get("type") == "code":
            _install_code_node(ctx, pipeline, node)
        elif node.get("type") == "task":
            _install_task_node(ctx, pipeline, node)
    if triggers:
        _install_triggers(ctx, pipeline)
    runtime = ctx.emulator.extensions.get("faas")
    for service in code_services(ctx, pipeline["id"]) if runtime is not None else []:
        runtime.service_updated(service)


def _project_of(pipeline: dict, node: dict) -> str:
    return node.get("projectId") or pipeline["projectId"]


def _label(node: dict) -> str:
    return f"node {node.get('name')!r}"


# -- code and function nodes -----------------------------------------------------------------------
def _check_function_node(ctx, pipeline: dict, node: dict) -> None:
    service, project_id = (node.get("namespace") or {}).get("serviceName"), _project_of(pipeline, node)
    if not service or not ctx.store.find_by("service", "name", service, scope=project_id):
        raise BadRequest(f"{_label(node)}: service {service!r} not found in project {project_id}")


def _install_code_node(ctx, pipeline: dict, node: dict) -> None:
    code = ((node.get("config") or {}).get("package") or {}).get("code")
    if not isinstance(code, str) or not code.strip():
        raise BadRequest(f"{_label(node)}: code node without config.package.code")
    project_id, name = _project_of(pipeline, node), code_service_name(pipeline["id"], node["id"])
    function = {"name": (node.get("namespace") or {}).get("functionName") or "run",
                "input": [{"name": p["name"], "type": p["type"]} for p in node.get("inputs") or []],
                "output": [{"name": p["name"], "type": p["type"]} for p in node.get("outputs") or []]}
    module = {"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
              "initInputs": [], "functions": [function]}
    zip_item = store_codebase_zip(ctx, project_id, name, {"main.py": code})
    codebase = {"type": "item", "itemId": zip_item["id"]}
    with ctx.store.transaction():
        package = find_package(ctx, project_id, name)
        if package is None:
            package = insert_package(ctx, {"name": name, "modules": [module], "codebase": codebase,
                                           "metadata": {"system": _owner(pipeline, node)}}, project_id)
        elif package.get("codebase") != codebase or package.get("modules") != [module]:
            package.update(codebase=codebase, modules=[module])
            ctx.store.replace("package", package)
        if not ctx.store.find_by("service", "name", name, scope=project_id):
            ctx.store.insert("service", _code_service(ctx, name, package, pipeline, node), scope=project_id)


def _owner(pipeline: dict, node: dict) -> dict:
    return {"pipelineId": pipeline["id"], "nodeId": node["id"]}


def _code_service(ctx, name: str, package: dict, pipeline: dict, node: dict) -> dict:
    service_id = ctx.store.new_id()
    return {"id": service_id, "name": name, "url": f"{ctx.api_url}/services/{service_id}", "creator": ctx.user,
            "updatedBy": ctx.user, "projectId": package["projectId"], "orgId": pipeline.get("orgId"),
            "botUserName": service_bot(ctx, ctx.store.get("project", package["projectId"], "Project"))["email"],
            "scope": "project", "crashloop": False,
            "queueLengthLimit": None, "driverId": None, "packageId": package["id"],
            "packageRevision": package["version"],
            "version": "1.0.0", "moduleName": "default_module", "initParams": {}, "active": True,
            "runtime": {"podType": "regular-xs", "numReplicas": 1, "concurrency": 1, "autoscaler": None},
            "versions": {}, "executionTimeout": 3600, "drainTime": 600, "onReset": "failed", "maxAttempts": 1,
            "runExecutionAsProcess": False, "type": "regular", "global": False, "secrets": [], "integrations": [],
            "useUserJwt": False, "mode": {}, "config": {}, "archive": False,
            "metadata": {"system": _owner(pipeline, node)}}


def code_services(ctx, pipeline_id: str) -> list:
    return ctx.store.find_by("service", "metadata.system.pipelineId", pipeline_id)


# -- task nodes ------------------------------------------------------------------------------------
def task_workload(pipeline: dict, node: dict) -> list:
    """The node's workload; without one, everything goes to the task owner (the pipeline's creator)."""
    metadata = node.get("metadata") or {}
    owner = metadata.get("taskOwner") or pipeline.get("creator")
    return metadata.get("workload") or [{"assigneeId": owner, "load": 100}]


def _install_task_node(ctx, pipeline: dict, node: dict) -> None:
    metadata = node.setdefault("metadata", {})
    if metadata.get("taskId") and ctx.store.find("task", metadata["taskId"]) is not None:
        return
    if not metadata.get("datasetId"):
        raise BadRequest(f"{_label(node)}: task node without metadata.datasetId")
    dataset = get_dataset(ctx, metadata["datasetId"])
    actions = [ACTION_STATUS.get(a, a) for a in node_actions(node)] or ["completed", "discard"]
    body = {"name": metadata.get("taskName") or f"{pipeline['name']} {node.get('name') or node['id']}",
            "datasetId": dataset["id"], "recipeId": metadata.get("recipeId"), "dueDate": metadata.get("dueDate"),
            "taskOwner": metadata.get("taskOwner"), "priority": metadata.get("priority", 2),
            "workload": task_workload(pipeline, node), "spec": {"type": "annotation"},
            "availableActions": [{"action": a, "displayName": a.capitalize(), "color": "#FFFFFF"} for a in actions],
            "metadata": {"system": _owner(pipeline, node)}}
    try:
        task = create_empty(ctx, body, dataset)
    except BadRequest as exc:
        raise BadRequest(f"{_label(node)}: {exc.message}") from None
    metadata["taskId"] = task["id"]
    emit(ctx, "Task", "Created", task)


# -- start-node triggers ---------------------------------------------------------------------------
def pipeline_triggers(ctx, pipeline_id: str) -> list:
    return ctx.store.find_by("trigger", "metadata.system.pipelineId", pipeline_id)


def _install_triggers(ctx, pipeline: dict) -> None:
    wanted = {start["nodeId"]: start["trigger"] for start in pipeline.get("startNodes") or []
              if isinstance(start, dict) and isinstance(start.get("trigger"), dict)}
    existing = {t["metadata"]["system"]["nodeId"]: t for t in pipeline_triggers(ctx, pipeline["id"])}
    for node_id, trigger in existing.items():
        if node_id not in wanted:
            ctx.store.delete("trigger", trigger["id"])
    for node_id, definition in wanted.items():
        trigger_type = definition.get("type") or "Event"
        if trigger_type not in ("Event", "Cron"):
            raise BadRequest(f"start node {node_id}: trigger type must be 'Event' or 'Cron', got {trigger_type!r}")
        spec = dict(definition.get("spec") or {})
        if isinstance(spec.get("filter"), str):  # the SDK sends a node trigger's filter as a JSON string
            try:
                spec["filter"] = json.loads(spec["filter"]) if spec["filter"].strip() else {}
            except ValueError:
                raise BadRequest(f"start node {node_id}: trigger filter is not valid JSON") from None
        spec["operation"] = {"type": "pipeline", "id": pipeline["id"], "nodeId": node_id}
        try:
            spec = check_spec(ctx, trigger_type, spec)
        except BadRequest as exc:
            raise BadRequest(f"start node {node_id}: {exc.message}") from None
        doc = existing.get(node_id)
        if doc is None:
            trigger_id = ctx.store.new_id()
            doc = {"id": trigger_id, "url": f"{ctx.api_url}/triggers/{trigger_id}",
                   "name": _hashed("pipeline-trigger-", pipeline["id"], node_id), "projectId": pipeline["projectId"],
                   "orgId": pipeline.get("orgId"), "creator": ctx.user, "scope": "project", "global": False,
                   "special": False, "locked": False, "appPaused": False,
                   "metadata": {"system": {"pipelineId": pipeline["id"], "nodeId": node_id}}}
        doc.update(type=trigger_type, spec=spec, active=True, updatedBy=ctx.user)
        if node_id in existing:
            ctx.store.replace("trigger", doc)
        else:
            ctx.store.insert("trigger", doc, scope=pipeline["projectId"])


def pause_triggers(ctx, pipeline: dict) -> None:
    """Deactivate the pipeline's triggers unless its settings keep them active."""
    if (pipeline.get("settings") or {}).get("keepTriggersActive"):
        return
    for trigger in pipeline_triggers(ctx, pipeline["id"]):
        trigger["active"] = False
        ctx.store.replace("trigger", trigger)


def remove_nodes(ctx, pipeline_id: str) -> list:
    """Delete the code-node packages and services and the triggers of a pipeline; returns the services."""
    services = code_services(ctx, pipeline_id)
    for service in services:
        ctx.store.delete("service", service["id"])
        ctx.store.delete_where("package", "id=?", (service["packageId"],))
    for trigger in pipeline_triggers(ctx, pipeline_id):
        ctx.store.delete("trigger", trigger["id"])
    return services
