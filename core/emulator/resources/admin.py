"""Emulator administration, outside /api/v1: health, and the test-only fault switch."""
from __future__ import annotations

from ..errors import BadRequest, NotFound
from ..faults import ACTIONS
from ..routing import LIST, NUMBER, STRING, Route, check_shape, nullable

ADMIN = "/_emulator"


def health(ctx):
    return {"status": "ok"}


RULE_SHAPE = {"path": STRING, "method": STRING, "action": STRING, "status": NUMBER, "retry_after": nullable(NUMBER),
              "delay": NUMBER, "times": NUMBER, "every": NUMBER}


def check_rule(rule, where: str) -> dict:
    """400 naming the field of a fault rule that is missing, unknown or out of range."""
    if not isinstance(rule, dict):
        raise BadRequest(f"{where} must be an object, got {type(rule).__name__}")
    unknown = sorted(set(rule) - set(RULE_SHAPE))
    if unknown:
        raise BadRequest(f"{where}.{unknown[0]} is not a fault rule field; expected {', '.join(RULE_SHAPE)}")
    if "path" not in rule:
        raise BadRequest(f"{where}.path is required: a glob over request paths")
    check_shape(rule, RULE_SHAPE, f"{where}.")
    whole = {"status": (100, 599), "times": (-1, None), "every": (1, None)}
    for field, (low, high) in whole.items():
        value = rule.get(field)
        if value is not None and (value != int(value) or value < low or (high is not None and value > high)):
            bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise BadRequest(f"{where}.{field} must be a whole number {bounds}, got {value!r}")
    for field in ("delay", "retry_after"):
        if (rule.get(field) or 0) < 0:
            raise BadRequest(f"{where}.{field} must be >= 0, got {rule[field]!r}")
    if rule.get("action", "status") not in ACTIONS:
        raise BadRequest(f"{where}.action must be one of {', '.join(ACTIONS)}, got {rule['action']!r}")
    return {k: int(v) if k in whole else v for k, v in rule.items()}


def set_faults(ctx):
    """Replace the fault rules: ``{"rules": [{"path": "/api/v1/...*", "status": 503, "times": 2}, ...]}``."""
    switch = ctx.emulator.faults
    if switch is None:
        raise NotFound("fault injection is disabled; start the server with --enable-faults")
    rules = ctx.json_object({"rules": LIST}).get("rules", [])
    switch.set([check_rule(rule, f"rules[{i}]") for i, rule in enumerate(rules)])
    return {"rules": len(rules)}


ROUTES = [
    Route("GET", "/health", health, auth=False, prefix=ADMIN),
    Route("POST", "/faults", set_faults, prefix=ADMIN),
]
