"""Transfer primitives: one streamed multipart upload, one resumable download, path-safe local targets.

``Items.upload``, ``Items.download`` and the sync engine are built on these three functions.
"""
from __future__ import annotations

import io
import json
import logging
import mimetypes
import os
import posixpath
import re
import uuid
from typing import BinaryIO, Callable, Iterator, Optional, Tuple, Union

import requests

from ._repository import path
from .exceptions import PlatformException, SDKError

logger = logging.getLogger("dataloop_core.transfer")

CHUNK = 1 << 20
UPLOAD_MODES = ("skip", "overwrite")
MAX_STALLED_RESUMES = 3
Source = Union[str, bytes, bytearray, BinaryIO]
_DRIVE = re.compile(r"^[A-Za-z]:")


# -- paths -----------------------------------------------------------------------------------------
def safe_join(root: str, remote_path: str) -> str:
    """``root`` joined with a platform path (``/a/b.png``); ``ValueError`` if the result could leave ``root``."""
    if not isinstance(remote_path, str) or not remote_path.strip("/"):
        raise ValueError(f"unsafe remote path {remote_path!r}: empty")
    problem = ("NUL byte" if "\x00" in remote_path else "backslash" if "\\" in remote_path
               else "drive letter" if _DRIVE.match(remote_path.lstrip("/")) else None)
    parts = remote_path.strip("/").split("/")
    if problem is None and any(p in ("..", ".") for p in parts):
        problem = "'..' or '.' segment"
    if problem:
        raise ValueError(f"unsafe remote path {remote_path!r}: {problem}")
    root = os.path.abspath(root)
    target = os.path.abspath(os.path.join(root, *[p for p in parts if p]))
    if os.path.commonpath([root, target]) != root or target == root:
        raise ValueError(f"unsafe remote path {remote_path!r}: resolves outside {os.path.basename(root)!r}")
    return target


def normalize_remote_path(remote_path: str) -> str:
    """A remote file path as the platform stores it: forward slashes, one leading ``/``, no ``..``."""
    if not remote_path or "\x00" in remote_path or "\\" in remote_path:
        raise ValueError(f"invalid remote path {remote_path!r}")
    parts = [p for p in remote_path.split("/") if p]
    if not parts or any(p in ("..", ".") for p in parts):
        raise ValueError(f"invalid remote path {remote_path!r}")
    return "/" + "/".join(parts)


