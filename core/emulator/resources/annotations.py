"""Annotation routes (wire §3.7, §8 Annotation): create per item (array in, array out), get, diff update, delete."""
from __future__ import annotations

import hashlib
import json
from typing import List

from .. import dql
from ..errors import BadRequest
from ..ids import now_iso
from ..routing import LIST, OBJECT, STRING, Route, check_shape, nullable
from ..store import deep_merge
from . import _item_docs as docs

PROTECTED = ("id", "url", "item", "itemId", "dataset", "datasetId", "createdAt", "creator")
MAX_BATCH = 1000
UPDATE_SHAPE = {"type": STRING, "label": nullable(STRING), "metadata": OBJECT, "metadata.system": OBJECT,
                "metadata.user": nullable(OBJECT), "attributes": nullable(LIST), "description": nullable(STRING),
                "source": nullable(STRING), "labelSuggestions": nullable(LIST)}


def _urls(ctx, doc: dict) -> dict:
    doc.update(url=f"{ctx.api_url}/annotations/{doc['id']}", item=f"{ctx.api_url}/items/{doc['itemId']}",
               dataset=f"{ctx.api_url}/datasets/{doc['datasetId']}")
    return doc


def _new_annotation(ctx, item: dict, raw) -> dict:
    if not isinstance(raw, dict):
        raise BadRequest(f"each annotation must be a JSON object, got {type(raw).__name__}")
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadRequest("annotation 'type' is required (box, point, segment, class, ...)")
    label = raw.get("label")
    if label is not None and not isinstance(label, str):
        raise BadRequest(f"annotation 'label' must be a string, got {type(label).__name__}")
    stamp = now_iso()
    doc = {k: v for k, v in raw.items() if v is not None and not (k == "description" and v == "")}
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    metadata.setdefault("system", {})
    metadata["system"].setdefault("attributes", {})
    doc.update(id=ctx.store.new_id(), itemId=item["id"], datasetId=item["datasetId"], type=kind, label=label,
               metadata=metadata, creator=ctx.user, createdAt=stamp, updatedBy=ctx.user, updatedAt=stamp,
               source=raw.get("source") or "sdk", attributes=raw.get("attributes"))
    doc["hash"] = hashlib.sha1(json.dumps([kind, label, raw.get("coordinates")], sort_keys=True,
                                          default=str).encode()).hexdigest()
    return _urls(ctx, doc)


def create(ctx, item_id):
    body = ctx.json(default=None)
    entries = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
    if entries is None:
        raise BadRequest("body must be a JSON array of annotations")
    if len(entries) > MAX_BATCH:
        raise BadRequest(f"at most {MAX_BATCH} annotations per request, got {len(entries)}")
    with ctx.store.transaction():
        item = docs.get_item(ctx, item_id)
        created = [_new_annotation(ctx, item, raw) for raw in entries]
        for doc in created:
            ctx.store.insert("annotation", doc, scope=item["datasetId"])
        items = docs.refresh_annotation_counts(ctx, item["datasetId"], [item_id])
    _emit(ctx, "Annotation", "Created", created)
    _emit(ctx, "Item", "Updated", items)
    return created


def _get(ctx, annotation_id: str) -> dict:
    docs.check_id(annotation_id, "annotation")
    return ctx.store.get("annotation", annotation_id, "Annotation")


def get(ctx, annotation_id):
    return _get(ctx, annotation_id)


def update(ctx, annotation_id):
    diff = ctx.json_object(UPDATE_SHAPE)
    if diff.get("description") == "":  # clearing the description: the platform stores none
        diff["description"] = None
    for key in PROTECTED:
        diff.pop(key, None)
    if isinstance(diff.get("metadata"), dict) and not ctx.flag("system"):
        diff["metadata"].pop("system", None)
    if "type" in diff and not (isinstance(diff["type"], str) and diff["type"]):
        raise BadRequest("annotation 'type' cannot be removed")
    with ctx.store.transaction():
        doc = _get(ctx, annotation_id)
        deep_merge(doc, diff)
        doc["updatedBy"] = ctx.user
        ctx.store.replace("annotation", doc)
    _emit(ctx, "Annotation", "Updated", [doc])
    return doc


def delete(ctx, annotation_id):
    with ctx.store.transaction():
        doc = _get(ctx, annotation_id)
        ctx.store.delete("annotation", annotation_id)
        items = docs.refresh_annotation_counts(ctx, doc["datasetId"], [doc["itemId"]])
    _emit(ctx, "Annotation", "Deleted", [doc])
    _emit(ctx, "Item", "Updated", items)
    return True


def query(ctx, dataset_id: str, body: dict):
    """Annotation part of ``POST /datasets/{id}/query``: list, bulk update or bulk delete."""
    body = dict(body, filter=_rename_key(body.get("filter") or {}, "annotationId", "id"))
    if not body.get("delete") and "update" not in body:
        return dql.query(ctx.store, "annotation", body, scope=dataset_id)
    with ctx.store.transaction():
        matched = list(dql.select(ctx.store, "annotation", body["filter"], scope=dataset_id, join=body.get("join")))
        if body.get("delete"):
            for doc in matched:
                ctx.store.delete("annotation", doc["id"])
            action = "Deleted"
        else:
            check_shape(body, {"update": OBJECT, **{f"update.{k}": v for k, v in UPDATE_SHAPE.items()}})
            update_body = {k: v for k, v in body["update"].items() if k not in PROTECTED}
            for doc in matched:
                deep_merge(doc, json.loads(json.dumps(update_body)))
                ctx.store.replace("annotation", doc)
            action = "Updated"
        items = docs.refresh_annotation_counts(ctx, dataset_id, [d["itemId"] for d in matched])
    _emit(ctx, "Annotation", action, matched)
    _emit(ctx, "Item", "Updated", items)
    return {action.lower(): len(matched)}


def copy_annotations(ctx, source_item: dict, target_item: dict) -> None:
    """Copy every annotation of one item onto another (item clone); inside the caller's transaction."""
    originals = ctx.store.execute("SELECT doc FROM docs WHERE kind='annotation' AND scope=? "
                                  "AND json_extract(doc, '$.itemId')=? ORDER BY id",
                                  (source_item["datasetId"], source_item["id"])).fetchall()
    for row in originals:
        doc = json.loads(row[0])
        doc.update(id=ctx.store.new_id(), itemId=target_item["id"], datasetId=target_item["datasetId"])
        ctx.store.insert("annotation", _urls(ctx, doc), scope=target_item["datasetId"])
    docs.refresh_annotation_counts(ctx, target_item["datasetId"], [target_item["id"]])


def _rename_key(value, old: str, new: str):
    if isinstance(value, dict):
        return {(new if k == old else k): _rename_key(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_key(v, old, new) for v in value]
    return value


def _emit(ctx, resource: str, action: str, changed: List[dict]) -> None:
    for doc in changed:
        ctx.emulator.events.emit(resource, action, doc)


ROUTES = [
    Route("POST", "/items/<item_id>/annotations", create),
    Route("GET", "/annotations/<annotation_id>", get),
    Route("PUT", "/annotations/<annotation_id>", update),
    Route("DELETE", "/annotations/<annotation_id>", delete),
]
