"""Bots (wire §3.15): a project's bot users. Create answers the password once (``returnCredentials``) and
never stores it."""
from __future__ import annotations

import re
import secrets

from ..errors import BadRequest, NotFound
from ..ids import is_object_id
from ..routing import Route
from .projects import get_project

BOT_DOMAIN = "bot.dataloop.ai"


def _get_bot(ctx, project_id: str, bot_id: str) -> dict:
    get_project(ctx, project_id)
    if not is_object_id(bot_id):
        raise BadRequest(f"invalid bot id: {bot_id!r}")
    doc = ctx.store.find("bot", bot_id)
    if doc is None or doc.get("projectId") != project_id:
        raise NotFound(f"Bot not found: {bot_id}")
    return doc


def list_bots(ctx, project_id):
    get_project(ctx, project_id)
    return ctx.store.list("bot", scope=project_id)


def get_one(ctx, project_id, bot_id):
    return _get_bot(ctx, project_id, bot_id)


def create(ctx, project_id):
    body = ctx.json_object()
    project = get_project(ctx, project_id)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("bot name must be a non-empty string")
    with ctx.store.transaction():
        if ctx.store.find_by("bot", "firstName", name, scope=project_id):
            raise BadRequest(f"Bot named {name!r} already exists in project {project_id}")
        bot_id = ctx.store.new_id()
        email = f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'bot'}-{bot_id}@{BOT_DOMAIN}"
        doc = {"id": bot_id, "email": email, "username": email, "firstName": name, "lastName": "", "avatar": None,
               "type": "bot", "role": "engineer", "org": (project.get("org") or {}).get("id"),
               "projectId": project_id, "creator": ctx.user, "orgBot": False}
        ctx.store.insert("bot", doc, scope=project_id)
    if body.get("returnCredentials"):
        return {**doc, "password": secrets.token_urlsafe(24)}
    return doc


def delete(ctx, project_id, bot_id):
    _get_bot(ctx, project_id, bot_id)
    ctx.store.delete("bot", bot_id)
    return {"id": bot_id, "deleted": True}


ROUTES = [
    Route("GET", "/projects/<project_id>/bots", list_bots),
    Route("POST", "/projects/<project_id>/bots", create),
    Route("GET", "/projects/<project_id>/bots/<bot_id>", get_one),
    Route("DELETE", "/projects/<project_id>/bots/<bot_id>", delete),
]
