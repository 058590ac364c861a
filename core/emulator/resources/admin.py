"""Emulator administration, outside /api/v1: health, and the test-only fault switch."""
from __future__ import annotations

from ..errors import BadRequest, NotFound
from ..routing import Route

ADMIN = "/_emulator"


def health(ctx):
    return {"status": "ok"}


def set_faults(ctx):
    """Replace the fault rules: ``{"rules": [{"path": "/api/v1/...*", "status": 503, "times": 2}, ...]}``."""
    switch = ctx.emulator.faults
    if switch is None:
        raise NotFound("fault injection is disabled; start the server with --enable-faults")
    rules = ctx.json_object().get("rules", [])
    if not isinstance(rules, list):
        raise BadRequest("rules must be a list")
    try:
        switch.set(rules)
    except TypeError as exc:
        raise BadRequest(f"invalid fault rule: {exc}") from None
    return {"rules": len(rules)}


ROUTES = [
    Route("GET", "/health", health, auth=False, prefix=ADMIN),
    Route("POST", "/faults", set_faults, prefix=ADMIN),
]
