"""Route declaration and the per-request context handed to every handler."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Optional

from werkzeug.wrappers import Request

from .errors import BadRequest

if TYPE_CHECKING:
    from .app import Emulator

API_PREFIX = "/api/v1"
MAX_JSON_DEPTH = 100  # deeper bodies are refused with a 400 (filters, label trees and pipelines need far less)

# kinds of values in an update body's shape (see ``check_shape``); "<kind> or null" also accepts null
OBJECT, STRING, BOOL, NUMBER, LIST = "an object", "a string", "true or false", "a number", "a list"
_IS = {OBJECT: lambda v: isinstance(v, dict), STRING: lambda v: isinstance(v, str),
       BOOL: lambda v: isinstance(v, bool), LIST: lambda v: isinstance(v, list),
       NUMBER: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def nullable(kind: str) -> str:
    return kind + " or null"


def check_shape(body: dict, shape: dict, where: str = "") -> dict:
    """400 naming the first field of ``body`` whose value is not of the kind ``shape`` declares for it; shape keys
    may be dotted paths into nested objects (``"metadata.user": nullable(OBJECT)``). Absent fields pass."""
    for path, kind in shape.items():
        value, found = body, True
        for key in path.split("."):
            if not isinstance(value, dict) or key not in value:
                found = False
                break
            value = value[key]
        if not found or (value is None and kind.endswith(" or null")):
            continue
        if not _IS[kind.removesuffix(" or null")](value):
            raise BadRequest(f"{where}{path} must be {kind}, got {_describe(value)}")
    return body


def _describe(value) -> str:
    text = json.dumps(value, default=str)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


def check_json(value: Any) -> Any:
    """400 for a body nested deeper than ``MAX_JSON_DEPTH`` or holding text that is not valid Unicode (a lone
    surrogate from a ``\\ud800`` escape), naming where; walked without recursion."""
    stack = [(value, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"request body is nested deeper than {MAX_JSON_DEPTH} levels (at {where or 'the top'})")
        if isinstance(node, dict):
            for key, child in node.items():
                _check_text(key, f"{where}.{key}" if where else key)
                stack.append((child, depth + 1, f"{where}.{key}" if where else key))
        elif isinstance(node, list):
            stack.extend((child, depth + 1, f"{where}[{i}]") for i, child in enumerate(node))
        elif isinstance(node, str):
            _check_text(node, where)
    return value


def _not_json(constant: str):
    raise ValueError(f"{constant} is not a JSON value (JSON numbers are finite)")


def _check_text(text: str, where: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"request body holds text that is not valid Unicode (a lone surrogate) at "
                         f"{where.encode('utf-8', 'backslashreplace').decode() or 'the top'}") from None


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
        """``scheme://host`` as the caller addressed it (werkzeug's ``host_url`` would also decode it to an IRI on
        every request, a form no client sends back)."""
        return f"{self.request.scheme}://{self.request.host}"

    @cached_property
    def api_url(self) -> str:
        return self.gate_url + API_PREFIX

    @property
    def args(self):
        return self.request.args

    def json(self, default: Any = None) -> Any:
        """The JSON body; 400 naming the problem when it is not valid JSON, too deep, or not valid Unicode."""
        raw = self.request.get_data(cache=True)
        if not raw:
            return default
        try:
            return check_json(json.loads(raw, parse_constant=_not_json))
        except RecursionError:
            raise BadRequest(f"request body is nested deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None

    def json_object(self, shape: Optional[dict] = None) -> dict:
        """The body as a JSON object, checked against ``shape`` (see :func:`check_shape`) when given."""
        body = self.json(default={})
        if not isinstance(body, dict):
            raise BadRequest(f"request body must be a JSON object, got {type(body).__name__}")
        return check_shape(body, shape) if shape else body

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
