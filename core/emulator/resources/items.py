"""Item routes (wire §3.6, §4, §5.1): upload, get, diff update, delete, stream with Range, move, clone, DQL."""
from __future__ import annotations

import io
import json
import posixpath
import shutil
from typing import List

from PIL import Image
from werkzeug.utils import send_file

from .. import dql
from ..errors import BadRequest, NotFound
from ..routing import BOOL, OBJECT, STRING, Route, check_shape, nullable
from ..store import deep_merge
from . import _item_docs as docs
from . import annotations as annotation_routes
from ._uploads import upload

# keys a bulk update may never change (the server owns them)
PROTECTED = ("id", "datasetId", "projectId", "type", "createdAt", "creator", "url", "stream", "thumbnail",
             "annotations", "dataset", "annotationsCount", "annotated", "dir")
# the root fields a PATCH may change; the platform drops any other root field of the body
EDITABLE = ("name", "filename", "description", "metadata", "hidden", "spec")
UPDATE_SHAPE = {"name": STRING, "filename": STRING, "description": nullable(STRING), "metadata": OBJECT,
                "metadata.system": OBJECT, "metadata.user": nullable(OBJECT), "hidden": BOOL,
                "spec": nullable(OBJECT)}
THUMBNAIL_SIZE = 128  # pixels on the longer side
THUMBNAILS = "/.dataloop/thumbnails"


def get_item(ctx, item_id):
    return docs.get_item(ctx, item_id)


def update_item(ctx, item_id):
    diff = {k: v for k, v in ctx.json_object().items() if k in EDITABLE}
    check_shape(diff, UPDATE_SHAPE)
    metadata = diff.get("metadata")
    if isinstance(metadata, dict) and not ctx.flag("system"):
        metadata.pop("system", None)
    new_filename = diff.pop("filename", None)
    new_name = diff.pop("name", None)
    with ctx.store.transaction():
        doc = docs.get_item(ctx, item_id)
        dataset = ctx.store.get("dataset", doc["datasetId"], "Dataset")
        if new_filename is None and new_name is not None:
            if "/" in new_name or not new_name.strip():
                raise BadRequest(f"invalid item name {new_name!r}")
            new_filename = posixpath.join(doc["dir"] or "/", new_name)
        changed = docs.rename(ctx, dataset, doc, new_filename) if new_filename is not None else [doc]
        doc = changed[0]
        if "description" in diff:  # "" (how the SDK clears it) or null: the platform stores none
            doc["description"] = diff.pop("description") or None
        deep_merge(doc, diff)
        doc["updatedBy"] = ctx.user
        ctx.store.replace("item", doc)
    for item in changed:
        ctx.emulator.events.emit("Item", "Updated", item)
    return doc


def delete_item(ctx, item_id):
    with ctx.store.transaction():
        doc = docs.get_item(ctx, item_id)
        deleted = docs.delete_items(ctx, doc["datasetId"], [doc])
    _after_delete(ctx, deleted)
    return True


def _after_delete(ctx, deleted: List[dict]) -> None:
    docs.drop_blobs(ctx, deleted)
    for doc in deleted:
        ctx.emulator.events.emit("Item", "Deleted", doc)


def list_items(ctx, dataset_id):
    """``GET /datasets/{id}/items``: the dataset's visible files, a page at a time (``pageOffset``, ``pageSize``)."""
    docs.get_dataset(ctx, dataset_id)
    body = {"filter": {"$and": [{"hidden": False}, {"type": "file"}]}, "page": ctx.args.get("pageOffset", 0),
            "pageSize": ctx.args.get("pageSize", dql.MAX_PAGE_SIZE)}
    return dql.query(ctx.store, "item", body, scope=dataset_id, serialized=True)


def stream_item(ctx, item_id):
    doc = docs.get_item(ctx, item_id)
    if doc.get("type") == "dir" or not ctx.blobs.exists(item_id):
        raise NotFound(f"Item has no binary: {item_id}")
    mimetype = (doc.get("metadata") or {}).get("system", {}).get("mimetype") or "application/octet-stream"
    return send_file(ctx.blobs.path(item_id), ctx.request.environ, mimetype=mimetype, conditional=True,
                     download_name=safe_download_name(doc.get("name") or item_id), etag=False)


