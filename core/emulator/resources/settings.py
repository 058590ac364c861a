"""Settings (wire §2.1, §3.14 ``activate_slots``): user/project/org settings such as service slot buttons.

A setting is unique per name and scope (``scope.type`` + ``scope.id``); creating it twice answers
400 "settings already exist", which the SDK turns into a get + update.
"""
from __future__ import annotations

from .. import dql
from ..errors import BadRequest
from ..ids import is_object_id
from ..routing import LIST, OBJECT, STRING, Route, nullable

EDITABLE = ("name", "value", "defaultValue", "valueType", "scope", "metadata", "settingType", "description",
            "icon", "sectionName", "subSectionName", "hint", "inputs")
SCOPE_TYPES = ("user", "org", "project", "task", "dataset", "DATALOOP", "dataloop")


def _check(body: dict) -> None:
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        raise BadRequest("setting name must be a non-empty string")
    scope = body.get("scope")
    if not isinstance(scope, dict) or not scope.get("type") or not scope.get("id"):
        raise BadRequest("setting scope must be an object with 'type' and 'id'")
    if scope["type"] not in SCOPE_TYPES:
        raise BadRequest(f"setting scope.type must be one of {', '.join(SCOPE_TYPES)}, got {scope['type']!r}")


def get_setting(ctx, setting_id: str) -> dict:
    if not is_object_id(setting_id):
        raise BadRequest(f"invalid setting id: {setting_id!r}")
    return ctx.store.get("setting", setting_id, "Setting")


def create(ctx):
    body = ctx.json_object()
    _check(body)
    doc = {k: body.get(k) for k in EDITABLE}
    setting_id = ctx.store.new_id()
    doc.update(id=setting_id, url=f"{ctx.api_url}/settings/{setting_id}", creator=ctx.user)
    with ctx.store.transaction():
        where = ("json_extract(doc, '$.name') = ? AND json_extract(doc, '$.scope.type') = ? "
                 "AND json_extract(doc, '$.scope.id') = ?")
        if ctx.store.list("setting", where=where, params=(doc["name"], doc["scope"]["type"], doc["scope"]["id"])):
            raise BadRequest(f"settings already exist: {doc['name']!r} for {doc['scope']['type']} "
                             f"{doc['scope']['id']}")
        return ctx.store.insert("setting", doc)


def get_one(ctx, setting_id):
    return get_setting(ctx, setting_id)


def update(ctx, setting_id):
    body = ctx.json_object({"name": STRING, "scope": OBJECT, "metadata": nullable(OBJECT), "inputs": nullable(LIST)})
    with ctx.store.transaction():
        doc = get_setting(ctx, setting_id)
        for key in EDITABLE:
            if key in body:
                doc[key] = body[key]
        _check(doc)
        return ctx.store.replace("setting", doc)


def delete(ctx, setting_id):
    with ctx.store.transaction():
        get_setting(ctx, setting_id)
        ctx.store.delete("setting", setting_id)
    return True


def query(ctx):
    return dql.query(ctx.store, "setting", ctx.json_object())


ROUTES = [
    Route("POST", "/settings", create),
    Route("POST", "/settings/query", query),
    Route("GET", "/settings/<setting_id>", get_one),
    Route("PATCH", "/settings/<setting_id>", update),
    Route("DELETE", "/settings/<setting_id>", delete),
]
