"""Services (wire §3.14, §8): deploy/update/delete, pause/resume/restart, status, revisions and logs.

A service is a package's module made runnable; its executions run in worker processes of the FaaS runtime
(``emulator.extensions["faas"]``, set up by :mod:`.executions`). Revisions are kept inside the document.
"""
from __future__ import annotations

import json
import time

from ..errors import BadRequest
from ..faas.logstore import parse_time
from ..faas.runtime import TERMINAL, FaasRuntime
from ..ids import is_object_id
from ..routing import BOOL, LIST, NUMBER, OBJECT, STRING, Route, nullable
from .bots import service_bot
from .packages import check_name, get_package
from .projects import get_project

DEFAULT_RUNTIME = {"podType": "regular-s", "numReplicas": 1, "concurrency": 10, "runnerImage": None,
                   "autoscaler": {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 1, "queueLength": 10}}
EDITABLE = ("runtime", "initParams", "packageRevision", "versions", "driverId", "secrets", "integrations",
            "executionTimeout", "drainTime", "maxAttempts", "onReset", "moduleName", "active", "metadata",
            "runExecutionAsProcess", "useUserJwt", "mode", "config", "settings", "panels", "queueLengthLimit")
FOLLOW_WAIT_SECONDS = 1.0


def faas(ctx) -> FaasRuntime:
    runtime = ctx.emulator.extensions["faas"]
    runtime.api_url = ctx.api_url
    return runtime


def present(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "revisions"}


def get_service(ctx, service_id: str) -> dict:
    """400 for a malformed id, 404 for an unknown one, 403 outside the caller's projects."""
    if not is_object_id(service_id):
        raise BadRequest(f"invalid service id: {service_id!r}")
    doc = ctx.store.get("service", service_id, "Service")
    get_project(ctx, doc["projectId"])
    return doc


def _check_settings(ctx, doc: dict) -> None:
    """The runnable settings of a service document (shared by create and update)."""
    runtime = doc.get("runtime")
    if not isinstance(runtime, dict):
        raise BadRequest(f"runtime must be an object, got {type(runtime).__name__}")
    concurrency = runtime.get("concurrency")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise BadRequest(f"runtime.concurrency must be a positive integer, got {concurrency!r}")
    timeout = doc.get("executionTimeout")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise BadRequest(f"executionTimeout must be a positive number of seconds, got {timeout!r}")
    attempts = doc.get("maxAttempts")
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise BadRequest(f"maxAttempts must be a positive integer, got {attempts!r}")
    if doc.get("onReset") not in ("failed", "rerun"):
        raise BadRequest(f"onReset must be 'failed' or 'rerun', got {doc.get('onReset')!r}")
    if not isinstance(doc.get("initParams"), dict):
        raise BadRequest("initParams must be an object mapping init input names to values")
    faas(ctx).module_of(doc)
    secret_environment(ctx.store, doc)


def secret_environment(store, service: dict) -> dict:
    """The environment variables a service's ``secrets`` and ``integrations`` give its functions, as the platform
    names them: a secret (integration id) under the integration's name, an integration ``{"env", "value": id}``
    under ``env``; a key-value integration's value is its ``options.value``, other types give their options as
    JSON. ``BadRequest`` names a malformed entry or an integration of another organization."""
    secrets, integrations = service.get("secrets") or [], service.get("integrations") or []
    if not isinstance(secrets, list) or not all(isinstance(s, str) for s in secrets):
        raise BadRequest("secrets must be a list of integration ids")
    if not isinstance(integrations, list) or not all(
            isinstance(i, dict) and isinstance(i.get("env"), str) and i["env"] and isinstance(i.get("value"), str)
            for i in integrations):
        raise BadRequest('integrations must be a list of {"env": <variable name>, "value": <integration id>}')
    wanted = [(None, s) for s in secrets] + [(i["env"], i["value"]) for i in integrations]
    env = {}
    for name, integration_id in wanted:
        doc = store.find("integration", integration_id) if is_object_id(integration_id) else None
        if doc is None or doc.get("org") != service.get("orgId"):
            raise BadRequest(f"secret {integration_id!r} is not an integration of the service's organization")
        options, variable = doc.get("options") or {}, name or doc["name"]
        value = str(options.get("value")) if doc.get("type") == "key_value" else json.dumps(options, sort_keys=True)
        if not variable or "=" in variable or "\0" in variable + value:  # never show the value
            raise BadRequest(f"secret {integration_id!r} cannot be the environment variable {variable!r} "
                             "(a name with '=' or NUL, or a value with NUL)")
        env[variable] = value
    return env


