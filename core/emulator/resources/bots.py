"""Bots (wire §3.15): a project's bot users, members of their project. Create answers the password once
(``returnCredentials``) and never stores it. Services and pipeline code nodes run as a project bot
(:func:`service_bot`: the one named at deploy, else the project's first bot, else a new one)."""
from __future__ import annotations

import re
import secrets

from ..errors import BadRequest, NotFound
from ..ids import is_object_id
from ..routing import Route
from .organizations import member_json
from .projects import get_project

BOT_DOMAIN = "bot.dataloop.ai"
BOT_ROLE = "engineer"
SERVICE_BOT_NAME = "faas-bot"


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
        doc = _insert_bot(ctx, project, name)
    if body.get("returnCredentials"):
        return {**doc, "password": secrets.token_urlsafe(24)}
    return doc


def _insert_bot(ctx, project: dict, name: str) -> dict:
    """Store a new bot of ``project`` and make it a project member (inside the caller's transaction)."""
    bot_id = ctx.store.new_id()
    email = f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'bot'}-{bot_id}@{BOT_DOMAIN}"
    doc = {"id": bot_id, "email": email, "username": email, "firstName": name, "lastName": "", "avatar": None,
           "type": "bot", "role": BOT_ROLE, "org": (project.get("org") or {}).get("id"),
           "projectId": project["id"], "creator": ctx.user, "orgBot": False}
    ctx.store.insert("bot", doc, scope=project["id"])
    project = ctx.store.get("project", project["id"], "Project")
    if not any(m["email"] == email for m in project.get("contributors") or []):
        project.setdefault("contributors", []).append({**member_json(email, BOT_ROLE), "type": "bot"})
        ctx.store.replace("project", project)
    return doc


def service_bot(ctx, project: dict, email=None) -> dict:
    """The bot a service of ``project`` runs as: the project bot ``email`` names (400 if it names none), else the
    project's first bot, else a new one (the platform gives every service a project bot)."""
    with ctx.store.transaction():
        bots = ctx.store.list("bot", scope=project["id"])
        if email:
            found = next((b for b in bots if b["email"] == email), None)
            if found is None:
                raise BadRequest(f"botUserName {email!r} is not a bot of project {project['id']}")
            return found
        return bots[0] if bots else _insert_bot(ctx, project, SERVICE_BOT_NAME)


def delete(ctx, project_id, bot_id):
    with ctx.store.transaction():
        doc = _get_bot(ctx, project_id, bot_id)
        ctx.store.delete("bot", bot_id)
        project = ctx.store.get("project", project_id, "Project")
        project["contributors"] = [m for m in project.get("contributors") or [] if m["email"] != doc["email"]]
        ctx.store.replace("project", project)
    return {"id": bot_id, "deleted": True}


ROUTES = [
    Route("GET", "/projects/<project_id>/bots", list_bots),
    Route("POST", "/projects/<project_id>/bots", create),
    Route("GET", "/projects/<project_id>/bots/<bot_id>", get_one),
    Route("DELETE", "/projects/<project_id>/bots/<bot_id>", delete),
]
