"""External storage (wire §3.4 ``sync``, §4.2 ``external://``): a dataset's S3-compatible driver bucket as items.

``POST /datasets/{id}/sync`` answers a command that imports every object below the driver's ``path`` as an item
(``/<key relative to path>``), incrementally: an item whose ``metadata.system.externalStorage.etag`` equals the
object's ETag is kept as is. ``POST /datasets/{id}/imports`` imports single objects (``storageId`` =
``<bucket>:<key>``). Objects are fetched with boto3 from the driver's endpoint using the integration's key/secret.
Objects deleted from the bucket are not deleted from the dataset.
"""
from __future__ import annotations

import os
import posixpath
from types import SimpleNamespace
from typing import Optional, Tuple

from ..errors import BadRequest, NotFound
from ..routing import Route
from . import _item_docs as docs
from ._uploads import describe_binary
from .datasets import get_dataset

S3_DRIVER_TYPES = ("s3", "storage", "powerscaleS3")
CHUNK = 1 << 20


# -- configuration -------------------------------------------------------------------------------------
def _driver_of(ctx, dataset: dict) -> Tuple[dict, dict]:
    driver_id = dataset.get("driver")
    if not driver_id:
        raise BadRequest(f"dataset {dataset['id']} has no driver: create it with an external storage driver")
    driver = ctx.store.get("driver", driver_id, "Driver")
    if driver.get("type") not in S3_DRIVER_TYPES:
        raise BadRequest(f"driver type {driver.get('type')!r} is not supported here; S3-compatible drivers only")
    integration = ctx.store.get("integration", driver.get("integrationId") or "", "Integration")
    return driver, integration


def _integration_setting(integration: dict, name: str) -> Optional[str]:
    metadata = integration.get("metadata") or []
    pairs = metadata.items() if isinstance(metadata, dict) else ((m.get("name"), m.get("value")) for m in metadata)
    return next((value for key, value in pairs if key == name), None)


def _s3_client(driver: dict, integration: dict):
    import boto3
    from botocore.config import Config
    options = integration.get("options") or {}
    endpoint = driver.get("endpoint") or _integration_setting(integration, "endpoint")
    return boto3.client("s3", endpoint_url=endpoint or None, aws_access_key_id=options.get("key"),
                        aws_secret_access_key=options.get("secret"),
                        region_name=driver.get("region") or _integration_setting(integration, "region") or "us-east-1",
                        config=Config(retries={"max_attempts": 5, "mode": "standard"}))


def _prefix(driver: dict) -> str:
    path = (driver.get("path") or "").strip("/")
    return path + "/" if path else ""


def _background(ctx) -> SimpleNamespace:
    """What the item helpers need, detached from the request (commands run after the response)."""
    return SimpleNamespace(store=ctx.store, blobs=ctx.blobs, api_url=ctx.api_url, user=ctx.user,
                           emulator=ctx.emulator)


# -- one object -> one item -------------------------------------------------------------------------
def import_object(env, dataset: dict, s3, driver: dict, key: str, filename: str, etag: str) -> Tuple[dict, str]:
    """Create or refresh the item of one object; ``(doc, op)`` with op ``created``/``overwrite``/``skip``."""
    filename = docs.clean_path(filename, "filename")
    existing = docs.find_by_filename(env, dataset["id"], filename)
    if existing is not None and existing.get("type") == "dir":
        raise BadRequest(f"cannot import {key!r}: a folder named {filename!r} exists")
    if existing is not None and _external(existing).get("etag") == etag:
        return existing, "skip"
    handle, temp_path = env.blobs.temp_file()
    try:
        with handle:
            body = s3.get_object(Bucket=driver["bucketName"], Key=key)["Body"]
            for chunk in body.iter_chunks(CHUNK):
                handle.write(chunk)
        system = describe_binary(temp_path, filename, None)
        system["externalStorage"] = {"driverId": driver["id"], "bucket": driver["bucketName"], "key": key,
                                     "etag": etag}
        if etag and "-" not in etag:  # a single-part ETag is the object's md5
            system["md5"] = etag
        with env.blobs.committing(env.store) as stage:  # the record commits first, then the bytes move in
            if existing is not None:
                doc = existing
                doc.setdefault("metadata", {})["system"] = {**(doc["metadata"].get("system") or {}), **system}
                env.store.replace("item", doc)
                op = "overwrite"
            else:
                docs.ensure_dirs(env, dataset, posixpath.dirname(filename))
                doc = docs.new_doc(env, dataset, filename, "file", system)
                env.store.insert("item", doc, scope=dataset["id"])
                op = "created"
            stage(temp_path, doc["id"])
    finally:
        if os.path.exists(temp_path):
            os.remove(temp_path)
    env.emulator.events.emit("Item", "Created" if op == "created" else "Updated", doc)
    return doc, op


def _external(doc: dict) -> dict:
    return ((doc.get("metadata") or {}).get("system") or {}).get("externalStorage") or {}


# -- handlers -------------------------------------------------------------------------------------------
def sync(ctx, dataset_id):
    dataset = get_dataset(ctx, dataset_id)
    driver, integration = _driver_of(ctx, dataset)
    env, s3, prefix = _background(ctx), _s3_client(driver, integration), _prefix(driver)

    def work(progress) -> dict:
        objects = [obj for page in s3.get_paginator("list_objects_v2").paginate(
                   Bucket=driver["bucketName"], Prefix=prefix) for obj in page.get("Contents") or []
                   if not obj["Key"].endswith("/")]
        counts = {"created": 0, "overwrite": 0, "skip": 0}
        for done, obj in enumerate(objects):
            rel = obj["Key"][len(prefix):]
            _, op = import_object(env, dataset, s3, driver, obj["Key"], "/" + rel, obj["ETag"].strip('"'))
            counts[op] += 1
            progress(100 * (done + 1) // max(1, len(objects)))
        return {"datasetId": dataset["id"], "importedCount": counts["created"], "updatedCount": counts["overwrite"],
                "unchangedCount": counts["skip"]}
    return ctx.commands.submit(ctx.api_url, "datasetSync", {"datasetId": dataset["id"]}, work, creator=ctx.user)


def imports(ctx, dataset_id):
    dataset = get_dataset(ctx, dataset_id)
    entries = ctx.json(default=None)
    if not isinstance(entries, list) or not entries:
        raise BadRequest("body must be a non-empty JSON array of {filename, storageId}")
    driver, integration = _driver_of(ctx, dataset)
    s3, env, results, ops = _s3_client(driver, integration), _background(ctx), [], []
    for entry in entries:
        storage_id = entry.get("storageId") if isinstance(entry, dict) else None
        bucket, sep, key = (storage_id or "").partition(":")
        if not sep or not key or bucket != driver["bucketName"]:
            raise BadRequest(f"storageId must be '{driver['bucketName']}:<key>', got {storage_id!r}")
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except Exception as exc:  # botocore ClientError: missing object, bad credentials...
            raise NotFound(f"Object not found in external storage: {storage_id} ({type(exc).__name__})") from None
        doc, op = import_object(env, dataset, s3, driver, key, entry.get("filename") or "/" + key,
                                head["ETag"].strip('"'))
        results.append(doc)
        ops.append(op)
    return results, 200, {"x-item-op": ops[0]}


ROUTES = [
    Route("POST", "/datasets/<dataset_id>/sync", sync),
    Route("POST", "/datasets/<dataset_id>/imports", imports),
]
