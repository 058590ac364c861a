"""Transfers of item binaries: one streamed multipart upload, one resumable verified download, safe local paths.

``Items.upload``, ``Items.download`` and the sync engine (``core/sync``) all go through this module.

Upload (:func:`upload_one`): one multipart POST — ``type``, ``path``, ``description``, the file part, then
``metadata``. A source of known size goes with ``Content-Length`` (small ones as a single buffer), one of unknown
size (a pipe) with chunked encoding. With ``with_md5`` the file's md5 is computed while it streams and sent in
the trailing ``metadata`` field as ``metadata.user.sync.md5`` (what the platform's and our change detection
compare); a big file (``BIG_FILE``) also gets ``metadata.user.sync.blake3``, which downloads verify instead:
BLAKE3 is as collision-resistant as sha256 and hashes ~8x faster than md5 (~3.6x sha256) on one core, which a
verified pull shares with its socket and the server on a small machine. Items uploaded before carry a ``sha256``
there, verified the same way. The JSON has a fixed length, so the body length is still known up front. The stored
``metadata.system.size`` must equal the bytes sent.

Download (:func:`download_file`): into a part file in a hidden staging folder beside the target
(:func:`part_path`: ``.dataloop-partial/<sha256 of the name>.part``, so it never collides with an item's name and
always fits, whatever the name's length), resumed with ``Range`` across attempts *and* runs, verified (size, and
the item's BLAKE3, sha256 or md5 when known), renamed atomically: a partial file never appears under a final name.
The socket is read into reusable buffers (no per-chunk allocation or copy), hashed on a second thread for big files.
``.dataloop-partial`` is reserved: :func:`safe_join` refuses remote paths through it, and sync's local scan
skips it.
"""
from __future__ import annotations

import copy
import hashlib
import http.client
import io
import json
import logging
import mimetypes
import os
import posixpath
import queue
import re
import stat
import threading
import uuid
from typing import BinaryIO, Callable, Iterator, Optional, Tuple, Union

import requests
import urllib3
from blake3 import blake3

from ._repository import path
from .exceptions import APIConnectionError, PlatformException, SDKError

logger = logging.getLogger("dataloop_core.transfer")

CHUNK = 1 << 20                 # upload read size
READ_SIZE = 1 << 20             # download buffer size (fits a core's cache: written, then hashed from it)
IN_MEMORY_LIMIT = 1 << 20       # smaller uploads go out as one buffer (one send)
BIG_FILE = 8 << 20              # uploads this large also carry a BLAKE3; downloads this large hash on a 2nd core
HASH_BUFFERS = 8                # download buffers in flight between the socket and the hashing thread
# bytes per write() of a download, as curl's: the page cache then fills with small folios, which the kernel takes
# from memory just freed. A 1 MiB write asks for large folios, carved from free blocks that a VM may have handed
# back to its host and must fault in again (1 GiB to disk here: 651-767 MB/s in 16 KB writes, 203-427 in 1 MiB)
WRITE_SIZE = 16 << 10
PART_OPEN_ATTEMPTS = 100        # makedirs+open of a part file, raced by downloads that remove its empty folder
STAGING_DIR = ".dataloop-partial"   # beside each download target: its part file (reserved, never an item path)
HASH_ALGORITHM = "md5"           # the content hash the platform and change detection compare
# what a download verifies instead of the md5 when the item carries it (ours, big files), the fastest first:
# uploads store the first; the others are what earlier uploads stored
FAST_ALGORITHMS = ("blake3", "sha256")
HASHERS = {HASH_ALGORITHM: hashlib.md5, "blake3": blake3, "sha256": hashlib.sha256}  # constructors, called directly
UPLOAD_MODES = ("skip", "overwrite")
MAX_STALLED_RESUMES = 3
Source = Union[str, bytes, bytearray, BinaryIO]
OnBytes = Callable[[int], None]
_DRIVE = re.compile(r"^[A-Za-z]:")
_STREAM_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, APIConnectionError)
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class CorruptTransfer(SDKError):
    """Sizes or hashes disagree after a transfer, or a download stopped short (transient: worth a retry)."""


