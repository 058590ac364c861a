"""Item documents in the emulator: path rules, lookups by (dataset, filename), folders, cascading deletes."""
from __future__ import annotations

import json
import posixpath
from typing import Iterable, List, Optional

from ..errors import BadRequest, not_found
from ..ids import is_object_id, now_iso

# literal kind so SQLite can use the partial expression index ix_item_filename
_BY_FILENAME = ("SELECT doc FROM docs WHERE kind='item' AND scope=? "
                "AND json_extract(doc, '$.filename')=?")
_TYPES_BY_FILENAME = ("SELECT json_extract(doc, '$.filename'), json_extract(doc, '$.type') FROM docs "
                      "WHERE kind='item' AND scope=? AND json_extract(doc, '$.filename')")
_UNDER_DIR = ("SELECT doc FROM docs WHERE kind='item' AND scope=? "
              "AND json_extract(doc, '$.filename') > ? AND json_extract(doc, '$.filename') < ?")


def check_id(value: str, entity: str) -> str:
    """400 for a malformed id (wire §1.5)."""
    if not is_object_id(value):
        raise BadRequest(f"invalid {entity} id: {value!r} (expected 24 hex characters)")
    return value


def get_dataset(ctx, dataset_id: str) -> dict:
    """404 for an unknown or malformed id (as the platform answers for datasets)."""
    if not is_object_id(dataset_id):
        raise not_found("Dataset", repr(dataset_id))
    return ctx.store.get("dataset", dataset_id, "Dataset")


def get_item(ctx, item_id: str) -> dict:
    check_id(item_id, "item")
    return ctx.store.get("item", item_id, "Item")


def clean_path(raw, what: str = "path") -> str:
    """A remote path normalized to ``/a/b``; 400 naming the path for ``..``, backslashes or NUL."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest(f"{what} is required")
    if "\x00" in raw or "\\" in raw:
        raise BadRequest(f"invalid {what} {raw!r}: backslashes and NUL are not allowed")
    parts = [p for p in raw.split("/") if p]
    if any(p in ("..", ".") for p in parts):
        raise BadRequest(f"invalid {what} {raw!r}: '.' and '..' segments are not allowed")
    return "/" + "/".join(parts)


def urls(ctx, doc: dict) -> dict:
    api_url = ctx.api_url
    base = f"{api_url}/items/{doc['id']}"
    doc.update(url=base, stream=base + "/stream", thumbnail=base + "/thumbnail", annotations=base + "/annotations",
               dataset=f"{api_url}/datasets/{doc['datasetId']}")
    return doc


SYSTEM_FOLDER = "/.dataloop/"  # the platform's own files (exports, instructions, icons) are hidden items


def is_system(filename: str) -> bool:
    """The platform's own files and folders (``/.dataloop`` and below) are hidden."""
    return filename == SYSTEM_FOLDER.rstrip("/") or filename.startswith(SYSTEM_FOLDER)


def new_doc(ctx, dataset: dict, filename: str, item_type: str, system: Optional[dict] = None) -> dict:
    """A fresh item document (not stored) with its id and URLs."""
    dir_name = posixpath.dirname(filename) if filename != "/" else ""
    stamp = now_iso()
    doc = {"id": ctx.store.new_id(), "datasetId": dataset["id"], "projectId": _project_id(dataset),
           "type": item_type, "filename": filename, "name": posixpath.basename(filename), "dir": dir_name,
           "hidden": is_system(filename), "annotated": False, "annotationsCount": 0, "createdAt": stamp, "updatedAt": stamp,
           "creator": ctx.user, "updatedBy": ctx.user, "description": None, "spec": None, "srcItem": None,
           "metadata": {"system": dict(system or {})}}
    return urls(ctx, doc)


def _project_id(dataset: dict) -> Optional[str]:
    projects = dataset.get("projects") or []
    return dataset.get("projectId") or (projects[0] if projects else None)


def find_by_filename(ctx, dataset_id: str, filename: str, item_type: Optional[str] = None) -> Optional[dict]:
    for row in ctx.store.execute(_BY_FILENAME, (dataset_id, filename)):
        doc = json.loads(row[0])
        if item_type is None or doc.get("type") == item_type:
            return doc
    return None


def under_dir(ctx, dataset_id: str, dir_filename: str) -> List[dict]:
    """Every item below a folder (any depth), by filename range so the filename index serves it."""
    prefix = dir_filename.rstrip("/") + "/"
    return [json.loads(r[0]) for r in ctx.store.execute(_UNDER_DIR, (dataset_id, prefix, prefix[:-1] + "0"))]


