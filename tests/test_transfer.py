"""Transfer primitives: streamed multipart upload, resumable download, path-safe joins; chunked uploads."""
import http.client
import io
import json
import os
from urllib.parse import urlparse

import pytest

from dataloop_core import _transfer
from dataloop_core.exceptions import BadRequest, SDKError


def test_safe_join_keeps_paths_inside_root(tmp_path):
    assert _transfer.safe_join(str(tmp_path), "/a/b c/é.png") == str(tmp_path / "a" / "b c" / "é.png")
    for bad in ("/../x", "a/../../x", "..", "/a\\b", "C:/x", "/c:/x", "a\x00b", "", "/", "/./x"):
        with pytest.raises(ValueError, match="unsafe remote path"):
            _transfer.safe_join(str(tmp_path), bad)


def test_upload_one_streams_file_and_reports_op(client, dataset, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * (1 << 20) + 17))
    item, op = _transfer.upload_one(client.transport, dataset.id, str(source), "/deep/er/big.bin")
    assert op == "created" and item["metadata"]["system"]["size"] == source.stat().st_size
    again, op = _transfer.upload_one(client.transport, dataset.id, str(source), "/deep/er/big.bin")
    assert (op, again["id"]) == ("skip", item["id"])
    replaced, op = _transfer.upload_one(client.transport, dataset.id, b"new", "/deep/er/big.bin", mode="overwrite")
    assert (op, replaced["id"], replaced["metadata"]["system"]["size"]) == ("overwrite", item["id"], 3)


def test_upload_one_skip_with_different_size_replaces_item(client, dataset):
    first, _ = _transfer.upload_one(client.transport, dataset.id, b"one", "/s.txt")
    second, op = _transfer.upload_one(client.transport, dataset.id, b"longer content", "/s.txt")
    assert op == "created" and second["id"] != first["id"]
    assert second["metadata"]["system"]["size"] == len(b"longer content")


def test_upload_one_rejects_bad_input(client, dataset):
    with pytest.raises(ValueError, match="mode"):
        _transfer.upload_one(client.transport, dataset.id, b"x", "/a.txt", mode="replace")
    with pytest.raises(ValueError, match="invalid remote path"):
        _transfer.upload_one(client.transport, dataset.id, b"x", "/a/../b.txt")
    with pytest.raises(ValueError, match="not a file"):
        _transfer.upload_one(client.transport, dataset.id, "/no/such/file", "/a.txt")


def test_upload_of_unknown_length_stream_uses_chunked_encoding(client, dataset):
    class Pipe(io.RawIOBase):  # not seekable: forces Transfer-Encoding: chunked
        def __init__(self):
            self.data = io.BytesIO(b"z" * 300000)

        def readable(self):
            return True

        def read(self, n=-1):
            return self.data.read(n)

    item, op = _transfer.upload_one(client.transport, dataset.id, Pipe(), "/pipe.bin")
    assert op == "created" and item["metadata"]["system"]["size"] == 300000


def test_raw_chunked_multipart_request(emulator, client, dataset):
    boundary = "xyz"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nfile\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="path"\r\n\r\n/raw/ü x.txt\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ü x.txt"\r\n'
            f'Content-Type: text/plain\r\n\r\n').encode() + b"r" * 70000 + f"\r\n--{boundary}--\r\n".encode()
    url = urlparse(emulator.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("POST", f"/api/v1/datasets/{dataset.id}/items?mode=skip")
    conn.putheader("authorization", f"Bearer {client.transport.token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for start in range(0, len(body), 8192):
        chunk = body[start:start + 8192]
        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    item = json.loads(response.read())
    assert response.status == 200 and response.getheader("x-item-op") == "created"
    assert item["filename"] == "/raw/ü x.txt" and item["metadata"]["system"]["size"] == 70000


def test_download_one_verifies_and_renames_atomically(client, dataset, tmp_path):
    payload = os.urandom(2 * (1 << 20) + 5)
    item, _ = _transfer.upload_one(client.transport, dataset.id, payload, "/d/file.bin")
    target = tmp_path / "out" / "file.bin"
    assert _transfer.download_one(client.transport, item, str(target), chunk_size=65536) == str(target)
    assert target.read_bytes() == payload and not (tmp_path / "out" / "file.bin.download").exists()
    target.write_bytes(b"local")
    _transfer.download_one(client.transport, item, str(target))
    assert target.read_bytes() == b"local"  # kept without overwrite
    _transfer.download_one(client.transport, item, str(target), overwrite=True)
    assert target.read_bytes() == payload


def test_download_resumes_with_range_after_short_read(client, dataset, tmp_path, monkeypatch):
    payload = b"0123456789" * 1000
    item, _ = _transfer.upload_one(client.transport, dataset.id, payload, "/resume.bin")
    ranges, real_request = [], client.transport.request

    def flaky(method, url, **kwargs):
        response = real_request(method, url, **kwargs)
        if url.endswith("/stream"):
            ranges.append(kwargs["headers"]["Range"])
            if len(ranges) == 1:  # first answer: only 4000 bytes, then the connection "drops"
                content = response.raw.read(4000)
                response.iter_content = lambda size: iter([content])
        return response

    monkeypatch.setattr(client.transport, "request", flaky)
    target = tmp_path / "resume.bin"
    _transfer.download_one(client.transport, item, str(target))
    assert ranges == ["bytes=0-", "bytes=4000-"] and target.read_bytes() == payload


def test_download_detects_corruption_and_leaves_no_partial_file(client, dataset, tmp_path):
    item, _ = _transfer.upload_one(client.transport, dataset.id, b"abc", "/c.bin")
    item["metadata"]["system"]["size"] = 2  # server metadata disagrees with the bytes
    target = tmp_path / "c.bin"
    with pytest.raises(SDKError, match="corrupted"):
        _transfer.download_one(client.transport, item, str(target))
    assert not target.exists() and not (tmp_path / "c.bin.download").exists()


def test_emulator_rejects_unsafe_upload_paths(client, dataset):
    for bad in ("/a/../b.txt", "/a\\b.txt"):
        with pytest.raises(BadRequest, match="invalid path"):
            client.transport.request("POST", f"/datasets/{dataset.id}/items", files={"file": ("b.txt", b"x")},
                                     data={"type": "file", "path": bad})
