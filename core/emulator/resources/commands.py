"""Commands (wire §3.20, §6): read and abort the background commands run by ``ctx.commands``."""
from __future__ import annotations

from ..errors import BadRequest, Forbidden
from ..ids import is_object_id
from ..routing import Route


def get_command(ctx, command_id: str) -> dict:
    if not is_object_id(command_id):
        raise BadRequest(f"invalid command id: {command_id!r}")
    doc = ctx.store.get("command", command_id, "Command")
    if doc.get("creator") not in (None, ctx.user):
        raise Forbidden("Permission denied")
    return doc


def list_all(ctx):
    """The caller's commands (and those without a recorded creator), newest first."""
    mine = "json_extract(doc, '$.creator') IS NULL OR json_extract(doc, '$.creator') = ?"
    return ctx.store.list("command", where=mine, params=(ctx.user,), order="id DESC")


def get_one(ctx, command_id):
    return get_command(ctx, command_id)


def abort(ctx, command_id):
    get_command(ctx, command_id)
    return ctx.commands.abort(command_id)


ROUTES = [
    Route("GET", "/commands", list_all),
    Route("GET", "/commands/<command_id>", get_one),
    Route("POST", "/commands/<command_id>/abort", abort),
]
