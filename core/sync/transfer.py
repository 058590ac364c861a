"""File transfers of the sync engine: a one-pass hashed upload and a resumable, verified download.

Upload: one streamed multipart POST whose *last* field is ``metadata`` = ``{"user": {"sync": {"md5": ...}}}``;
the md5 is computed while the file part streams, so each file is read once. The JSON has a fixed length, so the
body still has a ``Content-Length``. Download: ``<target>.dlsync-part`` is appended to, resumed with ``Range``
across attempts *and runs*, verified (size, and md5 when the item has one), then renamed atomically.
"""
from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import posixpath
import queue
import threading
import uuid
from typing import Callable, Iterator, Optional, Tuple

from .._repository import path
from ..exceptions import SDKError

CHUNK = 1 << 20
IN_MEMORY_LIMIT = 1 << 20  # smaller files go out as one buffer (one send), larger ones stream in chunks
THREADED_HASH_LIMIT = 8 << 20  # larger downloads hash on a second core while the socket is read
PART_SUFFIX = ".dlsync-part"
HASH_ALGORITHM = "md5"
OnBytes = Callable[[int], None]


class CorruptTransfer(SDKError):
    """Sizes or hashes disagree after a transfer (transient: the engine retries)."""


def remote_hash(item: dict) -> Optional[str]:
    """The item's content md5: ours (``metadata.user.sync.md5``), else the platform's ``metadata.system.md5``."""
    metadata = item.get("metadata") or {}
    ours = ((metadata.get("user") or {}).get("sync") or {}).get(HASH_ALGORITHM)
    return ours or (metadata.get("system") or {}).get(HASH_ALGORITHM)


def remote_size(item: dict) -> Optional[int]:
    size = ((item.get("metadata") or {}).get("system") or {}).get("size")
    return int(size) if isinstance(size, (int, float)) else None


