"""Fast paths of transfers (issue 11): big files carry a BLAKE3 that downloads verify instead of the md5 (a sha256
from earlier uploads too), the socket is read into reusable buffers hashed on a second thread, and connections are
reused after a download."""
import hashlib
import io
import os

import pytest
from blake3 import blake3

from dataloop_core import _transfer
from dataloop_core.exceptions import SDKError
from dataloop_core.sync import pull, push

BIG = 256 * 1024  # what the tests call a big file (BIG_FILE is 8 MiB)


@pytest.fixture
def small_big_file(monkeypatch):
    """Files of ``BIG`` bytes and more count as big: they carry a BLAKE3 and hash on a second thread."""
    monkeypatch.setattr(_transfer, "BIG_FILE", BIG)


@pytest.fixture
def hashed(monkeypatch):
    """The algorithms the transfers hash with, in order."""
    names = []
    monkeypatch.setattr(_transfer, "HASHERS", {name: (lambda name=name, new=new: (names.append(name), new())[1])
                                               for name, new in _transfer.HASHERS.items()})
    return names


def test_big_upload_carries_md5_and_blake3_and_download_verifies_the_blake3(client, dataset, tmp_path,
                                                                          small_big_file, hashed):
    payload = os.urandom(BIG * 3 + 7)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    item, _ = _transfer.upload_one(client.transport, dataset.id, str(source), "/big.bin", with_md5=True)
    md5, digest = hashlib.md5(payload).hexdigest(), blake3(payload).hexdigest()
    assert item["metadata"]["user"]["sync"] == {"md5": md5, "blake3": digest}
    assert _transfer.remote_hash(item) == md5 and _transfer.remote_digest(item) == f"blake3:{digest}"
    small, _ = _transfer.upload_one(client.transport, dataset.id, b"tiny", "/tiny.bin", with_md5=True)
    assert _transfer.remote_digest(small) is None  # small files carry the md5 only

    hashed.clear()
    target = tmp_path / "out" / "big.bin"
    # 16 KiB buffers: many more reads than buffers, so each buffer goes round the hashing thread several times
    assert _transfer.download_file(client.transport, item["id"], str(target), len(payload), md5,
                                   read_size=16384, digest=f"blake3:{digest}") == md5
    assert target.read_bytes() == payload and os.listdir(target.parent) == ["big.bin"]
    assert hashed == ["blake3"]  # verified by the BLAKE3 alone, on the hashing thread


def test_an_item_from_an_earlier_upload_is_verified_by_its_sha256(client, dataset, tmp_path, small_big_file,
                                                                   hashed):
    payload = os.urandom(BIG * 2)
    item, _ = _transfer.upload_one(client.transport, dataset.id, payload, "/old.bin", with_md5=True)
    item["metadata"]["user"]["sync"] = {"md5": hashlib.md5(payload).hexdigest(),
                                        "sha256": hashlib.sha256(payload).hexdigest()}
    assert _transfer.remote_digest(item) == "sha256:" + hashlib.sha256(payload).hexdigest()
    hashed.clear()
    _transfer.download_one(client.transport, item, str(tmp_path / "old.bin"), read_size=65536)
    assert (tmp_path / "old.bin").read_bytes() == payload and hashed == ["sha256"]


@pytest.mark.parametrize("algorithm, other", [("blake3", blake3(b"other bytes").hexdigest()),
                                              ("sha256", hashlib.sha256(b"other bytes").hexdigest())])
def test_a_big_download_whose_digest_disagrees_fails_and_leaves_no_file(client, dataset, tmp_path, small_big_file,
                                                                        algorithm, other):
    payload = os.urandom(BIG * 2)
    item, _ = _transfer.upload_one(client.transport, dataset.id, payload, "/bad.bin", with_md5=True)
    item["metadata"]["user"]["sync"] = {"md5": hashlib.md5(payload).hexdigest(), algorithm: other}
    target = tmp_path / "bad.bin"
    with pytest.raises(SDKError, match=f"{algorithm} [0-9a-f]+, expected {other}"):
        _transfer.download_one(client.transport, item, str(target), read_size=65536)
    assert os.listdir(tmp_path) == []  # neither the target nor a part file (nor its staging folder)


