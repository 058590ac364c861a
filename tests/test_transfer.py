"""Transfer primitives: streamed multipart upload, resumable download, path-safe joins; chunked uploads."""
import hashlib
import http.client
import io
import json
import os
from urllib.parse import urlparse

import pytest

from dataloop_core import _transfer
from dataloop_core.exceptions import APIConnectionError, BadRequest, NotFound, SDKError


def test_safe_join_keeps_paths_inside_root(tmp_path):
    assert _transfer.safe_join(str(tmp_path), "/a/b c/é.png") == str(tmp_path / "a" / "b c" / "é.png")
    for bad in ("/../x", "a/../../x", "..", "/a\\b", "C:/x", "/c:/x", "a\x00b", "", "/", "/./x"):
        with pytest.raises(ValueError, match="unsafe remote path"):
            _transfer.safe_join(str(tmp_path), bad)


def test_remote_paths_are_normalized_or_rejected():
    from dataloop_core.sync.remote import normalize_root
    assert _transfer.normalize_remote_path("a//b/c.png") == "/a/b/c.png"
    assert normalize_root(None) == normalize_root("/") == "/" and normalize_root("x/y/") == "/x/y"
    for bad in ("/a/../b", "a\x00b", "", "/"):
        with pytest.raises(ValueError, match="invalid remote path"):
            _transfer.normalize_remote_path(bad)
    with pytest.raises(ValueError, match="invalid remote path"):
        normalize_root("/x/./y")


def test_upload_one_streams_file_and_reports_op(client, dataset, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * (1 << 20) + 17))
    item, op = _transfer.upload_one(client.transport, dataset.id, str(source), "/deep/er/big.bin")
    assert op == "created" and item["metadata"]["system"]["size"] == source.stat().st_size
    assert _transfer.remote_hash(item) is None
    again, op = _transfer.upload_one(client.transport, dataset.id, str(source), "/deep/er/big.bin")
    assert (op, again["id"]) == ("skip", item["id"])
    replaced, op = _transfer.upload_one(client.transport, dataset.id, b"new", "/deep/er/big.bin", mode="overwrite")
    assert (op, replaced["id"], replaced["metadata"]["system"]["size"]) == ("overwrite", item["id"], 3)


def test_upload_one_skip_with_different_size_keeps_item(client, dataset):
    first, _ = _transfer.upload_one(client.transport, dataset.id, b"one", "/s.txt")
    second, op = _transfer.upload_one(client.transport, dataset.id, b"longer content", "/s.txt")
    assert op == "skip" and second["id"] == first["id"] and second["metadata"]["system"]["size"] == 3
    assert client.items.get(item_id=first["id"]).size == 3


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
    item = _transfer.upload_one(client.transport, dataset.id, payload, "/d/file.bin")[0]
    target = tmp_path / "out" / "file.bin"
    assert _transfer.download_one(client.transport, item, str(target), read_size=65536) == str(target)
    assert target.read_bytes() == payload and os.listdir(tmp_path / "out") == ["file.bin"]
    target.write_bytes(b"local")
    _transfer.download_one(client.transport, item, str(target))
    assert target.read_bytes() == b"local"  # kept without overwrite
    _transfer.download_one(client.transport, item, str(target), overwrite=True)
    assert target.read_bytes() == payload


def test_download_resumes_with_range_after_short_read(client, dataset, tmp_path, monkeypatch, faults):
    payload = b"0123456789" * 1000
    item = _transfer.upload_one(client.transport, dataset.id, payload, "/resume.bin")[0]
    faults({"path": "/api/v1/items/*/stream", "method": "GET", "action": "truncate"})  # half, then the socket closes
    ranges, real_request = [], client.transport.request
    monkeypatch.setattr(client.transport, "request", lambda method, url, **kwargs: (
        ranges.append(kwargs["headers"]["Range"]), real_request(method, url, **kwargs))[1])
    target = tmp_path / "resume.bin"
    _transfer.download_one(client.transport, item, str(target))
    assert ranges == ["bytes=0-", "bytes=5000-"] and target.read_bytes() == payload


