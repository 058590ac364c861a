"""Pipelines (wire §3.18, §3.19, §7.3): CRUD, DQL query (pipelines and pipeline executions), install/uninstall,
reset, statistics, execute (single and batch), rerun and validation. Runs happen in :mod:`..pipeline_engine`."""
from __future__ import annotations

from .. import dql
from ..errors import BadRequest, NotFound
from ..ids import is_object_id, now_iso
from ..pipeline_engine import PipelineEngine, check_graph, graph_errors, start_node_ids
from ..routing import LIST, OBJECT, STRING, Route, nullable
from ._pipeline_nodes import install_nodes, pause_triggers, remove_nodes
from .projects import get_project, project_role

EDITABLE = ("name", "nodes", "connections", "startNodes", "variables", "settings", "description", "preview")
UPDATE_SHAPE = {"name": STRING, "nodes": LIST, "connections": LIST, "startNodes": LIST, "variables": nullable(LIST),
                "settings": OBJECT, "description": nullable(STRING)}
RESUME_OPTIONS = ("terminateExistingCycles", "resumeExistingCycles")
RERUN_METHODS = ("startFromNodes", "startFromFailedExecutions", "startFromBeginning")


def setup(emulator) -> None:
    pipelines = emulator.extensions["pipelines"] = PipelineEngine(emulator)
    emulator.events.subscribe(pipelines.on_event)


def engine(ctx) -> PipelineEngine:
    return ctx.emulator.extensions["pipelines"]


def get_pipeline(ctx, pipeline_id: str) -> dict:
    if not is_object_id(pipeline_id):
        raise BadRequest(f"invalid pipeline id: {pipeline_id!r}")
    doc = ctx.store.get("pipeline", pipeline_id, "Pipeline")
    get_project(ctx, doc["projectId"])
    return doc