def ensure_dirs(ctx, dataset: dict, dir_path: str) -> List[dict]:
    """Create missing folder items for ``dir_path`` and its ancestors (root included); return the new ones."""
    created = []
    path = dir_path
    chain = []
    while True:
        chain.append(path)
        if path == "/":
            break
        path = posixpath.dirname(path)
    marks = ",".join("?" * len(chain))
    types = dict(ctx.store.execute(f"{_TYPES_BY_FILENAME} IN ({marks})", (dataset["id"], *chain)).fetchall())
    for path in reversed(chain):
        existing = types.get(path)
        if existing is None:
            doc = new_doc(ctx, dataset, path, "dir")
            if path == "/":
                doc.update(name="", dir="")
            doc["metadata"]["system"]["mimetype"] = "dir"
            ctx.store.insert("item", doc, scope=dataset["id"])
            created.append(doc)
        elif existing != "dir":
            raise BadRequest(f"cannot create folder {path!r}: a file with that path exists")
    return created


def delete_items(ctx, dataset_id: str, docs: Iterable[dict]) -> List[dict]:
    """Delete items (folders with their content), their annotations and binaries; return deleted docs.

    Runs inside the caller's transaction; blobs are removed by the caller after commit via ``drop_blobs``.
    """
    deleted, seen = [], set()
    for doc in docs:
        batch = [doc] + (under_dir(ctx, dataset_id, doc["filename"]) if doc.get("type") == "dir" else [])
        batch += [t for t in (thumbnail_of(ctx, v) for v in list(batch)) if t is not None]
        for victim in batch:
            if victim["id"] in seen:
                continue
            seen.add(victim["id"])
            ctx.store.execute("DELETE FROM docs WHERE id=? AND kind='item'", (victim["id"],))
            deleted.append(victim)
    delete_annotations_of(ctx, dataset_id, [d["id"] for d in deleted])
    return deleted


def thumbnail_of(ctx, doc: dict) -> Optional[dict]:
    """The hidden thumbnail item made for ``doc`` (it goes with the item). Only one made from this very item
    counts: a copied or edited ``thumbnailId`` never names another item's thumbnail, or any other item."""
    thumbnail_id = ((doc.get("metadata") or {}).get("system") or {}).get("thumbnailId")
    thumbnail = ctx.store.find("item", thumbnail_id) if is_object_id(thumbnail_id) else None
    return thumbnail if thumbnail is not None and thumbnail.get("srcItem") == doc["id"] else None


def delete_annotations_of(ctx, dataset_id: str, item_ids: List[str]) -> None:
    for start in range(0, len(item_ids), 500):
        chunk = item_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        ctx.store.execute(f"DELETE FROM docs WHERE kind='annotation' AND scope=? "
                          f"AND json_extract(doc, '$.itemId') IN ({marks})", (dataset_id, *chunk))


def drop_blobs(ctx, docs: Iterable[dict]) -> None:
    for doc in docs:
        ctx.blobs.delete(doc["id"])


def rename(ctx, dataset: dict, doc: dict, new_filename: str) -> List[dict]:
    """Move/rename an item (a folder drags its content); 400 if the target path is taken. Returns changed docs."""
    new_filename = clean_path(new_filename, "filename")
    old = doc["filename"]
    if new_filename == old:
        return [doc]
    if find_by_filename(ctx, dataset["id"], new_filename) is not None:
        raise BadRequest(f"an item named {new_filename!r} already exists in the dataset")
    if doc.get("type") == "dir" and new_filename.startswith(old.rstrip("/") + "/"):
        raise BadRequest(f"cannot move folder {old!r} into itself")
    ensure_dirs(ctx, dataset, posixpath.dirname(new_filename))
    children = under_dir(ctx, dataset["id"], old) if doc.get("type") == "dir" else []
    changed = []
    for item in [doc] + children:
        item["filename"] = new_filename + item["filename"][len(old):]
        item["name"] = posixpath.basename(item["filename"])
        item["dir"] = posixpath.dirname(item["filename"])
        ctx.store.replace("item", item)
        changed.append(item)
    return changed


def refresh_annotation_counts(ctx, dataset_id: str, item_ids: Iterable[str]) -> List[dict]:
    """Recount ``annotationsCount``/``annotated`` for items whose annotations changed."""
    changed = []
    for item_id in set(item_ids):
        doc = ctx.store.find("item", item_id)
        if doc is None:
            continue
        count = ctx.store.execute("SELECT count(*) FROM docs WHERE kind='annotation' AND scope=? "
                                  "AND json_extract(doc, '$.itemId')=?", (dataset_id, item_id)).fetchone()[0]
        if doc.get("annotationsCount") != count or doc.get("annotated") != (count > 0):
            doc["annotationsCount"], doc["annotated"] = count, count > 0
            ctx.store.replace("item", doc)
            changed.append(doc)
    return changed
