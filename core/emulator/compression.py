"""gzip of JSON responses for clients that accept it (``Accept-Encoding: gzip``), as a web gateway does.

A listing page of 1,000 items is ~0.5-1 MB of JSON and ~20-60 KB gzipped: at a real round trip most of its
transfer time goes away. Only whole JSON bodies are compressed (binaries and streams pass untouched); requests
without ``Accept-Encoding: gzip`` (the official SDK sends none) get the same bytes as before.
"""
from __future__ import annotations

import zlib

MIN_SIZE = 4096  # smaller bodies (an item's JSON, an upload's answer) fit in a few packets either way
LEVEL = 1        # ~20x on listing JSON at ~4 ms per MB of one core; higher levels gain little more


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (``gzip`` or ``*`` without ``q=0``)."""
    allowed = {}
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        q = params.strip()
        try:
            allowed[coding.strip()] = float(q[2:]) > 0 if q.startswith("q=") else True
        except ValueError:
            allowed[coding.strip()] = False
    return allowed.get("gzip", allowed.get("*", False))


def gzip_bytes(data: bytes, level: int = LEVEL) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # wbits 31: gzip header and trailer
    return compressor.compress(data) + compressor.flush()


class GzipResponses:
    """WSGI middleware around ``app`` (kept as ``.app``): gzips JSON bodies of ``MIN_SIZE`` bytes or more."""

    def __init__(self, app, min_size: int = MIN_SIZE, level: int = LEVEL):
        self.app, self.min_size, self.level = app, min_size, level

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "HEAD" or not accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            return self.app(environ, start_response)
        started = []

        def capture(status, headers, exc_info=None):
            started[:] = [status, headers, exc_info]
            return _no_write

        body = self.app(environ, capture)
        status, headers, exc_info = started
        if not self._compressible(status, headers):
            start_response(status, headers, exc_info)
            return body
        try:
            data = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        if len(data) < self.min_size:
            start_response(status, headers, exc_info)
            return [data]
        data = gzip_bytes(data, self.level)
        vary = ", ".join([v for k, v in headers if k.lower() == "vary"] + ["Accept-Encoding"])
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "vary")]
        headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(data))), ("Vary", vary)]
        start_response(status, headers, exc_info)
        return [data]

    @staticmethod
    def _compressible(status: str, headers) -> bool:
        named = {k.lower(): v for k, v in headers}
        return (status[:3] not in ("204", "206", "304") and "content-encoding" not in named
                and named.get("content-type", "").split(";")[0].strip() == "application/json"
                and "content-length" in named)  # a whole body, not a stream


def _no_write(chunk: bytes) -> None:
    raise RuntimeError("the WSGI write() callable is not supported under GzipResponses")
