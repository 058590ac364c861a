"""Dataset export v3 against the emulator: full and diff NDJSON exports, manifest, checksums, history."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os

import pytest

from dataloop_core import Filters
from dataloop_core._transfer import upload_one
from dataloop_core.entities.export_manifest import ExportManifest
from dataloop_core.exceptions import BadRequest, NotFound

UNKNOWN_ID = "0123456789abcdef01234567"


def upload(client, dataset, remote_path, data=b"binary"):
    return upload_one(client.transport, dataset.id, data, remote_path)[0]


def annotate(client, item_json, *labels):
    body = [{"type": "class", "label": label, "metadata": {"system": {}}} for label in labels]
    return client.transport.json("POST", f"/items/{item_json['id']}/annotations", json=body)


def by_filename(manifest: ExportManifest) -> dict:
    return {record["filename"]: record for record in manifest.iter_records()}


def test_full_export_downloads_verified_partitions(client, dataset, tmp_path):
    first = upload(client, dataset, "/a/one.png")
    annotate(client, first, "cat", "dog")
    upload(client, dataset, "/a/two.png")
    upload(client, dataset, "/three.png")
    manifest = dataset.export(local_path=str(tmp_path), export_version="v3", partition_count=2)
    assert isinstance(manifest, ExportManifest)
    assert manifest.mode == "full" and manifest.from_version is None and manifest.to_version > 0
    assert manifest.dataset_id == dataset.id and manifest.total_records == 3 and manifest.local_path == str(tmp_path)
    assert manifest.partition_count == 2 and 1 <= len(manifest.files) <= 2
    assert manifest.statistics.file_count == len(manifest.files)
    assert manifest.total_bytes == sum(f.size for f in manifest.files)
    for file, local in zip(sorted(manifest.files, key=lambda f: f.filename), manifest.downloaded_files):
        with open(local, "rb") as handle:
            data = handle.read()
        assert os.path.basename(local) == file.filename and file.compression == "gzip"
        assert base64.b64encode(hashlib.md5(data).digest()).decode() == file.checksum
        assert gzip.decompress(data).decode().endswith("\n")
    records = by_filename(manifest)
    assert set(records) == {"/a/one.png", "/a/two.png", "/three.png"}
    assert sorted(a["label"] for a in records["/a/one.png"]["annotations"]) == ["cat", "dog"]
    assert records["/three.png"]["annotations"] == []
    assert sum(p.item_count for p in manifest.partitions) == 3
    ndjson = manifest.decompress(str(tmp_path / "plain"))
    assert sum(len(open(p).read().splitlines()) for p in ndjson) == 3


def test_export_records_metadata_and_hidden_history(client, dataset, tmp_path):
    upload(client, dataset, "/one.png")
    first = dataset.export(local_path=str(tmp_path / "1"), export_version="v3")
    second = dataset.export(local_path=str(tmp_path / "2"), export_version="v3")
    assert second.to_version > first.to_version and second.export_id != first.export_id
    fresh = dataset.datasets.get(dataset_id=dataset.id)
    meta = fresh.metadata["export_v3"]
    assert meta["last_export_id"] == second.export_id and meta["last_to_version"] == second.to_version
    assert meta["last_export_mode"] == "full" and meta["last_total_records"] == 1
    assert meta["last_export_by"] == "tester@dataloop.local"
    history_item = dataset.items.get(filepath="/.dataloop/all_exports.json")
    assert history_item.to_json()["hidden"] is True
    history = json.loads(history_item.download(save_locally=False).getvalue())
    assert [e["export_id"] for e in history["exports"]] == [first.export_id, second.export_id]
    assert fresh.items_count == 1  # neither the history item nor the exports count as items
    assert {r["filename"] for r in second.iter_records()} == {"/one.png"}


def test_diff_export_reports_changes_since_last_export(client, dataset, tmp_path):
    kept = upload(client, dataset, "/kept.png")
    edited = upload(client, dataset, "/edited.png")
    annotated = upload(client, dataset, "/annotated.png")
    removed = upload(client, dataset, "/removed.png")
    unannotated = upload(client, dataset, "/unannotated.png")
    label = annotate(client, unannotated, "old")[0]
    full = dataset.export(local_path=str(tmp_path / "full"), export_version="v3")
    assert full.total_records == 5
    client.transport.json("PATCH", f"/items/{edited['id']}", json={"description": "changed"})
    annotate(client, annotated, "new")
    client.transport.json("DELETE", f"/items/{removed['id']}")
    client.transport.json("DELETE", f"/annotations/{label['id']}")
    upload(client, dataset, "/added.png")
    diff = dataset.export(local_path=str(tmp_path / "diff"), export_version="v3", export_mode="diff")
    assert diff.mode == "diff" and diff.from_version == full.to_version and diff.to_version > full.to_version
    records = by_filename(diff)
    assert set(records) == {"/edited.png", "/annotated.png", "/added.png", "/unannotated.png"}
    assert kept["filename"] not in records
    assert records["/edited.png"]["description"] == "changed"
    assert [a["label"] for a in records["/annotated.png"]["annotations"]] == ["new"]
    assert records["/unannotated.png"]["annotations"] == []
    assert [d["id"] for d in diff.deleted_items] == [removed["id"]]
    quiet = dataset.export(local_path=str(tmp_path / "quiet"), export_version="v3", export_mode="diff")
    assert quiet.total_records == 0 and quiet.files == [] and quiet.deleted_items == []
    assert quiet.from_version == diff.to_version
    again = dataset.export(local_path=str(tmp_path / "again"), export_version="v3", export_mode="diff",
                           from_version=full.to_version)
    assert {r["filename"] for r in again.iter_records()} == set(records)


def test_diff_without_previous_export_is_full_and_filters_apply(client, dataset, tmp_path):
    upload(client, dataset, "/a/in.png")
    upload(client, dataset, "/b/out.png")
    manifest = dataset.export(local_path=str(tmp_path), export_version="v3", export_mode="diff",
                              filters=Filters(field="dir", values="/a"))
    assert manifest.mode == "full" and manifest.from_version is None
    assert [r["filename"] for r in manifest.iter_records()] == ["/a/in.png"]
    assert manifest.filters["itemsQuery"]["filter"]["$and"][-1] == {"dir": "/a"}


def test_empty_dataset_export(dataset, tmp_path):
    manifest = dataset.export(local_path=str(tmp_path), export_version="v3")
    assert manifest.total_records == 0 and manifest.files == [] and manifest.downloaded_files == []
    with pytest.raises(ValueError, match="downloaded"):
        list(manifest.iter_records())


def test_checksum_mismatch_leaves_no_file(emulator, client, dataset, tmp_path):
    upload(client, dataset, "/one.png")
    manifest = dataset.export(local_path=str(tmp_path / "ok"), export_version="v3")
    record = emulator.emulator.store.get("dataset_export", manifest.export_id)
    emulator.emulator.blobs.write(next(iter(record["blobs"].values())), b"tampered")
    from dataloop_core.repositories._dataset_export_v3 import _download
    with pytest.raises(BadRequest, match="checksum mismatch"):
        _download(dataset.datasets, manifest.files[0], str(tmp_path))
    assert os.listdir(tmp_path) == ["ok"]


def test_bad_arguments_raise_before_requests(dataset, tmp_path):
    with pytest.raises(ValueError):
        dataset.export(export_version="v3", export_mode="partial")
    with pytest.raises(ValueError, match="from_version"):
        dataset.export(export_version="v3", export_mode="diff", from_version=-1)
    with pytest.raises(ValueError, match="partition_count"):
        dataset.export(export_version="v3", partition_count=0)
    with pytest.raises(ValueError, match="filters"):
        dataset.export(export_version="v3", filters="dir=/a")
    with pytest.raises(ValueError, match="parallel_downloads"):
        dataset.export(export_version="v3", parallel_downloads=0)
    with pytest.raises(NotFound, match="Dataset not found"):
        dataset.datasets.export(dataset_id=UNKNOWN_ID, export_version="v3")


def test_emulator_rejects_bad_requests(client, dataset):
    url = f"/datasets/{dataset.id}/export/v3"
    for body, message in [({"mode": "partial"}, "mode"), ({"mode": "diff"}, "fromVersion"),
                          ({"mode": "diff", "fromVersion": "1"}, "fromVersion"), ({"format": "csv"}, "format"),
                          ({"partitionCount": 0}, "partitionCount"), ({"filters": []}, "filters")]:
        with pytest.raises(BadRequest, match=message):
            client.transport.json("POST", url, json=body)
    with pytest.raises(NotFound, match="Export not found"):
        client.transport.json("GET", f"{url}/{UNKNOWN_ID}/manifest")
    with pytest.raises(BadRequest, match="export id"):
        client.transport.json("GET", f"{url}/not-an-id/manifest")
    with pytest.raises(NotFound):  # a malformed dataset id is a dataset not found, as on the platform
        client.transport.json("POST", "/datasets/bad-id/export/v3", json={})


def test_deleting_dataset_drops_its_exports(emulator, client, project, unique, tmp_path):
    dataset = project.datasets.create(unique("ds"))
    upload(client, dataset, "/one.png")
    manifest = dataset.export(local_path=str(tmp_path), export_version="v3")
    blobs = list(emulator.emulator.store.get("dataset_export", manifest.export_id)["blobs"].values())
    dataset.delete(sure=True, really=True)
    assert emulator.emulator.store.find("dataset_export", manifest.export_id) is None
    assert not any(emulator.emulator.blobs.exists(b) for b in blobs)


def test_system_folder_is_never_exported(client, dataset, tmp_path):
    upload(client, dataset, "/.dataloop/notes.json", b"{}")
    upload(client, dataset, "/one.png")
    manifest = dataset.export(local_path=str(tmp_path / "v3"), export_version="v3")
    assert [r["filename"] for r in manifest.iter_records()] == ["/one.png"]
    with open(dataset.export(local_path=str(tmp_path / "v1"))) as handle:
        assert [i["filename"] for i in json.load(handle)] == ["/one.png"]
