"""Executions (wire §3.17, §7): create (single or batch), get, update, progress, terminate, rerun, attempts.

Executions run through the FaaS runtime (``emulator.extensions["faas"]``); statuses move
created → in-progress → success | failed | terminated | aborted, recorded in ``status``/``latestStatus``.
"""
from __future__ import annotations

from .. import dql
from ..errors import BadRequest
from ..faas.runtime import FaasRuntime
from ..ids import is_object_id
from ..routing import NUMBER, OBJECT, Route, nullable
from .datasets import get_dataset
from .projects import get_project, visible_projects
from .services import faas, get_service

EDITABLE = ("output", "maxAttempts", "feedbackQueue", "syncReplyTo", "metadata")
BATCH_RESOURCES = {"items": ("item", "Item"), "annotations": ("annotation", "Annotation")}


def setup(emulator) -> None:
    """The FaaS runtime, shared by services, triggers and pipelines: ``emulator.extensions["faas"]``."""
    emulator.extensions["faas"] = FaasRuntime(emulator)


def get_execution(ctx, execution_id: str) -> dict:
    if not is_object_id(execution_id):
        raise BadRequest(f"invalid execution id: {execution_id!r}")
    doc = ctx.store.get("execution", execution_id, "Execution")
    get_project(ctx, doc["projectId"])
    return doc


def create(ctx, service_id):
    service = get_service(ctx, service_id)
    body = ctx.json_object()
    if "batch" in body:
        return _create_batch(ctx, service, body)
    project_id = body.get("projectId")
    if project_id:
        get_project(ctx, project_id)
    return faas(ctx).execute(service, body.get("functionName"), body.get("input"), ctx.user, ctx.api_url,
                             project_id=project_id)


def _create_batch(ctx, service: dict, body: dict):
    """``{"batch": {"query", "args"}}``: one execution per matching item (or annotation) of the query's datasets,
    as a command."""
    batch = body.get("batch")
    if not isinstance(batch, dict) or not isinstance(batch.get("query"), dict):
        raise BadRequest("batch must be an object with a 'query' (a DQL body)")
    query, args = batch["query"], batch.get("args") or {}
    kind, type_name = BATCH_RESOURCES.get(query.get("resource") or "items", (None, None))
    if kind is None:
        raise BadRequest(f"batch query resource must be 'items' or 'annotations', got {query.get('resource')!r}")
    runtime = faas(ctx)
    function_name = body.get("functionName") or "run"
    function = runtime.function_of(service, function_name)
    names = [io.get("name") for io in function.get("input") or [] if io.get("type") == type_name]
    if not names:
        raise BadRequest(f"function {function_name!r} has no {type_name} input to run a batch on")
    datasets = _batch_datasets(ctx, service, query)
    user, api_url = ctx.user, ctx.api_url

    def work(progress):
        if not datasets:
            return {"executionIds": []}
        docs = list(dql.select(ctx.store, kind, query.get("filter") or {}, join=query.get("join"), scope=datasets))
        started = []
        for index, doc in enumerate(docs):
            ref = {"item_id": doc["id"], "dataset_id": doc.get("datasetId")} if kind == "item" else {
                "annotation_id": doc["id"], "item_id": doc.get("itemId"), "dataset_id": doc.get("datasetId")}
            execution = runtime.execute(service, function_name, {**args, names[0]: ref}, user, api_url)
            started.append(execution["id"])
            progress(100 * (index + 1) // max(1, len(docs)))
        return {"executionIds": started}
    return ctx.commands.submit(ctx.api_url, "CreateExecutionsBatch", {"serviceId": service["id"]}, work,
                               creator=ctx.user)


def _batch_datasets(ctx, service: dict, query: dict) -> list:
    """The datasets a batch query runs over: its ``context.datasets`` (each one the caller can see), else every
    dataset of the service's project."""
    context = query.get("context")
    if context is not None and not isinstance(context, dict):
        raise BadRequest(f"batch query context must be an object, got {type(context).__name__}")
    datasets = (context or {}).get("datasets")
    if datasets is None:
        return [d["id"] for d in ctx.store.list("dataset", scope=service["projectId"])]
    if not isinstance(datasets, list) or not datasets or not all(isinstance(d, str) for d in datasets):
        raise BadRequest(f"batch query context.datasets must be a non-empty list of dataset ids, got {datasets!r}")
    return [get_dataset(ctx, dataset_id)["id"] for dataset_id in datasets]


def rerun_batch(ctx):
    body = ctx.json_object()
    query = body.get("query")
    if not isinstance(query, dict):
        raise BadRequest("query must be a DQL filter object")
    projects = [p["id"] for p in visible_projects(ctx)]
    runtime = faas(ctx)

    def work(progress):
        if not projects:
            return {"executionIds": []}
        docs = list(dql.select(ctx.store, "execution", query, scope=projects))
        rerun = []
        for index, doc in enumerate(docs):
            if doc["latestStatus"]["status"] in ("success", "failed", "terminated", "aborted", "canceled",
                                                 "system-failure"):
                runtime.rerun(doc["id"])
                rerun.append(doc["id"])
            progress(100 * (index + 1) // max(1, len(docs)))
        return {"executionIds": rerun}
    return ctx.commands.submit(ctx.api_url, "RerunExecutionsBatch", {"query": query}, work, creator=ctx.user)


def get_one(ctx, execution_id):
    return get_execution(ctx, execution_id)


UPDATE_SHAPE = {"maxAttempts": NUMBER, "metadata": nullable(OBJECT)}


def update(ctx, execution_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_execution(ctx, execution_id)
        if "maxAttempts" in body and (not isinstance(body["maxAttempts"], int) or body["maxAttempts"] < 1):
            raise BadRequest(f"maxAttempts must be a positive integer, got {body['maxAttempts']!r}")
        for key in EDITABLE:
            if key in body:
                doc[key] = body[key]
        return ctx.store.replace("execution", doc)


def progress(ctx, execution_id):
    get_execution(ctx, execution_id)
    return faas(ctx).progress(execution_id, ctx.json_object())


def terminate(ctx, execution_id):
    get_execution(ctx, execution_id)
    return faas(ctx).terminate(execution_id)


def rerun(ctx, execution_id):
    get_execution(ctx, execution_id)
    return faas(ctx).rerun(execution_id)


def increment(ctx, execution_id):
    """One more attempt allowed; answers the new ``maxAttempts``."""
    with ctx.store.transaction():
        doc = get_execution(ctx, execution_id)
        doc["maxAttempts"] = int(doc.get("maxAttempts") or 1) + 1
        ctx.store.replace("execution", doc)
    return doc["maxAttempts"]


def query(ctx, body: dict, project_ids: list) -> dict:
    return dql.query(ctx.store, "execution", body, scope=project_ids)


ROUTES = [
    Route("POST", "/executions/rerun", rerun_batch),
    Route("POST", "/executions/<service_id>", create),
    Route("GET", "/executions/<execution_id>", get_one),
    Route("PATCH", "/executions/<execution_id>", update),
    Route("POST", "/executions/<execution_id>/progress", progress),
    Route("POST", "/executions/<execution_id>/terminate", terminate),
    Route("POST", "/executions/<execution_id>/rerun", rerun),
    Route("POST", "/executions/<execution_id>/attempts", increment),
]