def test_download_detects_corruption_and_leaves_no_partial_file(client, dataset, tmp_path):
    item = _transfer.upload_one(client.transport, dataset.id, b"abc", "/c.bin")[0]
    item["metadata"]["system"]["size"] = 2  # server metadata disagrees with the bytes
    target = tmp_path / "c.bin"
    with pytest.raises(SDKError, match="corrupted"):
        _transfer.download_one(client.transport, item, str(target))
    assert os.listdir(tmp_path) == []
    item["metadata"]["system"]["size"] = 3
    item["metadata"]["user"] = {"sync": {"md5": hashlib.md5(b"abd").hexdigest()}}  # a wrong md5
    with pytest.raises(SDKError, match="md5"):
        _transfer.download_one(client.transport, item, str(target))
    assert os.listdir(tmp_path) == []


def test_emulator_rejects_unsafe_upload_paths(client, dataset):
    for bad in ("/a/../b.txt", "/a\\b.txt"):
        with pytest.raises(BadRequest, match="invalid path"):
            client.transport.request("POST", f"/datasets/{dataset.id}/items", files={"file": ("b.txt", b"x")},
                                     data={"type": "file", "path": bad})


def test_upload_with_md5_sends_hash_last_and_keeps_metadata(client, dataset, tmp_path):
    payload = os.urandom(3 * (1 << 20) + 1)  # streamed, not one buffer
    source = tmp_path / "h.bin"
    source.write_bytes(payload)
    seen = []
    item, op = _transfer.upload_one(client.transport, dataset.id, str(source), "/h.bin",
                                    item_metadata={"user": {"tag": "x"}}, with_md5=True, on_bytes=seen.append)
    md5 = hashlib.md5(payload).hexdigest()
    assert op == "created" and sum(seen) == len(payload)
    assert item["metadata"]["user"] == {"tag": "x", "sync": {"md5": md5}}
    assert _transfer.remote_hash(item) == md5 and _transfer.remote_size(item) == len(payload)
    small, _ = _transfer.upload_one(client.transport, dataset.id, b"tiny", "/t.bin", with_md5=True)
    assert _transfer.remote_hash(small) == hashlib.md5(b"tiny").hexdigest()


def _part(target):
    os.makedirs(os.path.dirname(_transfer.part_path(target)), exist_ok=True)
    return _transfer.part_path(target)


def test_download_file_resumes_a_part_left_by_an_earlier_run(client, dataset, tmp_path, monkeypatch):
    payload = os.urandom(50_000)
    item = _transfer.upload_one(client.transport, dataset.id, payload, "/r.bin")[0]
    target = str(tmp_path / "r.bin")
    with open(_part(target), "wb") as handle:
        handle.write(payload[:20_000])
    ranges, real_request = [], client.transport.request
    monkeypatch.setattr(client.transport, "request", lambda method, url, **kwargs: (
        ranges.append(kwargs["headers"]["Range"]), real_request(method, url, **kwargs))[1])
    md5 = hashlib.md5(payload).hexdigest()
    assert _transfer.download_file(client.transport, item["id"], target, len(payload), md5) == md5
    assert ranges == ["bytes=20000-"]
    assert open(target, "rb").read() == payload and os.listdir(tmp_path) == ["r.bin"]