def test_a_malformed_digest_is_refused_by_name(client, tmp_path):
    with pytest.raises(ValueError, match="digest must be 'blake3:<hex>' or 'sha256:<hex>', got 'sha265:ab'"):
        _transfer.download_file(client.transport, "0" * 24, str(tmp_path / "x.bin"), 10, digest="sha265:ab")
    assert os.listdir(tmp_path) == []


def test_a_truncated_big_download_resumes_with_range_and_verifies_across_the_pieces(client, dataset, tmp_path,
                                                                                    small_big_file, faults):
    payload = os.urandom(BIG * 4 + 3)
    item, _ = _transfer.upload_one(client.transport, dataset.id, payload, "/cut.bin", with_md5=True)
    faults({"path": "/api/v1/items/*/stream", "method": "GET", "action": "truncate", "times": 2})
    target = tmp_path / "cut.bin"
    _transfer.download_one(client.transport, item, str(target), read_size=65536)
    assert target.read_bytes() == payload and os.listdir(tmp_path) == ["cut.bin"]


def test_downloads_reuse_their_connection(client, dataset, tmp_path):
    items = [_transfer.upload_one(client.transport, dataset.id, os.urandom(50_000 + i), f"/k{i}.bin",
                                  with_md5=True)[0] for i in range(3)]
    adapter = client.transport._session.get_adapter(client.transport.api_url)
    pool = adapter.poolmanager.connection_from_url(client.transport.api_url)
    opened = pool.num_connections
    for item in items:
        _transfer.download_one(client.transport, item, str(tmp_path / item["name"]))
    assert pool.num_connections == opened  # each download handed its connection back for the next


def test_sync_pull_of_a_big_file_verifies_the_stored_blake3(client, dataset, tmp_path, small_big_file):
    src = tmp_path / "src"
    src.mkdir()
    payload = os.urandom(BIG + 1)
    (src / "big.bin").write_bytes(payload)
    (src / "small.txt").write_bytes(b"small")
    assert push(client, dataset.id, str(src), journal_dir=str(tmp_path / "j")).ok
    item = dataset.items.get(filepath="/big.bin")
    item.metadata["user"]["sync"]["blake3"] = "0" * 64  # no longer the content's: the pull must notice
    item.update()
    summary = pull(client, dataset.id, str(tmp_path / "out"), journal_dir=str(tmp_path / "j2"))
    assert [f.path for f in summary.failed] == ["big.bin"] and "blake3" in summary.failed[0].reason
    assert sorted(os.listdir(tmp_path / "out")) == ["small.txt"]

    item.metadata["user"]["sync"]["blake3"] = blake3(payload).hexdigest()
    item.update()
    again = pull(client, dataset.id, str(tmp_path / "out"), journal_dir=str(tmp_path / "j2"))
    assert again.ok and again.transferred == 1 and (tmp_path / "out" / "big.bin").read_bytes() == payload
    assert pull(client, dataset.id, str(tmp_path / "out"), journal_dir=str(tmp_path / "j2")).transferred == 0


class _RecordingFile(io.BytesIO):
    def __init__(self):
        super().__init__()
        self.sizes = []

    def write(self, data) -> int:
        self.sizes.append(len(data))
        return super().write(data)


@pytest.mark.parametrize("threaded", [False, True])
def test_downloaded_bytes_reach_the_file_in_small_writes(threaded):
    """A 1 MiB receive buffer goes to the file in curl-sized writes, hashed whole."""
    received = os.urandom(_transfer.READ_SIZE)
    target = _RecordingFile()
    sink = _transfer._Sink(target, 0, "blake3", threaded, None)
    buffer = sink.buffer()
    buffer[:len(received)] = received
    sink.write_buffer(buffer, len(received))
    sink.write(received[:100])
    assert max(target.sizes) == _transfer.WRITE_SIZE < _transfer.READ_SIZE
    assert target.getvalue() == received + received[:100]
    assert sink.hexdigest() == blake3(received + received[:100]).hexdigest()
