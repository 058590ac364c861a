"""Webhooks (``dl.webhooks``: ``/webhooks``): a project's hook URLs that triggers with a ``webhook`` operation
call. Served with the triggers' routes; the FaaS dispatcher sends the events (``faas/webhooks.py``)."""
from __future__ import annotations

from urllib.parse import urlsplit

from .. import dql
from ..errors import BadRequest
from ..ids import is_object_id
from ..routing import STRING, Route
from .projects import get_project, visible_projects

METHODS = ("POST", "PUT", "PATCH", "GET", "DELETE")
EDITABLE = ("name", "hookUrl", "httpMethod")


def _check(doc: dict) -> dict:
    if not isinstance(doc.get("name"), str) or not doc["name"].strip():
        raise BadRequest("webhook name must be a non-empty string")
    url = doc.get("hookUrl")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"hookUrl must be an http(s) URL, got {url!r}")
    method = doc.get("httpMethod") or "POST"
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise BadRequest(f"httpMethod must be one of {', '.join(METHODS)}, got {method!r}")
    doc["httpMethod"] = method.upper()
    return doc


def get_webhook(ctx, webhook_id: str) -> dict:
    """400 for a malformed id, 404 for an unknown one, 403 outside the caller's projects."""
    if not is_object_id(webhook_id):
        raise BadRequest(f"invalid webhook id: {webhook_id!r}")
    doc = ctx.store.get("webhook", webhook_id, "Webhook")
    get_project(ctx, doc["project"])
    return doc


def create(ctx):
    body = ctx.json_object()
    project = get_project(ctx, body.get("project") or body.get("projectId") or "")
    webhook_id = ctx.store.new_id()
    doc = _check({"id": webhook_id, "url": f"{ctx.api_url}/webhooks/{webhook_id}", "name": body.get("name"),
                  "project": project["id"], "projectId": project["id"], "hookUrl": body.get("hookUrl"),
                  "httpMethod": body.get("httpMethod"), "creator": ctx.user})
    return ctx.store.insert("webhook", doc, scope=project["id"])


def list_page(ctx):
    """``GET /webhooks?pageOffset&pageSize``: the webhooks of the caller's projects."""
    projects = [p["id"] for p in visible_projects(ctx)]
    body = {"filter": {}, "page": ctx.args.get("pageOffset", 0), "pageSize": ctx.args.get("pageSize", 100)}
    return dql.query(ctx.store, "webhook", body, scope=projects) if projects else dql.envelope([], 0, 0, 0)


def get_one(ctx, webhook_id):
    return get_webhook(ctx, webhook_id)


UPDATE_SHAPE = {"name": STRING, "hookUrl": STRING, "httpMethod": STRING}


def update(ctx, webhook_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_webhook(ctx, webhook_id)
        doc.update({key: body[key] for key in EDITABLE if key in body})
        return ctx.store.replace("webhook", _check(doc))


def delete(ctx, webhook_id):
    with ctx.store.transaction():
        get_webhook(ctx, webhook_id)
        ctx.store.delete("webhook", webhook_id)
    return True


ROUTES = [
    Route("POST", "/webhooks", create),
    Route("GET", "/webhooks", list_page),
    Route("GET", "/webhooks/<webhook_id>", get_one),
    Route("PATCH", "/webhooks/<webhook_id>", update),
    Route("DELETE", "/webhooks/<webhook_id>", delete),
]
