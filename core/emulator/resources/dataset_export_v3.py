"""Dataset export v3 (wire §5.5): partitioned, gzip'd NDJSON of item JSONs (with annotations) behind a manifest.

Versions are epoch milliseconds: an export's ``toVersion`` is the moment its snapshot was taken (strictly
greater than the dataset's previous one). ``diff`` exports every item created or updated, or whose
annotations were created, updated or deleted, at or after ``fromVersion`` — at least once, so an item
changed while an export runs may appear in the next diff too. Items deleted since ``fromVersion`` are listed
in the manifest's ``deletedItems`` (recorded from the event bus once the dataset has a v3 export).

Documents: ``dataset_export`` (scope datasetId) holds one export's manifest and file blob ids;
``export_change`` (scope datasetId) records deletions the item/annotation documents cannot show.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import time
import zlib
from datetime import datetime, timezone

from werkzeug.utils import send_file

from .. import dql
from ..errors import BadRequest, NotFound
from ..ids import is_object_id, now_iso
from ..routing import Route
from .dataset_commands import with_annotations
from .datasets import get_dataset

MANIFEST_VERSION = "1.0"
SYSTEM_DIR = "/.dataloop/"  # export outputs and history files are never exported
ITEMS_PER_PARTITION = 10_000
MAX_PARTITIONS = 256
DEFAULT_FILTER = {"$and": [{"hidden": False}, {"type": "file"}]}


def version_iso(version: int) -> str:
    """The ``updatedAt``-style timestamp of a version (epoch milliseconds)."""
    moment = datetime.fromtimestamp(version / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _exports(ctx, dataset_id: str) -> list:
    return ctx.store.list("dataset_export", dataset_id)


def _check_body(body: dict) -> dict:
    mode = body.get("mode", "full")
    if mode not in ("full", "diff"):
        raise BadRequest(f"mode must be 'full' or 'diff', got {mode!r}")
    if body.get("format", "ndjson") != "ndjson":
        raise BadRequest(f"format must be 'ndjson', got {body.get('format')!r}")
    from_version = body.get("fromVersion")
    if mode == "diff" and from_version is None:
        raise BadRequest("fromVersion is required in diff mode")
    if from_version is not None and (isinstance(from_version, bool) or not isinstance(from_version, int)
                                     or from_version < 0):
        raise BadRequest(f"fromVersion must be an integer >= 0, got {from_version!r}")
    count = body.get("partitionCount")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or not 1 <= count <= MAX_PARTITIONS):
        raise BadRequest(f"partitionCount must be an integer between 1 and {MAX_PARTITIONS}, got {count!r}")
    filters = body.get("filters")
    if filters is not None and not (isinstance(filters, dict) and isinstance(filters.get("itemsQuery", {}), dict)):
        raise BadRequest("filters must be {\"itemsQuery\": {\"filter\": ...}}")
    return {"mode": mode, "fromVersion": from_version if mode == "diff" else None, "partitionCount": count,
            "filter": ((filters or {}).get("itemsQuery") or {}).get("filter") or DEFAULT_FILTER}


def export_v3(ctx, dataset_id):
    dataset = get_dataset(ctx, dataset_id)
    options = _check_body(ctx.json_object())
    api_url = ctx.api_url

    def work(progress):
        return {"exportResult": _export(ctx, api_url, dataset, options), "datasetId": dataset_id}

    return ctx.commands.submit(api_url, "ExportDatasetV3", {"datasetId": dataset_id}, work, creator=ctx.user)


def _snapshot_version(ctx, dataset_id: str) -> int:
    previous = max((e["toVersion"] for e in _exports(ctx, dataset_id)), default=0)
    version = max(int(time.time() * 1000), previous + 1)
    while int(time.time() * 1000) <= version:  # writes stamped before the snapshot are committed by now
        time.sleep(0.001)
    return version


def _changed_item_ids(ctx, dataset_id: str, since: str) -> set:
    rows = ctx.store.execute(
        "SELECT DISTINCT json_extract(doc, '$.itemId') FROM docs WHERE kind='annotation' AND scope=? AND "
        "json_extract(doc, '$.updatedAt') >= ?", (dataset_id, since))
    changed = {row[0] for row in rows}
    for mark in ctx.store.list("export_change", dataset_id, "json_extract(doc, '$.at') >= ?", (since,)):
        changed.add(mark["itemId"])
    return changed


def _records(ctx, dataset_id: str, options: dict) -> list:
    items = [i for i in dql.select(ctx.store, "item", options["filter"], scope=dataset_id)
             if not (i.get("filename") or "").startswith(SYSTEM_DIR)]
    if options["mode"] == "diff":
        since = version_iso(options["fromVersion"])
        touched = _changed_item_ids(ctx, dataset_id, since)
        items = [i for i in items if (i.get("updatedAt") or "") >= since or i["id"] in touched]
    return with_annotations(ctx, dataset_id, items, None)


def _deleted_items(ctx, dataset_id: str, options: dict) -> list:
    if options["mode"] != "diff":
        return []
    marks = ctx.store.list("export_change", dataset_id, "json_extract(doc, '$.change') = 'itemDeleted' AND "
                           "json_extract(doc, '$.at') >= ?", (version_iso(options["fromVersion"]),))
    return [{"id": m["itemId"], "filename": m.get("filename"), "deletedAt": m["at"]} for m in marks
            if ctx.store.find("item", m["itemId"]) is None]


def _partition_count(options: dict, total: int) -> int:
    return options["partitionCount"] or max(1, min(MAX_PARTITIONS, -(-total // ITEMS_PER_PARTITION)))


def _export(ctx, api_url: str, dataset: dict, options: dict) -> dict:
    started = time.monotonic()
    dataset_id = dataset["id"]
    to_version = _snapshot_version(ctx, dataset_id)
    records = _records(ctx, dataset_id, options)
    count = _partition_count(options, len(records))
    buckets = [[] for _ in range(count)]
    for record in records:
        buckets[zlib.crc32(record["id"].encode()) % count].append(record)
    export_id = ctx.store.new_id()
    base = f"{api_url}/datasets/{dataset_id}/export/v3/{export_id}"
    files, partitions, blobs = [], [], {}
    for index, bucket in enumerate(buckets):
        if not bucket:
            continue
        lines = "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in bucket)
        data = gzip.compress(lines.encode("utf-8"), mtime=0)
        filename = f"part-{index:05d}.ndjson.gz"
        blob_id = ctx.store.new_id()
        ctx.blobs.write(blob_id, data)
        blobs[filename] = blob_id
        url = f"{base}/files/{filename}"
        files.append({"size": len(data), "format": "ndjson", "compression": "gzip", "url": url,
                      "checksum": base64.b64encode(hashlib.md5(data).digest()).decode("ascii"),
                      "filename": filename, "path": url})
        partitions.append({"index": index, "hash": hashlib.md5(data).hexdigest(), "itemCount": len(bucket),
                           "filePath": filename, "fileSize": len(data), "url": url})
    manifest = {"manifestVersion": MANIFEST_VERSION, "exportId": export_id, "datasetId": dataset_id,
                "exportedAt": version_iso(to_version), "format": "ndjson", "mode": options["mode"],
                "fromVersion": options["fromVersion"], "toVersion": to_version,
                "filters": {"itemsQuery": {"filter": options["filter"]}}, "files": files,
                "partitioning": {"partitionCount": count, "partitions": partitions},
                "deletedItems": _deleted_items(ctx, dataset_id, options),
                "statistics": {"totalRecords": len(records), "totalBytes": sum(f["size"] for f in files),
                               "fileCount": len(files),
                               "processingTimeMs": int((time.monotonic() - started) * 1000)}}
    ctx.store.insert("dataset_export", {"id": export_id, "datasetId": dataset_id, "toVersion": to_version,
                                        "manifest": manifest, "blobs": blobs}, scope=dataset_id)
    return {"manifestUrl": f"{base}/manifest", "totalRecords": len(records), "fromVersion": options["fromVersion"],
            "toVersion": to_version, "mode": options["mode"], "exportId": export_id,
            "deletedRecords": len(manifest["deletedItems"])}


def _get_export(ctx, dataset_id: str, export_id: str) -> dict:
    get_dataset(ctx, dataset_id)
    if not is_object_id(export_id):
        raise BadRequest(f"invalid export id: {export_id!r}")
    doc = ctx.store.find("dataset_export", export_id)
    if doc is None or doc["datasetId"] != dataset_id:
        raise NotFound(f"Export not found: {export_id}")
    return doc


def get_manifest(ctx, dataset_id, export_id):
    return _get_export(ctx, dataset_id, export_id)["manifest"]


def get_file(ctx, dataset_id, export_id, filename):
    blob_id = _get_export(ctx, dataset_id, export_id)["blobs"].get(filename)
    if blob_id is None or not ctx.blobs.exists(blob_id):
        raise NotFound(f"Export file not found: {filename}")
    return send_file(ctx.blobs.path(blob_id), ctx.request.environ, mimetype="application/gzip",
                     download_name=filename, conditional=True, etag=False)


def drop_exports(ctx, dataset_id: str) -> list:
    """Forget a deleted dataset's exports and change marks (inside its delete transaction); returns the
    blob ids of the export files, to delete once the transaction committed."""
    blob_ids = [b for export in _exports(ctx, dataset_id) for b in export["blobs"].values()]
    ctx.store.delete_where("dataset_export", "scope=?", (dataset_id,))
    ctx.store.delete_where("export_change", "scope=?", (dataset_id,))
    return blob_ids


class ChangeRecorder:
    """Event listener: records item deletions and annotation deletions of datasets that have a v3 export."""

    def __init__(self, emulator):
        self.store = emulator.store
        emulator.events.subscribe(self)

    def __call__(self, resource: str, action: str, doc: dict) -> None:
        if action != "Deleted" or resource not in ("Item", "Annotation"):
            return
        dataset_id = doc.get("datasetId")
        if not dataset_id or not self.store.count("dataset_export", dataset_id):
            return
        item_id = doc["id"] if resource == "Item" else doc.get("itemId")
        change = "itemDeleted" if resource == "Item" else "annotationDeleted"
        self.store.insert("export_change", {"datasetId": dataset_id, "itemId": item_id, "change": change,
                                            "filename": doc.get("filename"), "at": now_iso()}, scope=dataset_id)


ROUTES = [
    Route("POST", "/datasets/<dataset_id>/export/v3", export_v3),
    Route("GET", "/datasets/<dataset_id>/export/v3/<export_id>/manifest", get_manifest),
    Route("GET", "/datasets/<dataset_id>/export/v3/<export_id>/files/<filename>", get_file),
]
