"""Route declaration and the per-request context handed to every handler."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Optional

from werkzeug.wrappers import Request

from .errors import BadRequest

if TYPE_CHECKING:
    from .app import Emulator

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    """One platform route: ``Route("GET", "/datasets/<dataset_id>", handler)``; ``prefix`` defaults to /api/v1."""

    method: str
    rule: str
    handler: Callable[..., Any]
    auth: bool = True
    prefix: str = API_PREFIX


def route(method: str, rule: str, auth: bool = True, prefix: str = API_PREFIX):
    """Decorator form: collects the function into the module's ``ROUTES`` via ``routes_of(module)``."""
    def decorate(handler):
        handler.__dict__.setdefault("_routes", []).append(Route(method, rule, handler, auth, prefix))
        return handler
    return decorate


class Context:
    """What a handler needs: the request, the emulator's stores, the caller's identity, URL builders."""

    def __init__(self, emulator: "Emulator", request: Request, claims: Optional[dict]):
        self.emulator = emulator
        self.request = request
        self.claims = claims or {}
        self.store = emulator.store
        self.blobs = emulator.blobs
        self.commands = emulator.commands

    @property
    def user(self) -> str:
        """The caller's email (from the token)."""
        return self.claims.get("email", "")

    @cached_property
    def gate_url(self) -> str:
        return self.request.host_url.rstrip("/")

    @cached_property
    def api_url(self) -> str:
        return self.gate_url + API_PREFIX

    @property
    def args(self):
        return self.request.args

    def json(self, default: Any = None) -> Any:
        """The JSON body; 400 naming the problem when it is not valid JSON."""
        raw = self.request.get_data(cache=True)
        if not raw:
            return default
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None

    def json_object(self) -> dict:
        body = self.json(default={})
        if not isinstance(body, dict):
            raise BadRequest(f"request body must be a JSON object, got {type(body).__name__}")
        return body

    def apply_update(self, doc: dict, body: dict, editable) -> dict:
        """A full-document update (wire §1.9): copy the editable keys of ``body`` into ``doc``; ``metadata.system``
        changes only with ``?system=true``."""
        system = (doc.get("metadata") or {}).get("system", {})
        for key in editable:
            if key in body:
                doc[key] = body[key]
        if not isinstance(doc.get("metadata"), dict):
            raise BadRequest("metadata must be an object")
        if not self.flag("system"):
            doc["metadata"]["system"] = system
        doc["updatedBy"] = self.user
        return doc

    def flag(self, name: str) -> bool:
        """A boolean query flag such as ``?system=true``."""
        return self.request.args.get(name, "false").lower() in ("true", "1", "")