def safe_download_name(name: str) -> str:
    """The name for Content-Disposition: control characters (a newline could split the header), quotes and
    backslashes become ``_``."""
    return "".join("_" if not c.isprintable() or c in '"\\' else c for c in name) or "download"


def thumbnail(ctx, item_id):
    """A JPEG of at most ``THUMBNAIL_SIZE`` pixels, made on first request and kept as a hidden item under
    ``/.dataloop/thumbnails`` named by ``metadata.system.thumbnailId`` (made anew when that is cleared)."""
    doc = docs.get_item(ctx, item_id)
    existing = docs.thumbnail_of(ctx, doc)
    if existing is not None and ctx.blobs.exists(existing["id"]):
        thumbnail_id = existing["id"]
    else:
        thumbnail_id = _make_thumbnail(ctx, doc)
    return send_file(ctx.blobs.path(thumbnail_id), ctx.request.environ, mimetype="image/jpeg", conditional=True,
                     download_name="thumbnail.jpg", etag=False)


def _make_thumbnail(ctx, doc: dict) -> str:
    if doc.get("type") != "file" or not ctx.blobs.exists(doc["id"]):
        raise NotFound(f"Item has no thumbnail: {doc['id']} has no binary")
    try:
        with Image.open(ctx.blobs.path(doc["id"])) as image:
            image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=85)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise NotFound(f"Item has no thumbnail: {doc['id']} is not an image") from None
    data = buffer.getvalue()
    with ctx.store.transaction():
        item = docs.get_item(ctx, doc["id"])
        dataset = ctx.store.get("dataset", item["datasetId"], "Dataset")
        filename = f"{THUMBNAILS}/{item['id']}.jpg"
        stale = docs.find_by_filename(ctx, dataset["id"], filename)
        if stale is not None:
            docs.delete_items(ctx, dataset["id"], [stale])
        docs.ensure_dirs(ctx, dataset, THUMBNAILS)
        thumb = docs.new_doc(ctx, dataset, filename, "file", {"size": len(data), "mimetype": "image/jpeg"})
        thumb["srcItem"] = item["id"]
        ctx.blobs.write(thumb["id"], data)
        ctx.store.insert("item", thumb, scope=dataset["id"])
        item["metadata"].setdefault("system", {})["thumbnailId"] = thumb["id"]
        ctx.store.replace("item", item, touch=False)
    if stale is not None:
        docs.drop_blobs(ctx, [stale])
    return thumb["id"]


def move_items(ctx, dataset_id, dir_id):
    ids = ctx.json(default=None)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("body must be a JSON array of item ids")
    changed = []
    with ctx.store.transaction():
        dataset = docs.get_dataset(ctx, dataset_id)
        target = docs.get_item(ctx, dir_id)
        if target.get("type") != "dir" or target["datasetId"] != dataset_id:
            raise BadRequest(f"destination {dir_id} is not a folder of dataset {dataset_id}")
        for item_id in ids:
            doc = docs.get_item(ctx, item_id)
            if doc["datasetId"] != dataset_id:
                raise BadRequest(f"item {item_id} is not in dataset {dataset_id}")
            destination = posixpath.join(target["filename"], doc["name"])
            changed.extend(docs.rename(ctx, dataset, doc, destination))
    for doc in changed:
        ctx.emulator.events.emit("Item", "Updated", doc)
    return True


