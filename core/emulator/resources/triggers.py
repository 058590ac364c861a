"""Triggers (wire §3.16, §8): Event and Cron triggers that start executions of a service's function, start a
pipeline or call a webhook (the webhooks' own routes live in :mod:`._webhooks` and are served from here).

Firing is done by the FaaS runtime's dispatcher (``faas/dispatch.py``): event triggers on
``emulator.events``, cron triggers on a scheduler thread. Handlers here only validate and store.
"""
from __future__ import annotations

from .. import dql
from ..errors import BadRequest, EmulatorError
from ..faas.cron import CronError, CronSchedule
from ..faas.logstore import parse_time
from ..ids import is_object_id
from ..routing import BOOL, OBJECT, STRING, Route
from . import _webhooks
from ._webhooks import get_webhook
from .packages import check_name
from .projects import get_project
from .services import faas, get_service

RESOURCES = ("Item", "Dataset", "Annotation", "Task", "Assignment", "ItemStatus")
ACTIONS = ("Created", "Updated", "Deleted", "statusChanged", "Clone")
MODES = ("Once", "Always")
EDITABLE = ("name", "active", "spec", "scope")


def get_trigger(ctx, trigger_id: str) -> dict:
    if not is_object_id(trigger_id):
        raise BadRequest(f"invalid trigger id: {trigger_id!r}")
    doc = ctx.store.get("trigger", trigger_id, "Trigger")
    get_project(ctx, doc["projectId"])
    return doc


def _check_operation(ctx, operation) -> None:
    if not isinstance(operation, dict):
        raise BadRequest("spec.operation is required: {'type': 'function', 'serviceId', 'functionName'}")
    kind = operation.get("type")
    if kind == "function":
        service = get_service(ctx, operation.get("serviceId") or "")
        operation.setdefault("functionName", "run")
        faas(ctx).function_of(service, operation["functionName"])
    elif kind == "webhook":
        if not operation.get("webhookId"):
            raise BadRequest("spec.operation.webhookId is required for webhook operations")
        get_webhook(ctx, operation["webhookId"])
    elif kind == "pipeline":
        if not operation.get("id"):
            raise BadRequest("spec.operation.id (the pipeline id) is required for pipeline operations")
    else:
        raise BadRequest(f"spec.operation.type must be 'function', 'webhook' or 'pipeline', got {kind!r}")


def check_spec(ctx, trigger_type: str, spec) -> dict:
    if not isinstance(spec, dict):
        raise BadRequest("spec must be an object")
    _check_operation(ctx, spec.get("operation"))
    spec.setdefault("input", {})
    if not isinstance(spec["input"], dict):
        raise BadRequest("spec.input must be an object")
    if trigger_type == "Event":
        spec.setdefault("resource", "Item")
        spec.setdefault("actions", ["Created"])
        spec.setdefault("executionMode", "Once")
        spec.setdefault("filter", {})
        if spec["resource"] not in RESOURCES:
            raise BadRequest(f"spec.resource must be one of {', '.join(RESOURCES)}, got {spec['resource']!r}")
        actions = spec["actions"]
        if not isinstance(actions, list) or not actions or any(a not in ACTIONS for a in actions):
            raise BadRequest(f"spec.actions must be a non-empty list of {', '.join(ACTIONS)}, got {actions!r}")
        if spec["executionMode"] not in MODES:
            raise BadRequest(f"spec.executionMode must be 'Once' or 'Always', got {spec['executionMode']!r}")
        if not isinstance(spec["filter"], dict):
            raise BadRequest("spec.filter must be a DQL filter object")
        try:
            dql.matches({}, spec["filter"])
        except EmulatorError as exc:
            raise BadRequest(f"spec.filter is not a valid filter: {exc.message}") from None
    else:
        try:
            CronSchedule(spec.get("cron"))
            parse_time(spec.get("startAt"))
            parse_time(spec.get("endAt"))
        except CronError as exc:
            raise BadRequest(f"spec.cron: {exc}") from None
        except (TypeError, ValueError):
            raise BadRequest("spec.startAt and spec.endAt must be ISO dates") from None
    return spec


