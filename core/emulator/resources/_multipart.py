"""A one-pass, streaming multipart/form-data reader for uploads: file parts go straight to temp files.

The upload route is the emulator's hottest path; a generic parser compiles boundary-specific regexes on every
request. This one reads 128 KiB at a time, finds delimiters with ``bytes.find`` and keeps only a delimiter's
length of a file part in memory. Field parts are held in memory up to ``max_field_bytes`` in total.
"""
from __future__ import annotations

import re
import urllib.parse
from typing import BinaryIO, Callable, Dict, List, NamedTuple, Optional, Tuple

from ..errors import BadRequest

READ_SIZE = 128 * 1024  # larger reads cost more: cheroot's Python-level reader copies each one several times
MAX_HEADER_BYTES = 16 * 1024
HEAD_BYTES = 16  # first bytes of each file part, kept for content sniffing
_PARAM = re.compile(r';?\s*([^\s=;]+)\s*=\s*(?:("(?:[^"\\]|\\.)*")|([^;]*))')
_ESCAPE = re.compile(r"\\(.)")


class FilePart(NamedTuple):
    name: str
    filename: str
    content_type: Optional[str]
    path: str        # the temp file holding the part's bytes
    size: int
    head: bytes


class Form(NamedTuple):
    fields: Dict[str, str]    # first value of each field name
    files: List[FilePart]     # in body order

    def file(self, name: str) -> Optional[FilePart]:
        return next((part for part in self.files if part.name == name), None)


def boundary_of(content_type: str) -> bytes:
    """The ``boundary`` parameter of a ``multipart/form-data`` content type; 400 when missing."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if 0 < len(value) <= 200:
                return value.encode("latin-1")
    raise BadRequest("multipart/form-data body without a valid boundary")


def _params(header: str) -> Tuple[str, Dict[str, str]]:
    """``'form-data; name="a"; filename="b"'`` -> ``('form-data', {'name': 'a', 'filename': 'b'})``."""
    value, _, rest = header.partition(";")
    params: Dict[str, str] = {}
    for key, quoted, token in _PARAM.findall(rest):
        key = key.lower()
        text = _ESCAPE.sub(r"\1", quoted[1:-1]) if quoted else token.strip()
        if key.endswith("*"):  # RFC 5987: charset'language'percent-encoded, preferred over the plain form
            charset, _, encoded = text.partition("'")
            params[key[:-1]] = urllib.parse.unquote(encoded.partition("'")[2], encoding=charset or "utf-8",
                                                    errors="replace")
        else:
            params.setdefault(key, text)
    return value.strip().lower(), params


def _part_headers(raw: bytes) -> Dict[str, str]:
    headers = {}
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers


class _Buffer:
    """The unread part of the body: a bytearray refilled from the stream in ``READ_SIZE`` reads."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.data, self.eof = stream, bytearray(), False

    def fill(self) -> None:
        chunk = self.stream.read(READ_SIZE)
        if chunk:
            self.data += chunk
        else:
            self.eof = True

    def need(self, count: int) -> None:
        while len(self.data) < count and not self.eof:
            self.fill()
        if len(self.data) < count:
            raise BadRequest("multipart body ended early")


def read_form(stream: BinaryIO, boundary: bytes, new_file: Callable[[], Tuple[BinaryIO, str]],
              max_field_bytes: int) -> Form:
    """Parse the whole body; every part with a ``filename`` is written to a file from ``new_file()``.

    The caller removes the files of the returned form (and, on errors, those ``new_file`` handed out).
    """
    buffer, fields, files, field_bytes = _Buffer(stream), {}, [], 0
    delimiter = b"--" + boundary
    separator = b"\r\n" + delimiter
    while True:  # the preamble, up to the first delimiter
        found = buffer.data.find(delimiter)
        if found >= 0 and (found == 0 or buffer.data[found - 2:found] == b"\r\n"):
            del buffer.data[:found + len(delimiter)]
            break
        if buffer.eof:
            raise BadRequest("multipart body has no opening boundary")
        del buffer.data[:max(0, len(buffer.data) - len(separator))]
        buffer.fill()
    while True:
        buffer.need(2)
        if buffer.data[:2] == b"--":  # the closing delimiter; drain the epilogue so the connection stays usable
            while not buffer.eof:
                buffer.data.clear()
                buffer.fill()
            return Form(fields, files)
        line_end = buffer.data.find(b"\r\n")
        while line_end < 0 and not buffer.eof:
            buffer.fill()
            line_end = buffer.data.find(b"\r\n")
        if line_end < 0 or buffer.data[:line_end].strip(b" \t"):
            raise BadRequest("malformed multipart boundary line")
        del buffer.data[:line_end + 2]
        headers = _read_headers(buffer)
        disposition, params = _params(headers.get("content-disposition", ""))
        if disposition != "form-data" or "name" not in params:
            raise BadRequest("multipart part without 'Content-Disposition: form-data; name=...'")
        if "filename" in params:
            handle, temp_path = new_file()
            with handle:
                size, head = _copy_part(buffer, separator, handle.write)
            files.append(FilePart(params["name"], params["filename"], headers.get("content-type"), temp_path,
                                  size, head))
        else:
            value = bytearray()
            _copy_part(buffer, separator, value.extend)
            field_bytes += len(value)
            if field_bytes > max_field_bytes:
                raise BadRequest(f"multipart fields exceed {max_field_bytes} bytes")
            fields.setdefault(params["name"], value.decode("utf-8", "replace"))


def _read_headers(buffer: _Buffer) -> Dict[str, str]:
    if buffer.data[:2] == b"\r\n":  # a part without headers
        del buffer.data[:2]
        return {}
    end = buffer.data.find(b"\r\n\r\n")
    while end < 0:
        if len(buffer.data) > MAX_HEADER_BYTES or buffer.eof:
            raise BadRequest("malformed multipart part headers")
        buffer.fill()
        end = buffer.data.find(b"\r\n\r\n")
    headers = _part_headers(bytes(buffer.data[:end]))
    del buffer.data[:end + 4]
    return headers


def _copy_part(buffer: _Buffer, separator: bytes, write: Callable) -> Tuple[int, bytes]:
    """Hand a part's bytes to ``write`` up to the next ``separator`` (consumed); return ``(size, head)``."""
    size, head, keep = 0, b"", len(separator) - 1
    while True:
        found = buffer.data.find(separator)
        end = found if found >= 0 else max(0, len(buffer.data) - keep)
        if end:
            with memoryview(buffer.data) as view:
                write(view[:end])
                if len(head) < HEAD_BYTES:
                    head += bytes(view[:min(end, HEAD_BYTES - len(head))])
            size += end
        if found >= 0:
            del buffer.data[:found + len(separator)]
            return size, head
        del buffer.data[:end]
        if buffer.eof:
            raise BadRequest("multipart body ended inside a part")
        buffer.fill()
