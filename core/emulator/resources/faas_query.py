"""``POST /query/faas`` (wire §2.1): one DQL endpoint for packages, services, triggers and executions,
routed by the body's ``resource`` and limited to the caller's projects."""
from __future__ import annotations

from .. import dql
from ..errors import BadRequest
from ..routing import Route
from . import executions, packages, services, triggers
from .projects import visible_projects

ROUTED = {"services": services.query, "triggers": triggers.query, "executions": executions.query}


def query(ctx):
    body = ctx.json_object()
    resource = body.get("resource")
    if resource == "packages":
        return packages.query(ctx, body)
    handler = ROUTED.get(resource)
    if handler is None:
        raise BadRequest(f"unknown faas resource {resource!r}; expected packages, services, triggers or executions")
    projects = [p["id"] for p in visible_projects(ctx)]
    if not projects:
        return dql.envelope([], 0, 0, 0)
    return handler(ctx, body, projects)


ROUTES = [Route("POST", "/query/faas", query)]