def create(ctx):
    body = ctx.json_object()
    if not body.get("projectId"):
        raise BadRequest("projectId is required")
    project = get_project(ctx, body["projectId"])
    if not body.get("packageId"):
        raise BadRequest("packageId is required: a service is deployed from a package (push one first)")
    package = get_package(ctx, body["packageId"])
    name = check_name("service", body.get("name"))
    modules = package.get("modules") or []
    service_id = ctx.store.new_id()
    doc = {
        "id": service_id, "name": name, "url": f"{ctx.api_url}/services/{service_id}", "creator": ctx.user,
        "updatedBy": ctx.user, "projectId": project["id"], "orgId": (project.get("org") or {}).get("id"),
        "packageId": package["id"], "packageRevision": body.get("packageRevision") or package.get("version"),
        "version": "1.0.0", "moduleName": body.get("moduleName") or (modules[0].get("name") if modules else None),
        "initParams": body.get("initParams") or {}, "versions": body.get("versions"),
        "runtime": {**DEFAULT_RUNTIME, **(body.get("runtime") or {})}, "driverId": body.get("driverId"),
        "active": body.get("active", True) is not False, "secrets": body.get("secrets") or [],
        "integrations": body.get("integrations") or [], "botUserName": body.get("botUserName"),
        "useUserJwt": bool(body.get("useUserJwt", False)), "global": bool(body.get("global", False)),
        "runExecutionAsProcess": bool(body.get("runExecutionAsProcess", False)),
        "executionTimeout": body.get("executionTimeout", 3600), "drainTime": body.get("drainTime", 600),
        "onReset": body.get("onReset") or "failed", "maxAttempts": body.get("maxAttempts", 3), "type": "regular",
        "mode": body.get("mode") or {}, "metadata": body.get("metadata") or {}, "queueLengthLimit": None,
        "archive": False, "scope": "project", "crashloop": False,
    }
    if body.get("runtime") is not None and not isinstance(body["runtime"], dict):
        raise BadRequest("runtime must be an object")
    _check_settings(ctx, doc)
    faas(ctx).environments.folder(package.get("requirements"))  # a failed install fails the deployment
    with ctx.store.transaction():
        if ctx.store.find_by("service", "name", name, scope=project["id"]):
            raise BadRequest(f"Service with name {name!r} already exists in project {project['id']}")
        doc["botUserName"] = service_bot(ctx, project, doc["botUserName"])["email"]
        ctx.store.insert("service", doc, scope=project["id"])
        doc["revisions"] = [present(doc)]
        ctx.store.replace("service", doc, touch=False)
    return present(doc)


def get_one(ctx, service_id):
    return present(get_service(ctx, service_id))


UPDATE_SHAPE = {"name": STRING, "runtime": nullable(OBJECT), "initParams": nullable(OBJECT), "secrets": nullable(LIST),
                "integrations": nullable(LIST), "executionTimeout": nullable(NUMBER), "drainTime": nullable(NUMBER),
                "maxAttempts": nullable(NUMBER), "active": BOOL, "metadata": nullable(OBJECT),
                "runExecutionAsProcess": nullable(BOOL), "useUserJwt": nullable(BOOL), "config": nullable(OBJECT),
                "settings": nullable(OBJECT), "versions": nullable(OBJECT), "botUserName": nullable(STRING)}


def update(ctx, service_id):
    body = ctx.json_object(UPDATE_SHAPE)
    package = ctx.store.find("package", get_service(ctx, service_id)["packageId"]) or {}
    faas(ctx).environments.folder(package.get("requirements"))  # outside the write transaction: pip takes time
    with ctx.store.transaction():
        doc = get_service(ctx, service_id)
        if "name" in body and body["name"] != doc["name"]:
            raise BadRequest(f"a service cannot be renamed ({doc['name']!r} -> {body['name']!r})")
        if "packageId" in body and body["packageId"] != doc["packageId"]:
            raise BadRequest("a service cannot move to another package; deploy a new service")
        if body.get("botUserName") and body["botUserName"] != doc.get("botUserName"):
            project = ctx.store.get("project", doc["projectId"], "Project")
            doc["botUserName"] = service_bot(ctx, project, body["botUserName"])["email"]
        for key in EDITABLE:
            if key in body:
                doc[key] = body[key]
        _check_settings(ctx, doc)
        major, minor, patch = (doc.get("version") or "1.0.0").split(".")
        doc.update(version=f"{major}.{minor}.{int(patch) + 1}", updatedBy=ctx.user)
        ctx.store.replace("service", doc)
        doc["revisions"] = (doc.get("revisions") or []) + [present(doc)]
        ctx.store.replace("service", doc, touch=False)
    runtime = faas(ctx)
    runtime.service_updated(doc)
    if ctx.flag("force"):
        runtime.restart(doc)
    return present(doc)


