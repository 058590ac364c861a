"""Run the emulator over real HTTP: in-process (tests, demo) or as a foreground server (CLI)."""
from __future__ import annotations

import logging
import threading
from typing import Optional

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import Emulator
from .auth import DEFAULT_EMAIL, DEFAULT_TTL


class _QuietHandler(WSGIRequestHandler):
    """Access lines go to the emulator's logger at debug level instead of stderr."""

    def log_request(self, code="-", size="-"):
        logging.getLogger("dataloop_core.emulator.access").debug('"%s" %s %s', self.requestline, code, size)

    def log(self, type, message, *args):  # noqa: A002 - werkzeug's signature
        getattr(logging.getLogger("dataloop_core.emulator.access"), "warning" if type == "error" else "debug")(
            message, *args)


class EmulatorServer:
    """``EmulatorServer(data_dir).start()`` serves on 127.0.0.1 and a free port; ``.url`` is the gate root."""

    def __init__(self, data_dir: str, host: str = "127.0.0.1", port: int = 0, enable_faults: bool = False):
        self.emulator = Emulator(data_dir, enable_faults=enable_faults)
        self._server: BaseWSGIServer = make_server(host, port, self.emulator, threaded=True,
                                                   request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def token(self, email: str = DEFAULT_EMAIL, ttl: int = DEFAULT_TTL) -> str:
        """A token this server accepts."""
        return self.emulator.auth.issue(email, ttl)

    def start(self) -> "EmulatorServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.emulator.close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