def hash_file(file_path: str, on_bytes: Optional[OnBytes] = None) -> Tuple[str, int]:
    """``(md5 hex, size)`` of a local file, read in 1 MiB chunks."""
    digest, size = hashlib.md5(), 0
    with open(file_path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                return digest.hexdigest(), size
            digest.update(chunk)
            size += len(chunk)
            if on_bytes:
                on_bytes(len(chunk))


class _BackgroundDigest:
    """An md5 fed through a bounded queue and computed on its own thread (hashlib releases the GIL)."""

    def __init__(self, digest, depth: int = 8):
        self._digest, self._queue = digest, queue.Queue(depth)
        self._thread = threading.Thread(target=self._run, name="sync-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for chunk in iter(self._queue.get, None):
            self._digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def hexdigest(self) -> str:
        self.close()
        return self._digest.hexdigest()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


class _HashedUploadBody:
    """multipart/form-data: ``type``, ``path``, the file part (hashed while read), then ``metadata``."""

    def __init__(self, file_path: str, remote_path: str, size: int, on_bytes: Optional[OnBytes]):
        self.boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        name = posixpath.basename(remote_path)
        quoted = name.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.preamble = (self._field("type", "file") + self._field("path", remote_path) +
                         f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"'
                         f'\r\nContent-Type: {mime}\r\n\r\n'.encode("utf-8"))
        self.file_path, self.size, self._on_bytes = file_path, size, on_bytes
        self.md5: Optional[str] = None
        self.sent = 0

    def _field(self, name: str, value: str) -> bytes:
        return (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode("utf-8")

    def _epilogue(self, md5_hex: str) -> bytes:
        metadata = json.dumps({"user": {"sync": {HASH_ALGORITHM: md5_hex}}}, separators=(",", ":"))
        return b"\r\n" + self._field("metadata", metadata) + f"--{self.boundary}--\r\n".encode()

    def __len__(self) -> int:
        return len(self.preamble) + self.size + len(self._epilogue("0" * 32))

    def whole(self) -> bytes:
        """The complete body in memory (for small files: one ``sendall`` instead of several)."""
        with open(self.file_path, "rb") as handle:
            data = handle.read(self.size + 1)
        if len(data) != self.size:
            raise CorruptTransfer("3001", f"file changed size while uploading ({len(data)} != {self.size} bytes)")
        self.md5, self.sent = hashlib.md5(data).hexdigest(), len(data)
        if self._on_bytes:
            self._on_bytes(len(data))
        return b"".join((self.preamble, data, self._epilogue(self.md5)))

    def __iter__(self) -> Iterator[bytes]:
        digest, self.sent = hashlib.md5(), 0
        yield self.preamble
        with open(self.file_path, "rb") as handle:
            while self.sent < self.size:
                chunk = handle.read(min(CHUNK, self.size - self.sent))
                if not chunk:
                    raise CorruptTransfer("3001", f"file shrank while uploading ({self.sent} < {self.size} bytes)")
                digest.update(chunk)
                self.sent += len(chunk)
                if self._on_bytes:
                    self._on_bytes(len(chunk))
                yield chunk
        self.md5 = digest.hexdigest()
        yield self._epilogue(self.md5)


def upload_file(transport, dataset_id: str, file_path: str, remote_path: str, size: int,
                on_bytes: Optional[OnBytes] = None) -> Tuple[dict, str]:
    """Upload (``mode=overwrite``) and verify size and hash; return ``(item_json, md5)``."""
    body = _HashedUploadBody(file_path, remote_path, size, on_bytes)
    data = body.whole if size <= IN_MEMORY_LIMIT else (lambda: body)
    response = transport.request("POST", path("/datasets/{}/items", dataset_id), params={"mode": "overwrite"},
                                 data=data, headers={"Content-Type": body.content_type})
    item = response.json()
    stored_size, stored_hash = remote_size(item), remote_hash(item)
    if stored_size != body.sent or (stored_hash is not None and stored_hash != body.md5):
        raise CorruptTransfer("3001", f"server stored {stored_size} bytes / md5 {stored_hash}, "
                                      f"sent {body.sent} bytes / md5 {body.md5}")
    return item, body.md5


def download_file(transport, item_id: str, target: str, size: Optional[int], md5_hex: Optional[str],
                  on_bytes: Optional[OnBytes] = None) -> str:
    """Download into ``target + PART_SUFFIX`` (resuming what is there), verify, rename; return the md5."""
    part = target + PART_SUFFIX
    os.makedirs(os.path.dirname(target), exist_ok=True)
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    if size is not None and offset > size:
        offset = 0
    digest = hashlib.md5()
    if offset:
        with open(part, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
    if not offset:
        open(part, "wb").close()
    if size is None or size - offset > THREADED_HASH_LIMIT:
        digest = _BackgroundDigest(digest)
    try:
        offset = _receive(transport, item_id, part, offset, digest, on_bytes) if size is None or offset < size \
            else offset
        got = digest.hexdigest()
    finally:
        if isinstance(digest, _BackgroundDigest):
            digest.close()
    if size is not None and offset != size:
        if offset > size:
            os.remove(part)
        raise CorruptTransfer("3001", f"received {offset} of {size} bytes")
    if md5_hex is not None and got != md5_hex:
        os.remove(part)
        raise CorruptTransfer("3001", f"md5 {got} != expected {md5_hex}")
    os.replace(part, target)
    return got


def _receive(transport, item_id: str, part: str, offset: int, digest, on_bytes: Optional[OnBytes]) -> int:
    """Append the item's bytes from ``offset`` to ``part``; return the new length of ``part``."""
    with open(part, "r+b" if offset else "wb") as handle:
        handle.seek(offset)
        handle.truncate()
        response = transport.request("GET", path("/items/{}/stream", item_id), stream=True,
                                     headers={"Range": f"bytes={offset}-", "x-dl-sanitize": "0"})
        with response:
            if offset and response.status_code != 206:  # the server ignored Range: the retry starts over
                handle.seek(0)
                handle.truncate()
                raise CorruptTransfer("3001", "the server ignored the Range request")
            for chunk in response.iter_content(CHUNK):
                handle.write(chunk)
                digest.update(chunk)
                offset += len(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
    return offset