def clone_item(ctx, item_id):
    body = ctx.json_object()
    source = docs.get_item(ctx, item_id)
    target_id = body.get("targetDatasetId") or source["datasetId"]
    target = docs.get_dataset(ctx, target_id)
    params = body.get("cloneDatasetParams") or {}
    filename = docs.clean_path(body.get("remoteFileName") or source["filename"], "remoteFileName")
    if source.get("type") == "dir":
        raise BadRequest("cloning folders is not supported; clone the dataset instead")

    def work(progress):
        with ctx.store.transaction():
            if docs.find_by_filename(ctx, target_id, filename) is not None and not body.get("allowMany"):
                raise BadRequest(f"an item named {filename!r} already exists in dataset {target_id}")
            docs.ensure_dirs(ctx, target, posixpath.dirname(filename))
            clone = docs.new_doc(ctx, target, filename, "file")
            metadata = source.get("metadata") or {}
            clone["metadata"] = (dict(metadata) if params.get("withMetadata", True)
                                 else {"system": dict(metadata.get("system") or {})})
            clone["metadata"]["system"] = dict(clone["metadata"].get("system") or {}, refs=[])
            if body.get("metadata"):
                deep_merge(clone["metadata"], body["metadata"])
            clone.update(description=source.get("description"), srcItem=source["id"])
            ctx.store.insert("item", clone, scope=target_id)
            if params.get("withItemsAnnotations", True):
                annotation_routes.copy_annotations(ctx, source, clone)
            handle, temp_path = ctx.blobs.temp_file()
            with handle, open(ctx.blobs.path(source["id"]), "rb") as original:
                shutil.copyfileobj(original, handle, 1 << 20)
            ctx.blobs.commit(temp_path, clone["id"])
        ctx.emulator.events.emit("Item", "Created", ctx.store.get("item", clone["id"]))
        return {"returnedModelId": [clone["id"]], "itemId": source["id"], "targetDatasetId": target_id}

    return ctx.commands.submit(ctx.api_url, "CloneItem", {"itemId": item_id, "targetDatasetId": target_id}, work,
                               creator=ctx.user)


def dataset_query(ctx, dataset_id):
    """``POST /datasets/{id}/query``: list, bulk update or bulk delete of items or annotations (wire §2, §2.6)."""
    body = ctx.json_object()
    docs.get_dataset(ctx, dataset_id)
    resource = body.get("resource", "items")
    if resource == "annotations":
        return annotation_routes.query(ctx, dataset_id, body)
    if resource != "items":
        raise BadRequest(f"unknown resource {resource!r} for dataset query; expected 'items' or 'annotations'")
    if body.get("delete"):
        with ctx.store.transaction():
            matched = list(dql.select(ctx.store, "item", body.get("filter") or {}, scope=dataset_id,
                                      join=body.get("join")))
            deleted = docs.delete_items(ctx, dataset_id, matched)
        _after_delete(ctx, deleted)
        return {"deleted": len(deleted)}
    if "update" in body:
        return _bulk_update(ctx, dataset_id, body)
    return dql.query(ctx.store, "item", body, scope=dataset_id, serialized=True)


def _bulk_update(ctx, dataset_id: str, body: dict):
    check_shape(body, {"update": OBJECT, **{f"update.{k}": v for k, v in UPDATE_SHAPE.items()}})
    update = {k: v for k, v in body["update"].items() if k not in PROTECTED + ("filename", "name")}
    if isinstance(update.get("metadata"), dict) and not body.get("systemSpace"):
        update["metadata"].pop("system", None)
    changed = []
    with ctx.store.transaction():
        for doc in list(dql.select(ctx.store, "item", body.get("filter") or {}, scope=dataset_id,
                                   join=body.get("join"))):
            deep_merge(doc, _copy(update))
            doc["updatedBy"] = ctx.user
            ctx.store.replace("item", doc)
            changed.append(doc)
    for doc in changed:
        ctx.emulator.events.emit("Item", "Updated", doc)
    return {"updated": len(changed), "items": [d["id"] for d in changed]}


def _copy(value):
    return json.loads(json.dumps(value))


ROUTES = [
    Route("POST", "/datasets/<dataset_id>/items", upload),
    Route("POST", "/datasets/<dataset_id>/query", dataset_query),
    Route("PUT", "/datasets/<dataset_id>/items/<dir_id>", move_items),
    Route("GET", "/items/<item_id>", get_item),
    Route("PATCH", "/items/<item_id>", update_item),
    Route("DELETE", "/items/<item_id>", delete_item),
    Route("GET", "/items/<item_id>/stream", stream_item),
    Route("GET", "/items/<item_id>/thumbnail", thumbnail),
    Route("GET", "/datasets/<dataset_id>/items", list_items),
    Route("POST", "/items/<item_id>/clone", clone_item),
]