def delete(ctx, service_id):
    with ctx.store.transaction():
        get_service(ctx, service_id)  # 400/404 naming the service
        where = "json_extract(doc, '$.spec.operation.serviceId') = ?"
        ctx.store.delete_where("trigger", where, (service_id,))
        ctx.store.delete("service", service_id)
    faas(ctx).service_deleted(service_id)
    return True


def status(ctx, service_id):
    return faas(ctx).service_status(get_service(ctx, service_id))


def _set_active(ctx, service_id: str, active: bool) -> dict:
    with ctx.store.transaction():
        get_service(ctx, service_id)
        return ctx.store.patch("service", service_id, {"active": active, "updatedBy": ctx.user})


def pause(ctx, service_id):
    doc = _set_active(ctx, service_id, False)
    faas(ctx).pause(doc, force=ctx.flag("force"))
    return present(doc)


def resume(ctx, service_id):
    doc = _set_active(ctx, service_id, True)
    faas(ctx).resume(doc)
    return present(doc)


def restart(ctx, service_id):
    faas(ctx).restart(get_service(ctx, service_id))
    return True


def revisions(ctx, service_id):
    return get_service(ctx, service_id).get("revisions") or []


def logs(ctx):
    """``POST /services/logs``: one page of log lines after ``checkpoint``; ``stop`` once nothing more comes."""
    body = ctx.json_object()
    service_id = body.get("serviceId")
    if not service_id:
        raise BadRequest("serviceId is required")
    get_service(ctx, service_id)
    execution_ids = body.get("executionId") or []
    execution_ids = [execution_ids] if isinstance(execution_ids, str) else list(execution_ids)
    checkpoint = body.get("checkpoint") if isinstance(body.get("checkpoint"), dict) else {}
    try:
        size = max(1, min(int(body.get("size") or 100), 1000))
        after = int(checkpoint.get("seq") or 0)
        start, end = parse_time(body.get("start")), parse_time(body.get("end"))
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"invalid logs query: {exc}") from None
    follow = bool(body.get("follow"))
    store = faas(ctx).logs

    def fetch():
        return store.query(service_id, after, size, execution_ids, body.get("functionName"), body.get("text"),
                           body.get("replicaId"), start, end, body.get("logLevel") or "DEBUG")
    rows = fetch()
    waited = 0.0
    while follow and not rows and waited < FOLLOW_WAIT_SECONDS and not _finished(ctx, execution_ids):
        time.sleep(0.1)
        waited += 0.1
        rows = fetch()
    if rows:
        stop = False
    elif follow:
        stop = bool(execution_ids) and _finished(ctx, execution_ids)
    else:
        stop = True
    return {"logs": rows, "checkpoint": {"seq": rows[-1]["seq"] if rows else after}, "stop": stop}


def _finished(ctx, execution_ids) -> bool:
    if not execution_ids:
        return False
    docs = [ctx.store.find("execution", i) for i in execution_ids]
    return all(d is None or d["latestStatus"]["status"] in TERMINAL for d in docs)


def query(ctx, body: dict, project_ids: list) -> dict:
    from .. import dql
    page = dql.query(ctx.store, "service", body, scope=project_ids)
    page["items"] = [present(d) for d in page["items"]]
    return page


ROUTES = [
    Route("POST", "/services", create),
    Route("POST", "/services/logs", logs),
    Route("GET", "/services/<service_id>", get_one),
    Route("PATCH", "/services/<service_id>", update),
    Route("DELETE", "/services/<service_id>", delete),
    Route("GET", "/services/<service_id>/status", status),
    Route("POST", "/services/<service_id>/stop", pause),
    Route("POST", "/services/<service_id>/resume", resume),
    Route("POST", "/services/<service_id>/restart", restart),
    Route("GET", "/services/<service_id>/revisions", revisions),
]