def create(ctx):
    body = ctx.json_object()
    if not body.get("projectId"):
        raise BadRequest("projectId is required")
    project = get_project(ctx, body["projectId"])
    trigger_type = body.get("type") or "Event"
    if trigger_type not in ("Event", "Cron"):
        raise BadRequest(f"trigger type must be 'Event' or 'Cron', got {trigger_type!r}")
    name = check_name("trigger", body.get("name"))
    spec = check_spec(ctx, trigger_type, body.get("spec"))
    trigger_id = ctx.store.new_id()
    doc = {"id": trigger_id, "url": f"{ctx.api_url}/triggers/{trigger_id}", "name": name, "type": trigger_type,
           "active": body.get("active", True) is not False, "projectId": project["id"],
           "orgId": (project.get("org") or {}).get("id"), "creator": ctx.user, "updatedBy": ctx.user,
           "scope": body.get("scope") or "project", "global": False, "special": False, "spec": spec,
           "locked": False, "appPaused": False}
    return ctx.store.insert("trigger", doc, scope=project["id"])


def get_one(ctx, trigger_id):
    return get_trigger(ctx, trigger_id)


UPDATE_SHAPE = {"name": STRING, "active": BOOL, "spec": OBJECT, "scope": STRING, "type": STRING}


def update(ctx, trigger_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_trigger(ctx, trigger_id)
        if "type" in body and body["type"] != doc["type"]:
            raise BadRequest(f"a trigger's type cannot change ({doc['type']} -> {body['type']})")
        for key in EDITABLE:
            if key in body:
                doc[key] = body[key]
        check_name("trigger", doc["name"])
        check_spec(ctx, doc["type"], doc["spec"])
        doc["active"] = doc.get("active", True) is not False
        doc["updatedBy"] = ctx.user
        return ctx.store.replace("trigger", doc)


def delete(ctx, trigger_id):
    with ctx.store.transaction():
        get_trigger(ctx, trigger_id)
        ctx.store.delete("trigger", trigger_id)
    return True


def clone(ctx, trigger_id):
    source = get_trigger(ctx, trigger_id)
    body = ctx.json_object()
    project = get_project(ctx, body.get("projectId") or source["projectId"])
    name = check_name("trigger", body.get("name") or source["name"])
    new_id = ctx.store.new_id()
    doc = {**source, "id": new_id, "url": f"{ctx.api_url}/triggers/{new_id}", "name": name,
           "projectId": project["id"], "creator": ctx.user, "updatedBy": ctx.user}
    doc.pop("createdAt", None)
    doc.pop("updatedAt", None)
    return ctx.store.insert("trigger", doc, scope=project["id"])


def resource_information(ctx):
    """Which active event triggers would fire for ``entity`` on ``action``."""
    body = ctx.json_object()
    resource, entity, action = body.get("resource"), body.get("entity"), body.get("action") or "Created"
    if resource not in RESOURCES:
        raise BadRequest(f"resource must be one of {', '.join(RESOURCES)}, got {resource!r}")
    if not isinstance(entity, dict):
        raise BadRequest("entity must be the resource's JSON object")
    dispatcher = faas(ctx).triggers
    project_id = dispatcher.project_of(resource, entity)
    if project_id:
        get_project(ctx, project_id)
    return [{"triggerId": t["id"], "name": t["name"], "executionMode": t["spec"].get("executionMode"),
             "operation": t["spec"].get("operation"), "input": t["spec"].get("input")}
            for t in dispatcher.matching(resource, action, entity, project_id)]


def query(ctx, body: dict, project_ids: list) -> dict:
    return dql.query(ctx.store, "trigger", body, scope=project_ids)


ROUTES = [
    Route("POST", "/triggers", create),
    Route("GET", "/triggers/<trigger_id>", get_one),
    Route("PATCH", "/triggers/<trigger_id>", update),
    Route("DELETE", "/triggers/<trigger_id>", delete),
    Route("POST", "/triggers/<trigger_id>/clone", clone),
    Route("POST", "/trigger-resource-information", resource_information),
] + _webhooks.ROUTES
