"""The emulator's WSGI application: route table, authentication, fault switch, one error adapter."""
from __future__ import annotations

import errno
import importlib
import json
import logging
import os
import socket
import sqlite3
import struct
import threading
import time
import traceback
from collections import OrderedDict
from typing import List

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import FileWrapper

from . import dql
from .auth import Auth
from .blobs import BlobStore
from .commands import CommandRunner
from .errors import BadRequest, EmulatorError, Unauthorized
from .events import EventBus
from .faults import FaultSwitch
from .routing import Context, Route
from .store import Store

logger = logging.getLogger("dataloop_core.emulator")
STREAM_BLOCK = 1 << 20
VERIFIED_TOKENS = 256  # signature checks are cached per token string; expiry is checked on every request

# One module per resource group under resources/, each exposing ROUTES: List[Route].
RESOURCE_MODULES = [
    "admin", "users", "organizations", "integrations", "projects", "drivers", "datasets", "items",
    "annotations", "recipes", "ontologies", "commands", "tasks", "assignments", "packages", "services",
    "bots", "triggers", "executions", "pipelines", "faas_query", "settings", "external_storage",
]


def load_routes() -> List[Route]:
    routes: List[Route] = []
    for name in RESOURCE_MODULES:
        module = importlib.import_module(f".resources.{name}", __package__)
        routes.extend(module.ROUTES)
    routes.extend(importlib.import_module(".console", __package__).ROUTES)  # the web console under /console
    return routes


class Emulator:
    """A Dataloop-compatible server over a data directory. Call it as a WSGI app."""

    def __init__(self, data_dir: str, enable_faults: bool = False):
        os.makedirs(data_dir, exist_ok=True)
        self.data_dir = data_dir
        self.store = Store(os.path.join(data_dir, "state.sqlite3"))
        self.blobs = BlobStore(os.path.join(data_dir, "blobs"), self.store)
        self.auth = Auth(data_dir)
        self.commands = CommandRunner(self.store)
        self.faults = FaultSwitch() if enable_faults else None
        self.events = EventBus()
        self.extensions: dict = {}  # long-lived helpers of resource modules (e.g. the FaaS runtime)
        for name in RESOURCE_MODULES:  # modules with background machinery set it up here
            setup = getattr(importlib.import_module(f".resources.{name}", __package__), "setup", None)
            if setup:
                setup(self)
        self._verified: "OrderedDict[str, dict]" = OrderedDict()  # token -> claims, least recently used first
        self._verified_lock = threading.Lock()
        self._handlers = {}
        rules = []
        for i, r in enumerate(load_routes()):
            endpoint = f"r{i}"
            self._handlers[endpoint] = r
            rules.append(Rule(r.prefix + r.rule, methods=[r.method], endpoint=endpoint))
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)

    def close(self) -> None:
        self.commands.shutdown()
        for extension in self.extensions.values():
            close = getattr(extension, "close", None)
            if close:
                close()

    # -- WSGI ------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        environ.setdefault("wsgi.file_wrapper", file_wrapper)
        if "wsgi.input" in environ:
            environ["wsgi.input"] = BodyReader(environ["wsgi.input"])
        request = Request(environ)
        request.max_form_memory_size = 10 * 1024 * 1024
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        started = time.monotonic()
        try:
            fault = self.faults.match(request.method, request.path) if self.faults else None
            if fault is not None:
                fault_response = self._apply_fault(fault, request)
                if fault_response is not None:
                    return fault_response
            adapter = self.url_map.bind_to_environ(request.environ)
            endpoint, params = adapter.match()
            route = self._handlers[endpoint]
            claims = self._authenticate(request) if route.auth else None
            result = route.handler(Context(self, request, claims), **params)
            response = to_response(result)
        except EmulatorError as exc:
            response = error_response(exc.status, exc.message)
        except HTTPException as exc:
            response = error_response(exc.code or 500, exc.description or exc.name)
        except ConnectionAbortedError:  # an injected reset: the socket is gone, let the server drop it
            raise
        except Exception as exc:
            if disk_full(exc):  # storage-specific, not a bug
                logger.error("disk full on %s %s: %s", request.method, request.path, exc)
                response = error_response(507, f"Insufficient Storage: the emulator's disk is full ({exc})")
            else:  # a bug: answer 500 JSON and keep serving
                logger.error("unhandled error on %s %s:\n%s", request.method, request.path, traceback.format_exc())
                response = error_response(500, f"internal error: {type(exc).__name__}: {exc}")
        logger.debug("%s %s -> %s (%.1f ms)", request.method, request.path, response.status_code,
                     (time.monotonic() - started) * 1000)
        return response

    def _authenticate(self, request: Request) -> dict:
        header = request.environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing or malformed authorization header (expected 'Bearer <token>')")
        with self._verified_lock:
            claims = self._verified.get(token)
            if claims is not None:
                self._verified.move_to_end(token)
        if claims is None:  # first use: check the signature once, then remember the claims
            claims = self.auth.verify(token)
            with self._verified_lock:
                self._verified[token] = claims
                if len(self._verified) > VERIFIED_TOKENS:
                    self._verified.popitem(last=False)
        elif claims["exp"] <= time.time():
            raise Unauthorized("token expired")
        return claims

    def _apply_fault(self, fault, request: Request):
        if fault.action == "delay":
            time.sleep(fault.delay)
            return None
        if fault.action == "reset":
            sock = request.environ.get("dataloop.socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)  # cheroot closes it; closing it here breaks its selector
            raise ConnectionAbortedError("fault injected: connection reset")
        response = error_response(fault.status, f"fault injected: status {fault.status}")
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response


def disk_full(exc: BaseException) -> bool:
    """The data directory's disk (or quota) is full: from a file write or from SQLite."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)


class BodyReader:
    """``wsgi.input`` whose read errors (the server's complaint about a malformed chunked body) are a 400."""

    def __init__(self, stream):
        self._stream = stream

    def _guarded(self, read, *args):
        try:
            return read(*args)
        except ValueError as exc:
            raise BadRequest(f"malformed request body: {exc}") from None

    def read(self, *args):
        return self._guarded(self._stream.read, *args)

    def readline(self, *args):
        return self._guarded(self._stream.readline, *args)

    def readlines(self, *args):
        return self._guarded(self._stream.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name):  # anything else the server's stream offers
        return getattr(self._stream, name)


def file_wrapper(file, buffer_size: int = STREAM_BLOCK) -> FileWrapper:
    """``wsgi.file_wrapper`` for servers without one: files go out in large blocks, not werkzeug's 8 KiB."""
    return FileWrapper(file, max(buffer_size, STREAM_BLOCK))


def to_response(result) -> Response:
    """A handler returns a Response, a JSON-able body, ``(body, status)`` or ``(body, status, headers)``."""
    if isinstance(result, Response):
        return result
    status, headers = 200, {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    text = result if isinstance(result, dql.Serialized) else json.dumps(result)
    return Response(text, status=status, headers=headers, mimetype="application/json")


def error_response(status: int, message: str) -> Response:
    body = {"status": status, "message": message}
    return Response(json.dumps(body), status=status, mimetype="application/json")
