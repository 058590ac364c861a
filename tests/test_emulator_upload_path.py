"""The emulator's upload hot path: the streaming multipart reader, cached token checks, large-block streaming."""
import io
import os
import random
import time
import types

import pytest
import requests

from dataloop_core.emulator import app as app_module
from dataloop_core.emulator.errors import BadRequest
from dataloop_core.emulator.resources import _multipart


def body(*parts, boundary="b0und", preamble=b"", epilogue=b"\r\n"):
    out = preamble
    for headers, content in parts:
        out += b"--" + boundary.encode() + b"\r\n" + headers.encode() + b"\r\n\r\n" + content + b"\r\n"
    return out + b"--" + boundary.encode() + b"--" + epilogue


def parse(data, tmp_path, boundary=b"b0und", max_field_bytes=1 << 20):
    count = [0]

    def new_file():
        count[0] += 1
        name = str(tmp_path / f"part{count[0]}")
        return open(name, "wb"), name
    return _multipart.read_form(io.BytesIO(data), boundary, new_file, max_field_bytes)


def test_fields_and_files_in_any_order_across_read_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(_multipart, "READ_SIZE", 7)  # delimiters straddle every read
    data_bytes = random.Random(7).randbytes
    payload = data_bytes(5000) + b"\r\n--b0unX" + data_bytes(100)  # almost a delimiter inside the data
    assert b"\r\n--b0und" not in payload
    data = body(('Content-Disposition: form-data; name="type"', b"file"),
                ('Content-Disposition: form-data; name="file"; filename="a \\"q\\".bin"\r\n'
                 "Content-Type: application/x-thing", payload),
                ('Content-Disposition: form-data; name="metadata"', '{"user": "ü"}'.encode()),
                preamble=b"ignored preamble\r\n")
    form = parse(data, tmp_path)
    assert form.fields == {"type": "file", "metadata": '{"user": "ü"}'}
    part = form.file("file")
    assert (part.filename, part.content_type, part.size, part.head) == ('a "q".bin', "application/x-thing",
                                                                        len(payload), payload[:16])
    assert open(part.path, "rb").read() == payload


def test_rfc5987_filename_and_empty_parts(tmp_path):
    data = body(("Content-Disposition: form-data; name=file; filename=\"plain.txt\"; "
                 "filename*=UTF-8''%C3%BC%20x.txt", b""),
                ('Content-Disposition: form-data; name="empty"', b""))
    form = parse(data, tmp_path)
    assert form.file("file").filename == "ü x.txt" and form.file("file").size == 0
    assert form.fields == {"empty": ""} and form.file("other") is None


@pytest.mark.parametrize("data, message", [
    (b"no boundary here", "opening boundary"),
    (b"--b0und\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", "ended inside a part"),
    (b"--b0und\r\nContent-Type: text/plain\r\n\r\nx\r\n--b0und--", "Content-Disposition"),
    (b"--b0und\r\nContent-Disposition: form-data; name=\"a\"", "part headers"),
    (b"--b0undjunk\r\n", "boundary line"),
])
def test_malformed_bodies_are_bad_requests(tmp_path, data, message):
    with pytest.raises(BadRequest, match=message):
        parse(data, tmp_path)


def test_field_bytes_are_bounded(tmp_path):
    with pytest.raises(BadRequest, match="exceed 10 bytes"):
        parse(body(('Content-Disposition: form-data; name="a"', b"x" * 11)), tmp_path, max_field_bytes=10)


def test_boundary_of_content_type():
    assert _multipart.boundary_of('multipart/form-data; charset=utf-8; boundary="a b"') == b"a b"
    with pytest.raises(BadRequest, match="boundary"):
        _multipart.boundary_of("multipart/form-data")


def test_upload_route_rejects_a_body_without_file_part(emulator, client, dataset):
    data = body(('Content-Disposition: form-data; name="type"', b"file"))
    response = requests.post(f"{emulator.url}/api/v1/datasets/{dataset.id}/items",
                             headers={"authorization": f"Bearer {client.transport.token}",
                                      "Content-Type": "multipart/form-data; boundary=b0und"}, data=data)
    assert response.status_code == 400 and "no 'file' part" in response.json()["message"]


def test_cached_token_still_expires(emulator, monkeypatch):
    token = emulator.token("expiring@dataloop.local", ttl=60)
    headers = {"authorization": f"Bearer {token}"}
    assert requests.get(f"{emulator.url}/api/v1/users/me", headers=headers).status_code == 200  # now cached
    later = time.time() + 120
    monkeypatch.setattr(app_module, "time", types.SimpleNamespace(time=lambda: later, monotonic=time.monotonic,
                                                                  sleep=time.sleep))
    response = requests.get(f"{emulator.url}/api/v1/users/me", headers=headers)
    assert response.status_code == 401 and "expired" in response.json()["message"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    monkeypatch.undo()
    response = requests.get(f"{emulator.url}/api/v1/users/me", headers={"authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_stream_serves_large_files_whole_and_by_range(emulator, client, dataset):
    from dataloop_core import _transfer
    payload = os.urandom(3 * (1 << 20) + 11)
    item, _ = _transfer.upload_one(client.transport, dataset.id, payload, "/big/stream.bin")
    url = f"{emulator.url}/api/v1/items/{item['id']}/stream"
    headers = {"authorization": f"Bearer {client.transport.token}"}
    assert requests.get(url, headers=headers).content == payload
    ranged = requests.get(url, headers=dict(headers, Range="bytes=1048570-"))
    assert ranged.status_code == 206 and ranged.content == payload[1048570:]