def test_download_starts_over_when_the_server_ignores_range(client, dataset, tmp_path, monkeypatch):
    payload = os.urandom(30_000)
    item = _transfer.upload_one(client.transport, dataset.id, payload, "/ir.bin")[0]
    target = str(tmp_path / "ir.bin")
    with open(_part(target), "wb") as handle:
        handle.write(b"stale bytes")
    real_request = client.transport.request

    def no_range(method, url, **kwargs):
        kwargs["headers"] = {k: v for k, v in kwargs["headers"].items() if k != "Range"}
        return real_request(method, url, **kwargs)
    monkeypatch.setattr(client.transport, "request", no_range)
    md5 = hashlib.md5(payload).hexdigest()
    assert _transfer.download_file(client.transport, item["id"], target, len(payload), md5) == md5
    assert open(target, "rb").read() == payload


def test_download_that_stops_short_keeps_its_part_for_the_next_run(client, dataset, tmp_path, monkeypatch, faults):
    payload = os.urandom(10_000)
    item = _transfer.upload_one(client.transport, dataset.id, payload, "/short.bin")[0]
    target = str(tmp_path / "short.bin")
    real_request, ranges = client.transport.request, []

    def dropping(method, url, **kwargs):  # half the body (the server's truncate), then the network is gone
        ranges.append(kwargs["headers"]["Range"])
        if len(ranges) > 1:
            raise APIConnectionError("3001", "connection failed")
        return real_request(method, url, **kwargs)
    faults({"path": "/api/v1/items/*/stream", "method": "GET", "action": "truncate"})
    monkeypatch.setattr(client.transport, "request", dropping)
    with pytest.raises(SDKError, match="stopped at 5000 of 10000"):
        _transfer.download_file(client.transport, item["id"], target, len(payload))
    assert os.path.getsize(_transfer.part_path(target)) == 5000 and not os.path.exists(target)
    monkeypatch.setattr(client.transport, "request", real_request)
    _transfer.download_file(client.transport, item["id"], target, len(payload))  # the next run resumes
    assert open(target, "rb").read() == payload


def test_download_of_an_item_shorter_than_expected_fails_cleanly(client, dataset, tmp_path):
    item = _transfer.upload_one(client.transport, dataset.id, b"x" * 100, "/shorter.bin")[0]
    target = str(tmp_path / "shorter.bin")
    with pytest.raises(SDKError, match="no bytes past 100 of 200"):
        _transfer.download_file(client.transport, item["id"], target, 200)
    assert not os.path.exists(target) and os.path.getsize(_transfer.part_path(target)) == 0


def test_download_bytes_verifies_and_names_the_buffer(client, dataset):
    item = _transfer.upload_one(client.transport, dataset.id, b"in memory", "/m.txt", with_md5=True)[0]
    buffer = _transfer.download_bytes(client.transport, item)
    assert (buffer.read(), buffer.name) == (b"in memory", "m.txt")
    item["metadata"]["user"]["sync"]["md5"] = "0" * 32
    with pytest.raises(SDKError, match="md5"):
        _transfer.download_bytes(client.transport, item)


def test_is_transient_classifies_failures():
    from dataloop_core.exceptions import NotFound, exception_for
    assert _transfer.is_transient(_transfer.CorruptTransfer("3001", "short"))
    assert _transfer.is_transient(exception_for("503", "busy"))
    assert not _transfer.is_transient(NotFound("404", "gone")) and not _transfer.is_transient(OSError("disk"))


def test_upload_whose_stored_hash_disagrees_is_deleted(client, dataset, monkeypatch):
    real_request, posted = client.transport.request, []

    def forgetful(method, url, **kwargs):  # a server that drops the md5 it was sent
        response = real_request(method, url, **kwargs)
        if method == "POST":
            item = response.json()
            item["metadata"].pop("user", None)
            posted.append(item["id"])
            response.json = lambda: item
        return response
    monkeypatch.setattr(client.transport, "request", forgetful)
    with pytest.raises(_transfer.CorruptTransfer, match="corrupt"):
        _transfer.upload_one(client.transport, dataset.id, b"payload", "/forgot.bin", with_md5=True)
    monkeypatch.undo()
    with pytest.raises(NotFound, match="Item"):
        client.transport.request("GET", f"/items/{posted[0]}")
