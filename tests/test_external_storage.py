"""External storage end to end: an S3 bucket on a real S3 protocol server (moto, 127.0.0.1) imported into a
dataset by ``Datasets.sync`` (a command), incrementally; single objects by ``POST /datasets/{id}/imports``."""
from __future__ import annotations

import hashlib

import pytest

import boto3

from dataloop_core.exceptions import BadRequest, NotFound
from dataloop_core.sync import pull

KEY, SECRET = "test-key", "test-secret"


@pytest.fixture
def bucket(s3_endpoint, unique):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                      region_name="us-east-1")
    name = unique("bucket")
    s3.create_bucket(Bucket=name)
    return s3, name


@pytest.fixture
def synced_dataset(client, project, bucket, s3_endpoint, unique):
    s3, name = bucket
    integration = project.integrations.create_s3_compatible_api(unique("s3"), KEY, SECRET, s3_endpoint)
    driver = project.drivers.create(unique("driver"), "s3", integration.id, name, integration_type="s3",
                                    path="data", endpoint=s3_endpoint)
    return project.datasets.create(unique("external"), driver_id=driver.id)


def files_of(client, dataset_id):
    body = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 1000, "resource": "items"}
    return {i["filename"]: i for i in client.transport.json("POST", f"/datasets/{dataset_id}/query",
                                                            json=body)["items"]}


def test_sync_imports_bucket_objects_incrementally(client, synced_dataset, bucket, tmp_path):
    s3, name = bucket
    objects = {"data/a.txt": b"alpha", "data/sub/b.bin": bytes(range(256)) * 10, "outside/x.txt": b"not synced"}
    for key, body in objects.items():
        s3.put_object(Bucket=name, Key=key, Body=body)
    command = client.datasets.sync(synced_dataset.id, wait=False).wait(timeout=60)
    assert command.spec["datasetId"] == synced_dataset.id
    assert (command.spec["importedCount"], command.spec["unchangedCount"]) == (2, 0)
    items = files_of(client, synced_dataset.id)
    assert set(items) == {"/a.txt", "/sub/b.bin"}
    external = items["/a.txt"]["metadata"]["system"]["externalStorage"]
    assert (external["bucket"], external["key"]) == (name, "data/a.txt")
    assert items["/a.txt"]["metadata"]["system"]["md5"] == hashlib.md5(b"alpha").hexdigest()
    assert items["/sub/b.bin"]["metadata"]["system"]["size"] == 2560

    s3.put_object(Bucket=name, Key="data/a.txt", Body=b"ALPHA v2")
    s3.put_object(Bucket=name, Key="data/c.txt", Body=b"gamma")
    assert client.datasets.sync(synced_dataset.id) is True
    items_after = files_of(client, synced_dataset.id)
    assert set(items_after) == {"/a.txt", "/sub/b.bin", "/c.txt"}
    assert items_after["/a.txt"]["id"] == items["/a.txt"]["id"]  # refreshed in place
    assert items_after["/sub/b.bin"]["updatedAt"] == items["/sub/b.bin"]["updatedAt"]  # unchanged: untouched
    summary = pull(client, synced_dataset.id, str(tmp_path / "dst"), journal_dir=str(tmp_path / "j"))
    assert summary.ok and (tmp_path / "dst" / "a.txt").read_bytes() == b"ALPHA v2"
    assert (tmp_path / "dst" / "sub" / "b.bin").read_bytes() == objects["data/sub/b.bin"]


def test_imports_single_objects(client, synced_dataset, bucket):
    s3, name = bucket
    s3.put_object(Bucket=name, Key="data/one.txt", Body=b"one")
    answer = client.transport.request("POST", f"/datasets/{synced_dataset.id}/imports",
                                      json=[{"filename": "/imported/one.txt", "storageId": f"{name}:data/one.txt"}])
    assert answer.headers["x-item-op"] == "created"
    assert answer.json()[0]["filename"] == "/imported/one.txt"
    again = client.transport.request("POST", f"/datasets/{synced_dataset.id}/imports",
                                     json=[{"filename": "/imported/one.txt", "storageId": f"{name}:data/one.txt"}])
    assert again.headers["x-item-op"] == "skip"
    with pytest.raises(NotFound, match="Object not found"):
        client.transport.request("POST", f"/datasets/{synced_dataset.id}/imports",
                                 json=[{"filename": "/x", "storageId": f"{name}:data/missing.txt"}])
    with pytest.raises(BadRequest, match="storageId"):
        client.transport.request("POST", f"/datasets/{synced_dataset.id}/imports",
                                 json=[{"filename": "/x", "storageId": "other-bucket:key"}])


def test_sync_needs_a_driver_and_a_valid_id(client, dataset):
    with pytest.raises(BadRequest, match="has no driver"):
        client.datasets.sync(dataset.id)
    with pytest.raises(NotFound, match="Dataset not found"):
        client.datasets.sync("0123456789abcdef01234567")
    with pytest.raises(NotFound, match="Dataset not found"):  # a malformed dataset id, as on the platform
        client.datasets.sync("not-an-id")