def is_transient(exc: BaseException) -> bool:
    """Network trouble, corrupt transfers and 408/429/5xx are worth a retry; local I/O errors and 4xx are not."""
    if isinstance(exc, (APIConnectionError, CorruptTransfer, requests.RequestException)):
        return True
    if isinstance(exc, PlatformException):
        return exc.status in TRANSIENT_STATUSES
    return False


# -- item metadata ---------------------------------------------------------------------------------
def remote_size(item: dict) -> Optional[int]:
    size = ((item.get("metadata") or {}).get("system") or {}).get("size")
    return int(size) if isinstance(size, (int, float)) else None


def remote_hash(item: dict) -> Optional[str]:
    """The item's content md5: ours (``metadata.user.sync.md5``), else the platform's ``metadata.system.md5``."""
    metadata = item.get("metadata") or {}
    return _ours(item, HASH_ALGORITHM) or (metadata.get("system") or {}).get(HASH_ALGORITHM)


def remote_digest(item: dict) -> Optional[str]:
    """``"blake3:<hex>"`` (or ``"sha256:<hex>"``) when our upload stored one (``metadata.user.sync``, big files),
    else ``None``: what a download of the item verifies instead of the md5."""
    for algorithm in FAST_ALGORITHMS:
        value = _ours(item, algorithm)
        if value:
            return f"{algorithm}:{value}"
    return None


def _ours(item: dict, algorithm: str) -> Optional[str]:
    value = (((item.get("metadata") or {}).get("user") or {}).get("sync") or {}).get(algorithm)
    return value if isinstance(value, str) else None


