"""gzip of JSON responses (core/emulator/compression.py) over real HTTP: same JSON either way; binaries untouched."""
from __future__ import annotations

import gzip
import json

import pytest
import requests

from dataloop_core.emulator.compression import GzipResponses, accepts_gzip

QUERY = {"filter": {"$and": [{"hidden": False}, {"type": "file"}]}, "sort": {"id": "ascending"}, "page": 0,
         "pageSize": 1000, "resource": "items"}


@pytest.mark.parametrize("header, expected", [
    ("gzip, deflate", True), ("GZIP", True), ("br;q=1.0, gzip;q=0.5", True), ("*", True),
    ("", False), ("identity", False), ("deflate, br", False), ("gzip;q=0", False), ("*;q=0", False),
    ("gzip;q=0, *", False), ("gzip;q=bad", False),
])
def test_accept_encoding_parsing(header, expected):
    assert accepts_gzip(header) is expected


@pytest.fixture
def listed(dataset, tmp_path):
    for i in range(40):
        (tmp_path / f"f{i:03d}.txt").write_bytes(b"x" * 10)
    dataset.items.upload(local_path=str(tmp_path), remote_path="/gz")
    return dataset


def _query(emulator, dataset_id, encoding):
    response = requests.post(f"{emulator.url}/api/v1/datasets/{dataset_id}/query", json=QUERY, stream=True,
                             headers={"authorization": f"Bearer {emulator.token()}", "accept-encoding": encoding})
    response.raise_for_status()
    return response, response.raw.read(decode_content=False)


def test_listing_is_gzipped_when_accepted_and_decodes_to_the_same_json(emulator, listed):
    plain, plain_body = _query(emulator, listed.id, "identity")
    zipped, zipped_body = _query(emulator, listed.id, "gzip, deflate")
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) == len(zipped_body) < len(plain_body) / 4
    assert json.loads(gzip.decompress(zipped_body)) == json.loads(plain_body)
    assert len(json.loads(plain_body)["items"]) == 40


def test_our_client_receives_gzip_and_lists_every_item(client, listed):
    page = client.transport.request("POST", f"/datasets/{listed.id}/query", json=QUERY)
    assert page.headers["content-encoding"] == "gzip" and len(page.json()["items"]) == 40
    assert sorted(i.name for i in listed.items.list().all()) == [f"f{i:03d}.txt" for i in range(40)]


def test_binaries_and_small_bodies_are_not_gzipped(emulator, listed):
    item = next(iter(listed.items.list().all()))
    headers = {"authorization": f"Bearer {emulator.token()}", "accept-encoding": "gzip"}
    stream = requests.get(f"{emulator.url}/api/v1/items/{item.id}/stream", headers=headers)
    assert stream.content == b"x" * 10 and "content-encoding" not in stream.headers
    small = requests.get(f"{emulator.url}/api/v1/items/{'0' * 24}", headers=headers)  # a short 404 message
    assert small.status_code == 404 and "content-encoding" not in small.headers and "message" in small.json()


def test_head_and_streamed_json_pass_through():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])  # no Content-Length: a stream
        return [b"[" + b"1," * 2000, b"1]"]

    calls = []
    wrapped = GzipResponses(app)
    for method in ("GET", "HEAD"):
        body = wrapped({"REQUEST_METHOD": method, "HTTP_ACCEPT_ENCODING": "gzip"}, lambda *a: calls.append(a))
        assert b"".join(body).startswith(b"[1,1,") and dict(calls[-1][1]) == {"Content-Type": "application/json"}