def _check_name(ctx, name, project_id: str, pipeline_id: str = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("pipeline name must be a non-empty string")
    if any(p["id"] != pipeline_id for p in ctx.store.find_by("pipeline", "name", name, scope=project_id)):
        raise BadRequest(f"Pipeline with name {name!r} already exists in project {project_id}")
    return name


def _variables(ctx, variables, pipeline_id: str) -> list:
    if not isinstance(variables, list) or not all(isinstance(v, dict) and v.get("name") for v in variables):
        raise BadRequest("variables must be a list of objects with a name")
    stamp = now_iso()
    return [{"id": v.get("id") or ctx.store.new_id(), "reference": v.get("reference") or pipeline_id,
             "creator": v.get("creator") or ctx.user, "createdAt": v.get("createdAt") or stamp, "updatedAt": stamp,
             **{k: v.get(k) for k in ("name", "type", "value", "description")}} for v in variables]


# -- CRUD --------------------------------------------------------------------------------------------
def create(ctx):
    body = ctx.json_object()
    project = get_project(ctx, body.get("projectId") or "")
    pipeline_id = ctx.store.new_id()
    doc = {"id": pipeline_id, "name": body.get("name"), "projectId": project["id"], "orgId": project["org"]["id"],
           "creator": ctx.user, "updatedBy": ctx.user, "url": f"{ctx.api_url}/pipelines/{pipeline_id}",
           "status": "Created", "compositionId": None, "nodes": body.get("nodes") or [],
           "connections": body.get("connections") or [], "startNodes": body.get("startNodes") or [],
           "variables": [], "settings": body.get("settings") or {}, "description": body.get("description"),
           "preview": body.get("preview"), "resetAt": None, "revisions": []}
    doc["variables"] = _variables(ctx, body.get("variables") or [], pipeline_id)
    check_graph(doc)
    with ctx.store.transaction():
        _check_name(ctx, doc["name"], project["id"])
        ctx.store.insert("pipeline", doc, scope=project["id"])
    return doc


def get_one(ctx, pipeline_id):
    return get_pipeline(ctx, pipeline_id)


def update(ctx, pipeline_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_pipeline(ctx, pipeline_id)
        if set(body) <= {"settings"}:  # update_settings
            if not isinstance(body.get("settings"), dict):
                raise BadRequest("settings must be an object")
            doc["settings"] = {**(doc.get("settings") or {}), **body["settings"]}
        else:
            for key in EDITABLE:
                if key in body:
                    doc[key] = body[key]
            _check_name(ctx, doc["name"], doc["projectId"], pipeline_id)
            doc["variables"] = _variables(ctx, doc.get("variables") or [], pipeline_id)
            check_graph(doc)
        doc["updatedBy"] = ctx.user
        if doc["status"] == "Installed" and ("nodes" in body or "startNodes" in body):
            install_nodes(ctx, doc)
        ctx.store.replace("pipeline", doc)
    return doc


def update_variables(ctx, pipeline_id):
    body = ctx.json_object()
    with ctx.store.transaction():
        doc = get_pipeline(ctx, pipeline_id)
        doc["variables"] = _variables(ctx, body.get("variables"), pipeline_id)
        ctx.store.replace("pipeline", doc)
    return doc


def delete(ctx, pipeline_id):
    with ctx.store.transaction():
        get_pipeline(ctx, pipeline_id)
        services = remove_nodes(ctx, pipeline_id)
        ctx.store.delete_where("pipeline_execution", "scope=?", (pipeline_id,))
        ctx.store.delete("pipeline", pipeline_id)
    runtime = ctx.emulator.extensions.get("faas")
    for service in services if runtime else []:
        runtime.service_deleted(service["id"])
    return True


def query(ctx):
    """``resource: pipeline`` lists pipelines, ``resource: pipelineState`` pipeline executions."""
    body = ctx.json_object()
    resource = body.get("resource", "pipeline")
    projects = [p["id"] for p in ctx.store.list("project") if project_role(p, ctx.user)]
    if not projects:
        return dql.envelope([], 0, 0, 0)
    marks = ",".join("?" * len(projects))
    if resource == "pipeline":
        return dql.query(ctx.store, "pipeline", body, scope=projects)
    if resource == "pipelineState":
        return dql.query(ctx.store, "pipeline_execution", body,
                         where=f"json_extract(d.doc, '$.projectId') IN ({marks})", params=tuple(projects))
    raise BadRequest(f"unknown resource {resource!r} for /pipelines/query; expected 'pipeline' or 'pipelineState'")


def validate(ctx):
    body = ctx.json_object()
    errors = graph_errors(body)
    return {"valid": not errors, "errors": errors}


# -- lifecycle ---------------------------------------------------------------------------------------
def install(ctx, pipeline_id):
    body = ctx.json_object()
    if body.get("resumeOption") not in (None,) + RESUME_OPTIONS:
        raise BadRequest(f"resumeOption must be one of {RESUME_OPTIONS}, got {body['resumeOption']!r}")
    with ctx.store.transaction():
        doc = get_pipeline(ctx, pipeline_id)
        check_graph(doc)
        if not doc.get("nodes"):
            raise BadRequest(f"pipeline {doc['name']!r} has no nodes")
        if not start_node_ids(doc):
            raise BadRequest(f"pipeline {doc['name']!r} has no start node")
        install_nodes(ctx, doc)
        doc.update(status="Installed", installedAt=now_iso(), updatedBy=ctx.user)
        ctx.store.replace("pipeline", doc)
    return doc


def uninstall(ctx, pipeline_id):
    body = ctx.json_object()
    with ctx.store.transaction():
        doc = get_pipeline(ctx, pipeline_id)
        doc["status"] = "Uninstalled"
        if body.get("keepTriggersActive") is not None:
            doc.setdefault("settings", {})["keepTriggersActive"] = bool(body["keepTriggersActive"])
        pause_triggers(ctx, doc)
        ctx.store.replace("pipeline", doc)
    return doc


def reset(ctx, pipeline_id):
    """Counters restart from now (earlier pipeline executions stay readable)."""
    with ctx.store.transaction():
        doc = get_pipeline(ctx, pipeline_id)
        doc["resetAt"] = now_iso()
        ctx.store.replace("pipeline", doc)
    return True


def statistics(ctx, pipeline_id):
    doc = get_pipeline(ctx, pipeline_id)
    runs = [r for r in ctx.store.list("pipeline_execution", scope=pipeline_id)
            if not doc.get("resetAt") or r["createdAt"] >= doc["resetAt"]]
    pipeline_counts, node_counts = {}, {}
    for run in runs:
        pipeline_counts[run["status"]] = pipeline_counts.get(run["status"], 0) + 1
        for node in run["nodes"]:
            if node["status"] != "pending":
                counts = node_counts.setdefault(node["id"], {})
                counts[node["status"]] = counts.get(node["status"], 0) + 1
    return {"pipelineExecutionCounters": [{"status": s, "count": c} for s, c in sorted(pipeline_counts.items())],
            "nodeExecutionsCounters": [{"nodeId": n, "statusCount": [{"status": s, "count": c}
                                                                      for s, c in sorted(counts.items())]}
                                       for n, counts in node_counts.items()],
            "pipelineExecutionStatistics": {"avgTimePerExecution": None, "avgExecutionsPerDay": len(runs)},
            "nodeExecutionStatistics": [{"nodeId": n, "executionStatistics": {}} for n in node_counts]}


# -- executions --------------------------------------------------------------------------------------
def execute(ctx, pipeline_id):
    body = ctx.json_object()
    doc = get_pipeline(ctx, pipeline_id)
    if "batch" in body:
        return _execute_batch(ctx, doc, body)
    options = body.get("pipeline") or {}
    if not isinstance(options, dict):
        raise BadRequest("'pipeline' must be an object of execution options")
    _ready(ctx, doc, test_mode=bool(options.get("testMode")))
    return engine(ctx).start(doc, options.get("input"), ctx.api_url, ctx.user, node_id=options.get("nodeId"),
                             test_mode=bool(options.get("testMode")))


def _ready(ctx, doc: dict, test_mode: bool) -> None:
    if doc["status"] == "Installed":
        return
    if not test_mode:
        raise BadRequest(f"pipeline {doc['name']!r} is not installed (status {doc['status']!r}): install it first")
    check_graph(doc)
    with ctx.store.transaction():
        install_nodes(ctx, doc, triggers=False)
        ctx.store.replace("pipeline", doc)


def _execute_batch(ctx, doc: dict, body: dict):
    batch = body.get("batch") or {}
    query_body = batch.get("query")
    if not isinstance(query_body, dict):
        raise BadRequest("batch.query must be a DQL body selecting items")
    _ready(ctx, doc, test_mode=False)
    datasets = (query_body.get("context") or {}).get("datasets") or [
        d["id"] for d in ctx.store.list("dataset", scope=doc["projectId"])]
    node_id = body.get("nodeId")
    start = next((n for n in doc["nodes"] if n["id"] == (node_id or start_node_ids(doc)[0])), None)
    if start is None:
        raise BadRequest(f"node {node_id!r} is not a node of pipeline {doc['id']}")
    port = next((p["name"] for p in start.get("inputs") or [] if p.get("type") == "Item"), "item")
    api_url, user, args = ctx.api_url, ctx.user, batch.get("args") or {}

    def work(progress):
        items = [i for d in datasets for i in dql.select(ctx.store, "item", query_body.get("filter") or {}, scope=d)
                 if i.get("type") == "file"]
        ids = []
        for index, item in enumerate(items):
            ids.append(engine(ctx).start(doc, {**args, port: item["id"]}, api_url, user, node_id=node_id)["id"])
            progress(100 * (index + 1) // max(len(items), 1))
        return {"pipelineId": doc["id"], "pipelineExecutionIds": ids}
    return ctx.commands.submit(ctx.api_url, "pipelineExecuteBatch", {"pipelineId": doc["id"]}, work, ctx.user)


def get_execution(ctx, pipeline_id, execution_id):
    get_pipeline(ctx, pipeline_id)
    if not is_object_id(execution_id):
        raise BadRequest(f"invalid pipeline execution id: {execution_id!r}")
    doc = ctx.store.find("pipeline_execution", execution_id)
    if doc is None or doc["pipelineId"] != pipeline_id:
        raise NotFound(f"Pipeline execution not found: {execution_id}")
    return doc


def rerun(ctx, pipeline_id):
    body = ctx.json_object()
    doc = get_pipeline(ctx, pipeline_id)
    options = body.get("pipeline") or {}
    method = options.get("method") or "startFromBeginning"
    if method not in RERUN_METHODS:
        raise BadRequest(f"method must be one of {RERUN_METHODS}, got {method!r}")
    start_ids = options.get("startNodeIds") or []
    unknown = [n for n in start_ids if n not in {node["id"] for node in doc["nodes"]}]
    if unknown or (method == "startFromNodes" and not start_ids):
        raise BadRequest(f"startNodeIds must name nodes of the pipeline (unknown: {unknown})")
    _ready(ctx, doc, test_mode=False)
    query_filter = ((body.get("batch") or {}).get("query") or {}).get("filter") or {}
    runs = list(dql.select(ctx.store, "pipeline_execution", query_filter, scope=pipeline_id))
    api_url, user = ctx.api_url, ctx.user

    def work(progress):
        for run in runs:
            _rerun_one(ctx, doc, run, method, start_ids, api_url, user)
        return {"cycleOptions": {"method": method, "startNodeIds": start_ids,
                                 "pipelineExecutionIds": [r["id"] for r in runs]}}
    return ctx.commands.submit(ctx.api_url, "pipelineRerunCycles", {"pipelineId": pipeline_id}, work, ctx.user)


def _rerun_one(ctx, pipeline: dict, run: dict, method: str, start_ids: list, api_url: str, user: str) -> None:
    if engine(ctx).is_running(run["id"]):
        return
    last_input = {n: (runs[-1].get("input") or {}) for n, runs in (run.get("executions") or {}).items() if runs}
    if method == "startFromBeginning":
        targets = {n: dict(run.get("input") or {}) for n in start_node_ids(pipeline)}
    elif method == "startFromFailedExecutions":
        targets = {s["id"]: last_input.get(s["id"], {}) for s in run["nodes"] if s["status"] == "failed"}
    else:
        targets = {n: last_input.get(n, run.get("input") or {}) for n in start_ids}
    if not targets:
        return
    with ctx.store.transaction():
        fresh = ctx.store.get("pipeline_execution", run["id"])
        for state in fresh["nodes"]:
            if method == "startFromBeginning" or state["id"] in targets:
                state["status"] = "pending"
        if method == "startFromBeginning":
            fresh["executions"] = {}
        fresh["status"] = "in-progress"
        ctx.store.replace("pipeline_execution", fresh)
    engine(ctx).run_from(fresh, pipeline, targets, api_url, user)


ROUTES = [
    Route("POST", "/pipelines", create),
    Route("POST", "/pipelines/query", query),
    Route("POST", "/pipelines/validate", validate),
    Route("GET", "/pipelines/<pipeline_id>", get_one),
    Route("PATCH", "/pipelines/<pipeline_id>", update),
    Route("DELETE", "/pipelines/<pipeline_id>", delete),
    Route("PATCH", "/pipelines/<pipeline_id>/variables", update_variables),
    Route("POST", "/pipelines/<pipeline_id>/install", install),
    Route("POST", "/pipelines/<pipeline_id>/uninstall", uninstall),
    Route("POST", "/pipelines/<pipeline_id>/reset", reset),
    Route("GET", "/pipelines/<pipeline_id>/statistics", statistics),
    Route("POST", "/pipelines/<pipeline_id>/execute", execute),
    Route("GET", "/pipelines/<pipeline_id>/executions/<execution_id>", get_execution),
    Route("POST", "/pipelines/<pipeline_id>/executions/rerun", rerun),
]