# -- upload ----------------------------------------------------------------------------------------
class _MultipartBody:
    """A multipart/form-data body of known length that streams the file part in 1 MiB chunks.

    ``len()`` lets requests send ``Content-Length`` (no chunked encoding); ``sent`` counts file bytes read.
    """

    def __init__(self, fields: list, filename: str, opener: Callable[[], Tuple[BinaryIO, bool]],
                 size: Optional[int]):
        self.boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        head = b"".join(self._field(name, value) for name, value in fields)
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
        self.preamble = head + (f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; '
                                f'filename="{quoted}"\r\nContent-Type: {mime}\r\n\r\n').encode("utf-8")
        self.epilogue = f"\r\n--{self.boundary}--\r\n".encode()
        self._opener = opener
        self.size = size
        self.sent = 0

    def _field(self, name: str, value: str) -> bytes:
        return (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode("utf-8")

    def __len__(self) -> int:
        return len(self.preamble) + self.size + len(self.epilogue)

    def __iter__(self) -> Iterator[bytes]:
        self.sent = 0
        yield self.preamble
        handle, close = self._opener()
        try:
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    break
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                self.sent += len(chunk)
                if self.size is not None and self.sent > self.size:
                    raise SDKError("3001", f"upload source grew while uploading ({self.sent} > {self.size} bytes)")
                yield chunk
        finally:
            if close:
                handle.close()
        yield self.epilogue


def _opener_for(source: Source) -> Tuple[Callable[[], Tuple[BinaryIO, bool]], Optional[int]]:
    """A function re-opening ``source`` at its start for each attempt, and its size when known."""
    if isinstance(source, (str, os.PathLike)):
        file_path = os.fspath(source)
        if not os.path.isfile(file_path):
            raise ValueError(f"not a file: {file_path!r}")
        return (lambda: (open(file_path, "rb"), True)), os.path.getsize(file_path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return (lambda: (io.BytesIO(data), True)), len(data)
    if hasattr(source, "read"):
        start, size = None, None
        try:
            if source.seekable():
                start = source.tell()
                size = source.seek(0, os.SEEK_END) - start
                source.seek(start)
        except (AttributeError, OSError, ValueError):
            start = None
        if isinstance(source, io.TextIOBase):
            size = None  # characters, not bytes

        def reopen():
            if start is not None:
                source.seek(start)
            return source, False
        return reopen, size
    raise ValueError(f"cannot upload a {type(source).__name__}: pass a path, bytes or a binary file object")


def upload_one(transport, dataset_id: str, source: Source, remote_path: str, mode: str = "skip",
               item_metadata: Optional[dict] = None, item_description: Optional[str] = None,
               timeout=None) -> Tuple[dict, str]:
    """Upload one file as one streamed multipart POST; return ``(item_json, op)`` (op from ``x-item-op``).

    The item's ``metadata.system.size`` must equal the bytes sent; otherwise the item is deleted and, when the
    server kept an older, different item (``mode=skip``), the file is uploaded once more (as the SDK does).
    """
    if mode not in UPLOAD_MODES:
        raise ValueError(f"mode must be one of {UPLOAD_MODES}, got {mode!r}")
    remote_path = normalize_remote_path(remote_path)
    opener, size = _opener_for(source)
    fields = [("type", "file"), ("path", remote_path)]
    if item_metadata is not None:
        if not isinstance(item_metadata, dict):
            raise ValueError(f"item_metadata must be a dict, got {type(item_metadata).__name__}")
        fields.append(("metadata", json.dumps(item_metadata)))
    if item_description is not None:
        fields.append(("description", str(item_description)))
    filename = posixpath.basename(remote_path)
    for attempt in (1, 2):
        body = _MultipartBody(fields, filename, opener, size)
        # known length → Content-Length; unknown (a pipe) → a bare generator, sent with chunked encoding
        response = transport.request(
            "POST", path("/datasets/{}/items", dataset_id), params={"mode": mode},
            data=lambda: body if size is not None else iter(body),
            headers={"Content-Type": body.content_type}, timeout=timeout)
        item = response.json()
        op = response.headers.get("x-item-op", "na")
        remote_size = ((item.get("metadata") or {}).get("system") or {}).get("size")
        if remote_size == body.sent:
            return item, op
        transport.request("DELETE", path("/items/{}", item["id"]))
        if op != "skip" or attempt == 2:
            raise SDKError("3001", f"upload of {remote_path} is corrupt: sent {body.sent} bytes, "
                                   f"server stored {remote_size}; the item was deleted")
        logger.info("existing %s has a different size (%s != %s): replacing it", remote_path, remote_size,
                    body.sent)
    raise AssertionError("unreachable")


# -- download --------------------------------------------------------------------------------------
def _expected_size(item_json: dict) -> Optional[int]:
    size = ((item_json.get("metadata") or {}).get("system") or {}).get("size")
    return int(size) if isinstance(size, (int, float)) else None


def stream_into(transport, item_json: dict, handle: BinaryIO, chunk_size: int = CHUNK) -> int:
    """Write an item's binary into an open file (from its current position), resuming with ``Range`` on short
    reads; return the number of bytes written. Verifies ``metadata.system.size`` when present."""
    expected = _expected_size(item_json)
    start = handle.tell()
    written, stalled = 0, 0
    while True:
        offset = written
        try:
            response = transport.request("GET", path("/items/{}/stream", item_json["id"]), stream=True,
                                         headers={"Range": f"bytes={offset}-", "x-dl-sanitize": "0"})
            with response:
                if offset and response.status_code != 206:  # server ignored Range: start over
                    handle.seek(start)
                    handle.truncate()
                    written = 0
                for chunk in response.iter_content(chunk_size):
                    handle.write(chunk)
                    written += len(chunk)
                    if expected is not None and written > expected:
                        break
        except (requests.RequestException, PlatformException) as exc:
            if isinstance(exc, PlatformException) and not isinstance(exc, SDKError):
                raise
            logger.info("download of %s interrupted at %d bytes: %s", item_json["id"], written, type(exc).__name__)
        if expected is None or written == expected:
            return written
        if written > expected:
            raise SDKError("3001", f"downloaded file is corrupted: {written} bytes, expected {expected} "
                                   f"(item {item_json['id']})")
        stalled = 0 if written > offset else stalled + 1
        if stalled >= MAX_STALLED_RESUMES:
            raise SDKError("3001", f"download of item {item_json['id']} stopped at {written} of {expected} bytes")


def download_one(transport, item_json: dict, target_path: str, overwrite: bool = False,
                 chunk_size: int = CHUNK) -> str:
    """Download an item to ``target_path`` via ``<target>.download`` and an atomic rename; return the path.

    An existing target is kept unless ``overwrite``. A partial file never appears under the final name.
    """
    if os.path.exists(target_path) and not overwrite:
        return target_path
    directory = os.path.dirname(os.path.abspath(target_path))
    os.makedirs(directory, exist_ok=True)
    temp_path = target_path + ".download"
    try:
        with open(temp_path, "wb") as handle:
            stream_into(transport, item_json, handle, chunk_size)
        os.replace(temp_path, target_path)
    except BaseException:
        try:
            os.remove(temp_path)
        except OSError:
            pass
        raise
    return target_path


def download_bytes(transport, item_json: dict) -> io.BytesIO:
    """An item's binary in memory, named after the item (``save_locally=False``)."""
    buffer = io.BytesIO()
    stream_into(transport, item_json, buffer)
    buffer.seek(0)
    buffer.name = item_json.get("name") or item_json["id"]
    return buffer
