"""Run the emulator over real HTTP: in-process (tests, demo) or as a foreground server (CLI).

Served by cheroot: a thread pool with HTTP/1.1 keep-alive and streamed (also chunked) request bodies, reading and
writing its sockets through C-level file objects (cheroot's own are built on the pure-Python ``_pyio``).
"""
from __future__ import annotations

import io
import socket
import threading
from typing import Optional

from cheroot import makefile, server, wsgi

from .app import Emulator
from .auth import DEFAULT_EMAIL, DEFAULT_TTL
from .compression import GzipResponses

# Sized for load (50 concurrent clients, 0 resets: bench/bench_load.py); cheroot's defaults are a listen queue
# of 5 and 10 kept-alive connections, which reset connections under a few dozen clients.
THREADS, MAX_THREADS = 16, 64   # worker threads serving requests (idle kept-alive connections need none)
QUEUE_SIZE = 1024               # listen backlog: connections waiting to be accepted (capped by somaxconn)
KEEP_ALIVE = 1024               # idle kept-alive connections held open (each: one socket, no thread)
SOCKET_KEY = "dataloop.socket"  # the connection's socket, for the fault switch's "reset" action


class _SocketReader(io.BufferedReader):
    """A buffered reader of a socket in C (readline, read), with what cheroot asks of its own: ``has_data``."""

    def __init__(self, sock: socket.socket, bufsize: int):
        super().__init__(_CountingSocketIO(sock, "rb"), bufsize)

    @property
    def bytes_read(self) -> int:
        return self.raw.received

    def has_data(self) -> bool:
        """Bytes received but not read yet (a pipelined request): the position is what was read."""
        return self.raw.received > self.tell()


class _CountingSocketIO(socket.SocketIO):
    """A socket as a raw stream whose position is the bytes received so far."""

    received = 0

    def readinto(self, buffer) -> Optional[int]:
        count = super().readinto(buffer)
        self.received += count or 0
        return count

    def tell(self) -> int:
        return self.received


class _SocketWriter:
    """Each write goes out at once with ``sendall`` (cheroot's writer copies it twice on the way, in Python)."""

    def __init__(self, sock: socket.socket):
        self._sock, self.bytes_written = sock, 0

    def write(self, data) -> int:
        self._sock.sendall(data)
        self.bytes_written += len(data)
        return len(data)


def _socket_file(sock: socket.socket, mode: str = "r", bufsize: int = io.DEFAULT_BUFFER_SIZE):
    return _SocketReader(sock, bufsize) if "r" in mode else _SocketWriter(sock)


class _Connection(server.HTTPConnection):
    """A plain-HTTP connection on the C-level socket files (a TLS adapter's own files are kept)."""

    def __init__(self, http_server, sock, file_maker=makefile.MakeFile):
        super().__init__(http_server, sock, _socket_file if file_maker is makefile.MakeFile else file_maker)


class _Gateway(wsgi.Gateway_10):
    """Puts the socket in the environ; applies the fault switch's ``truncate`` rules (half the body, then close)."""

    def get_environ(self):
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.req.conn.socket
        faults = self.req.server.wsgi_app.app.faults
        self._truncate_left = None
        if faults is not None and faults.match(environ["REQUEST_METHOD"], environ["PATH_INFO"], truncate=True):
            self._truncate_left = -1  # set to half the body at its first write
        return environ

    def write(self, chunk):
        if self._truncate_left is None:
            return super().write(chunk)
        if self._truncate_left < 0:
            self._truncate_left = (self.remaining_bytes_out or len(chunk)) // 2
            self.req.close_connection = True
        chunk, self._truncate_left = chunk[:self._truncate_left], max(0, self._truncate_left - len(chunk))
        self.req.ensure_headers_sent()
        if chunk:
            self.req.write(chunk)


class EmulatorServer:
    """``EmulatorServer(data_dir).start()`` serves on 127.0.0.1 and a free port; ``.url`` is the gate root."""

    def __init__(self, data_dir: str, host: str = "127.0.0.1", port: int = 0, enable_faults: bool = False,
                 threads: int = THREADS, max_threads: int = MAX_THREADS, queue_size: int = QUEUE_SIZE,
                 keep_alive: int = KEEP_ALIVE):
        self.emulator = Emulator(data_dir, enable_faults=enable_faults)
        self._server = wsgi.Server((host, port), GzipResponses(self.emulator), numthreads=threads, max=max_threads,
                                   request_queue_size=queue_size, server_name="dataloop-emulator", timeout=60)
        self._server.keep_alive_conn_limit = keep_alive
        self._server.gateway = _Gateway
        self._server.ConnectionClass = _Connection
        self._server.prepare()  # binds now, so .url is known before start()
        faas = self.emulator.extensions.get("faas")
        if faas is not None:  # background runs (restored pipeline waits) call back here, whatever the port
            faas.api_url = self.url + "/api/v1"
        self._thread: Optional[threading.Thread] = None
        self._stop_lock = threading.Lock()
        self._stopped = False

    @property
    def url(self) -> str:
        host, port = self._server.bind_addr[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.bind_addr[1]

    def token(self, email: str = DEFAULT_EMAIL, ttl: int = DEFAULT_TTL) -> str:
        """A token this server accepts."""
        return self.emulator.auth.issue(email, ttl)

    def start(self) -> "EmulatorServer":
        self._thread = threading.Thread(target=self._server.serve, name="emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve()

    def stop(self) -> None:
        """Stop serving and release the emulator; safe to call more than once and from any thread (a second
        caller waits until the first one is done)."""
        with self._stop_lock:
            if self._stopped:
                return
            self._server.stop()
            self.emulator.close()
            if self._thread:
                self._thread.join(timeout=5)
            self._stopped = True

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