def hash_file(file_path: str, on_bytes: Optional[OnBytes] = None) -> Tuple[str, int]:
    """``(md5 hex, size)`` of a local file, read in 1 MiB chunks."""
    digest, size = hashlib.md5(), 0
    with open(file_path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return digest.hexdigest(), size


# -- paths -----------------------------------------------------------------------------------------
def is_utf8(name: str) -> bool:
    """False for a local name holding bytes that are not UTF-8 (Python hands them over as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(name: str) -> str:
    """A local name for messages: undecodable bytes (or stray surrogates) shown escaped (``bad\\xff.txt``)."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no undecodable byte stands for
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def safe_join(root: str, remote_path: str) -> str:
    """``root`` joined with a platform path (``/a/b.png``); ``ValueError`` if the result could leave ``root``."""
    if not isinstance(remote_path, str) or not remote_path.strip("/"):
        raise ValueError(f"unsafe remote path {remote_path!r}: empty")
    problem = ("NUL byte" if "\x00" in remote_path else "backslash" if "\\" in remote_path
               else "drive letter" if _DRIVE.match(remote_path.lstrip("/")) else None)
    parts = remote_path.strip("/").split("/")
    if problem is None and any(p in ("..", ".") for p in parts):
        problem = "'..' or '.' segment"
    if problem is None and STAGING_DIR in parts:
        problem = f"{STAGING_DIR!r} is reserved for partial downloads"
    if problem:
        raise ValueError(f"unsafe remote path {remote_path!r}: {problem}")
    root = os.path.abspath(root)
    target = os.path.abspath(os.path.join(root, *[p for p in parts if p]))
    if os.path.commonpath([root, target]) != root or target == root:
        raise ValueError(f"unsafe remote path {remote_path!r}: resolves outside {os.path.basename(root)!r}")
    return target


def normalize_remote_path(remote_path: str, allow_root: bool = False) -> str:
    """A remote path as the platform stores it: forward slashes, one leading ``/``, no ``.``/``..`` segments.

    ``"/"`` itself (a folder, not a file) only with ``allow_root``. Names the platform refuses (backslashes)
    are left to its 400.
    """
    if not remote_path or "\x00" in remote_path:
        raise ValueError(f"invalid remote path {remote_path!r}")
    if not is_utf8(remote_path):
        raise ValueError(f"invalid remote path '{printable(remote_path)}': not valid UTF-8")
    parts = [p for p in remote_path.split("/") if p]
    if any(p in ("..", ".") for p in parts):
        raise ValueError(f"invalid remote path {remote_path!r}: '.' and '..' are not allowed")
    if not parts and not allow_root:
        raise ValueError(f"invalid remote path {remote_path!r}: no file name")
    return "/" + "/".join(parts)


# -- upload ----------------------------------------------------------------------------------------
def _opener_for(source: Source) -> Tuple[Callable[[], Tuple[BinaryIO, bool]], Optional[int]]:
    """A function re-opening ``source`` at its start for each attempt (-> handle, close it?), and its size."""
    if isinstance(source, (str, os.PathLike)):
        file_path = os.fspath(source)
        try:
            info = os.stat(file_path)
        except OSError:
            info = None
        if info is None or not stat.S_ISREG(info.st_mode):
            raise ValueError(f"not a file: {file_path!r}")
        return (lambda: (open(file_path, "rb"), True)), info.st_size
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


def _metadata_template(item_metadata: Optional[dict], algorithms: Tuple[str, ...]) -> Optional[Tuple[str, dict]]:
    """``(json, {algorithm: placeholder})``: the ``metadata`` field with a placeholder as long as each hex digest
    where that digest goes (``metadata.user.sync.<algorithm>``)."""
    if item_metadata is None and not algorithms:
        return None
    if item_metadata is not None and not isinstance(item_metadata, dict):
        raise ValueError(f"item_metadata must be a dict, got {type(item_metadata).__name__}")
    metadata = copy.deepcopy(item_metadata) if item_metadata is not None else {}
    placeholders = {name: uuid.uuid4().hex * (HASHERS[name]().digest_size // 16) for name in algorithms}
    if algorithms:
        user = metadata["user"] = dict(metadata.get("user") or {})
        user["sync"] = dict(user.get("sync") or {}, **placeholders)
    return json.dumps(metadata, separators=(",", ":")), placeholders


class _MultipartBody:
    """A multipart/form-data body that streams the file part in 1 MiB chunks, hashing it when asked.

    ``len()`` (known sizes) lets requests send ``Content-Length``; ``sent`` counts the file bytes read;
    ``digests`` holds the hex digest of each algorithm of the metadata template once the file part was read.
    """

    def __init__(self, fields: list, filename: str, opener: Callable[[], Tuple[BinaryIO, bool]],
                 size: Optional[int], metadata: Optional[Tuple[str, dict]], on_bytes: Optional[OnBytes]):
        self.boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
        self.preamble = b"".join(self._field(name, value) for name, value in fields) + (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            f'Content-Type: {mime}\r\n\r\n').encode("utf-8")
        self._metadata, self._opener, self._on_bytes = metadata, opener, on_bytes
        self._algorithms = tuple(metadata[1]) if metadata is not None else ()
        self.size = size
        self.sent = 0
        self.digests: dict = {}

    def _field(self, name: str, value: str) -> bytes:
        return (f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode("utf-8")

    def _epilogue(self) -> bytes:
        """The closing fields; each digest replaces its placeholder (of the same length) once known."""
        tail = f"--{self.boundary}--\r\n".encode()
        if self._metadata is None:
            return b"\r\n" + tail
        text, placeholders = self._metadata
        for name, hex_digest in self.digests.items():
            text = text.replace(placeholders[name], hex_digest, 1)
        return b"\r\n" + self._field("metadata", text) + tail

    def __len__(self) -> int:
        return len(self.preamble) + self.size + len(self._epilogue())

    def _chunks(self) -> Iterator[bytes]:
        """The file's bytes (hashed when asked), checked against the announced size."""
        hashers = [HASHERS[name]() for name in self._algorithms]
        self.sent, self.digests = 0, {}
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
                    raise CorruptTransfer("3001", f"upload source grew while uploading ({self.sent} > {self.size} "
                                                  f"bytes)")
                for hasher in hashers:
                    hasher.update(chunk)
                if self._on_bytes:
                    self._on_bytes(len(chunk))
                yield chunk
        finally:
            if close:
                handle.close()
        if self.size is not None and self.sent < self.size:
            raise CorruptTransfer("3001", f"upload source shrank while uploading ({self.sent} < {self.size} bytes)")
        self.digests = {hasher.name: hasher.hexdigest() for hasher in hashers}

    def whole(self) -> bytes:
        """The complete body in memory (small files: one ``sendall`` instead of several)."""
        data = b"".join(self._chunks())
        return b"".join((self.preamble, data, self._epilogue()))

    def __iter__(self) -> Iterator[bytes]:
        yield self.preamble
        yield from self._chunks()
        yield self._epilogue()


def upload_one(transport, dataset_id: str, source: Source, remote_path: str, mode: str = "skip",
               item_metadata: Optional[dict] = None, item_description: Optional[str] = None, timeout=None,
               with_md5: bool = False, on_bytes: Optional[OnBytes] = None) -> Tuple[dict, str]:
    """Upload one file as one streamed multipart POST, verify what the server stored; return ``(item, op)``.

    ``op`` is the server's ``x-item-op`` (created, overwrite, skip). ``skip`` (``mode="skip"`` and an item of
    that name exists, whatever its size) returns the existing item untouched: nothing stored is ever deleted,
    replaced or modified. Otherwise the item's ``metadata.system.size`` must equal the bytes sent and, with
    ``with_md5``, its ``metadata.user.sync.md5`` (and, for a big file, ``.blake3``) the digest of those bytes
    (so ``remote_hash(item)`` is the content's hash); if not, the item just written is deleted and
    :class:`CorruptTransfer` raised.
    """
    if mode not in UPLOAD_MODES:
        raise ValueError(f"mode must be one of {UPLOAD_MODES}, got {mode!r}")
    remote_path = normalize_remote_path(remote_path)
    opener, size = _opener_for(source)
    fields = [("type", "file"), ("path", remote_path)]
    if item_description is not None:
        fields.append(("description", str(item_description)))
    algorithms = ((HASH_ALGORITHM, FAST_ALGORITHMS[0]) if size is not None and size >= BIG_FILE else (HASH_ALGORITHM,)
                  ) if with_md5 else ()
    metadata = _metadata_template(item_metadata, algorithms)
    body = _MultipartBody(fields, posixpath.basename(remote_path), opener, size, metadata, on_bytes)
    # small: one buffer; known length: Content-Length; unknown (a pipe): a bare generator, sent chunked
    data = (body.whole if size is not None and size <= IN_MEMORY_LIMIT
            else (lambda: body) if size is not None else (lambda: iter(body)))
    # ``mode`` is one of UPLOAD_MODES: written into the path, it spares requests' per-request params encoding
    response = transport.request("POST", path("/datasets/{}/items", dataset_id) + "?mode=" + mode,
                                 data=data, headers={"Content-Type": body.content_type}, timeout=timeout)
    item = response.json()
    op = response.headers.get("x-item-op", "na")
    if op == "skip":
        logger.info("skipped %s: an item with that name exists (overwrite=False)", remote_path)
        return item, op
    stored = {name: _ours(item, name) for name in body.digests}
    if remote_size(item) == body.sent and stored == body.digests:
        return item, op
    transport.request("DELETE", path("/items/{}", item["id"]))
    raise CorruptTransfer("3001", f"upload of {remote_path} is corrupt: sent {body.sent} bytes "
                                  f"({_described(body.digests)}), server stored {remote_size(item)} "
                                  f"({_described(stored)}); the item was deleted")


def _described(digests: dict) -> str:
    return ", ".join(f"{name} {value}" for name, value in digests.items()) or "not hashed"


# -- download ----------------------------------------------------------------------------------------
class _BackgroundDigest:
    """A hash computed on its own thread (hashlib releases the GIL) over reusable buffers.

    :meth:`buffer` hands out one of ``HASH_BUFFERS`` buffers (waiting while all are queued for hashing);
    :meth:`update` queues bytes, and a handed-out buffer goes back to the pool once hashed.
    """

    def __init__(self, algorithm: str, buffer_size: int):
        self._digest, self._queue, self._free = HASHERS[algorithm](), queue.Queue(HASH_BUFFERS), queue.Queue()
        for _ in range(HASH_BUFFERS):
            self._free.put(bytearray(buffer_size))
        self._thread = threading.Thread(target=self._run, name="transfer-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for data, pooled in iter(self._queue.get, None):
            self._digest.update(data)
            if pooled is not None:
                self._free.put(pooled)

    def buffer(self) -> bytearray:
        return self._free.get()

    def update(self, data, pooled: Optional[bytearray] = None) -> None:
        self._queue.put((data, pooled))

    def hexdigest(self) -> str:
        self.close()
        return self._digest.hexdigest()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


class _Sink:
    """Where downloaded bytes go: a file or buffer (already holding ``offset`` bytes), an optional hash
    (``algorithm``; on a second thread when ``threaded``), progress. :meth:`buffer` and :meth:`write_buffer`
    receive into reusable buffers; :meth:`write` takes bytes from elsewhere."""

    def __init__(self, handle: BinaryIO, offset: int, algorithm: Optional[str], threaded: bool,
                 on_bytes: Optional[OnBytes], buffer_size: int = READ_SIZE):
        self.handle, self.length, self._on_bytes = handle, offset, on_bytes
        self._algorithm, self._threaded, self.buffer_size = algorithm, threaded, buffer_size
        self._own_buffer: Optional[bytearray] = None
        self.digest = self._new_digest()
        if self.digest is not None and offset:
            handle.seek(0)
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                self.digest.update(chunk)
        handle.seek(offset)
        handle.truncate()

    def _new_digest(self):
        if self._algorithm is None:
            return None
        if self._threaded:
            return _BackgroundDigest(self._algorithm, self.buffer_size)
        return HASHERS[self._algorithm]()

    def buffer(self) -> bytearray:
        """A buffer to receive into (pass it, filled, to :meth:`write_buffer`)."""
        if isinstance(self.digest, _BackgroundDigest):
            return self.digest.buffer()
        if self._own_buffer is None:
            self._own_buffer = bytearray(self.buffer_size)
        return self._own_buffer

    def write_buffer(self, buffer: bytearray, count: int) -> None:
        """Take the first ``count`` bytes of a buffer from :meth:`buffer` (which then belongs to the sink again)."""
        data = memoryview(buffer)[:count]
        self._store(data)
        if isinstance(self.digest, _BackgroundDigest):
            self.digest.update(data, buffer)
        elif self.digest is not None:
            self.digest.update(data)
        self._counted(count)

    def release(self, buffer: bytearray) -> None:
        """Give back a buffer from :meth:`buffer` that received nothing."""
        if isinstance(self.digest, _BackgroundDigest):
            self.digest.update(b"", buffer)

    def write(self, chunk: bytes) -> None:
        self._store(memoryview(chunk))
        if self.digest is not None:
            self.digest.update(chunk)
        self._counted(len(chunk))

    def _store(self, data: memoryview) -> None:
        for start in range(0, len(data), WRITE_SIZE):
            self.handle.write(data[start:start + WRITE_SIZE])

    def _counted(self, count: int) -> None:
        self.length += count
        if self._on_bytes:
            self._on_bytes(count)

    def restart(self) -> None:
        """Drop what was received (the server ignored ``Range`` and sends everything again)."""
        self.close()
        self.handle.seek(0)
        self.handle.truncate()
        self.length, self.digest = 0, self._new_digest()

    def hexdigest(self) -> Optional[str]:
        return self.digest.hexdigest() if self.digest is not None else None

    def close(self) -> None:
        if isinstance(self.digest, _BackgroundDigest):
            self.digest.close()


def _receive(response: requests.Response, sink: _Sink, size: Optional[int]) -> None:
    """Move the response body into the sink: straight from the socket into the sink's buffers when the body is
    sent as it is stored (no ``Content-Encoding``), else through urllib3's decoding reads."""
    raw = response.raw
    fp = getattr(raw, "_fp", None)  # the http.client response under urllib3's: its readinto fills our buffer
    if response.headers.get("Content-Encoding") or not callable(getattr(fp, "readinto", None)):
        for chunk in iter(lambda: raw.read(sink.buffer_size, decode_content=True), b""):
            sink.write(chunk)
            if size is not None and sink.length > size:
                return
        return
    while size is None or sink.length <= size:
        buffer = sink.buffer()
        try:
            count = fp.readinto(buffer)
        except (http.client.HTTPException, OSError) as exc:  # what urllib3's reads map to its own errors
            sink.release(buffer)
            raise APIConnectionError("3001", f"download interrupted: {type(exc).__name__}") from None
        if not count:
            sink.release(buffer)
            break
        sink.write_buffer(buffer, count)
    if fp.isclosed() and not fp.length:  # all of the body was read: the connection goes back to the pool
        raw.release_conn()


def _fill(transport, item_id: str, sink: _Sink, size: Optional[int]) -> None:
    """Receive the item's bytes from ``sink.length`` on, resuming with ``Range`` after short reads."""
    stalled = 0
    while size is None or sink.length < size:
        offset = sink.length
        try:
            response = transport.request("GET", path("/items/{}/stream", item_id), stream=True,
                                         headers={"Range": f"bytes={offset}-", "x-dl-sanitize": "0"})
            with response:
                if offset and response.status_code != 206:  # the server ignored Range: start over
                    sink.restart()
                _receive(response, sink, size)
                if size is not None and sink.length > size:
                    return
            if size is None:
                return
        except _STREAM_ERRORS as exc:
            logger.info("download of %s interrupted at %d bytes: %s", item_id, sink.length, type(exc).__name__)
        except PlatformException as exc:
            if exc.status != 416:
                raise
            sink.restart()  # nothing past ``offset``: the item is shorter than expected (or changed)
            raise CorruptTransfer("3001", f"item {item_id} has no bytes past {offset} of {size}") from None
        stalled = 0 if sink.length > offset else stalled + 1
        if stalled >= MAX_STALLED_RESUMES:
            raise CorruptTransfer("3001", f"download of item {item_id} stopped at {sink.length} of {size} bytes")


def _expected(md5_hex: Optional[str], digest: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """``(algorithm, hex digest)`` a download verifies: ``digest`` (:func:`remote_digest`) when known (faster),
    else the md5."""
    if digest:
        algorithm, _, value = digest.partition(":")
        if algorithm not in FAST_ALGORITHMS or not value:
            forms = " or ".join(f"'{name}:<hex>'" for name in FAST_ALGORITHMS)
            raise ValueError(f"digest must be {forms}, got {digest!r}")
        return algorithm, value
    return (HASH_ALGORITHM, md5_hex) if md5_hex else (None, None)


def _verify(item_id: str, sink: _Sink, size: Optional[int], expected: Tuple[Optional[str], Optional[str]]) -> None:
    """``CorruptTransfer`` when the size or the digest of what was received disagree with the item's."""
    if size is not None and sink.length != size:
        raise CorruptTransfer("3001", f"downloaded file is corrupted: {sink.length} bytes, expected {size} "
                                      f"(item {item_id})")
    algorithm, wanted = expected
    got = sink.hexdigest()
    if wanted is not None and got != wanted:
        raise CorruptTransfer("3001", f"downloaded file is corrupted: {algorithm} {got}, expected {wanted} "
                                      f"(item {item_id})")


def _buffer_size(read_size: int, size: Optional[int], offset: int) -> int:
    """Receive buffers no larger than what is left to receive (a small file gets a small buffer)."""
    return read_size if size is None else max(1, min(read_size, size - offset))


def part_path(target: str) -> str:
    """Where ``target``'s partial download lives: ``<its folder>/.dataloop-partial/<sha256 of its name>.part``."""
    folder, name = os.path.split(os.path.abspath(target))
    return os.path.join(folder, STAGING_DIR, hashlib.sha256(os.fsencode(name)).hexdigest()[:40] + ".part")


def open_part(part: str, resume: bool = False) -> BinaryIO:
    """Open a part file, creating its staging folder (again, when a finishing download removed it, empty, in
    between: ``makedirs`` and ``open`` then fail, and are simply repeated)."""
    for attempt in range(PART_OPEN_ATTEMPTS):
        try:
            os.makedirs(os.path.dirname(part), exist_ok=True)
            return open(part, "r+b" if resume else "wb")
        except (FileNotFoundError, FileExistsError):
            if attempt == PART_OPEN_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def finish_part(part: str, target: Optional[str]) -> None:
    """Move a complete part file to ``target`` (``None``: discard it); remove its staging folder once empty."""
    if target is None:
        os.remove(part)
    else:
        os.replace(part, target)
    try:
        os.rmdir(os.path.dirname(part))
    except OSError:  # other downloads still in flight (or resumable) there
        pass


def download_file(transport, item_id: str, target: str, size: Optional[int] = None, md5_hex: Optional[str] = None,
                  on_bytes: Optional[OnBytes] = None, read_size: int = READ_SIZE,
                  digest: Optional[str] = None) -> Optional[str]:
    """Download into :func:`part_path` (resuming what is there), verify, rename to ``target``; return the md5.

    Verified by ``digest`` (:func:`remote_digest`) when given (faster to compute; the md5 returned is then
    ``md5_hex``, the item's own, which its uploader computed over the same bytes), else by ``md5_hex``. Without
    either nothing is hashed and ``None`` is returned. A part file that fails verification is removed; one that
    merely stopped short is kept for the next attempt or run.
    """
    part = part_path(target)
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    if size is not None and offset > size:
        offset = 0
    expected = _expected(md5_hex, digest)
    threaded = expected[0] is not None and (size is None or size - offset >= BIG_FILE)
    with open_part(part, bool(offset)) as handle:
        sink = _Sink(handle, offset, expected[0], threaded, on_bytes, _buffer_size(read_size, size, offset))
        try:
            _fill(transport, item_id, sink, size)
            _verify(item_id, sink, size, expected)
        except CorruptTransfer:
            handle.close()
            if size is None or sink.length >= size:  # corrupt, not merely short: nothing worth resuming
                finish_part(part, None)
            raise
        finally:
            sink.close()
    finish_part(part, target)
    return md5_hex if expected[0] in FAST_ALGORITHMS else sink.hexdigest()


def download_one(transport, item_json: dict, target_path: str, overwrite: bool = False,
                 read_size: int = READ_SIZE) -> str:
    """Download an item (verified by its size and BLAKE3, sha256 or md5 when known) to ``target_path``; return
    the path.

    An existing target is kept unless ``overwrite``.
    """
    if os.path.exists(target_path) and not overwrite:
        return target_path
    download_file(transport, item_json["id"], target_path, remote_size(item_json), remote_hash(item_json),
                  read_size=read_size, digest=remote_digest(item_json))
    return target_path


def download_bytes(transport, item_json: dict) -> io.BytesIO:
    """An item's binary in memory (verified like a file), named after the item (``save_locally=False``)."""
    buffer = io.BytesIO()
    size = remote_size(item_json)
    expected = _expected(remote_hash(item_json), remote_digest(item_json))
    sink = _Sink(buffer, 0, expected[0], False, None, _buffer_size(READ_SIZE, size, 0))
    _fill(transport, item_json["id"], sink, size)
    _verify(item_json["id"], sink, size, expected)
    buffer.seek(0)
    buffer.name = item_json.get("name") or item_json["id"]
    return buffer
