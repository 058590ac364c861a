"""Dataset commands (wire §3.4, §5.3, §5.4, §6): clone, merge, export (JSON array or zip of per-item JSONs
in a hidden result item), ML-subset split and bulk metadata update. Each answers with a Command."""
from __future__ import annotations

import copy
import io
import json
import os
import posixpath
import shutil
import zipfile

from .. import dql
from ..errors import BadRequest
from ..routing import LIST, STRING, Route
from ..store import deep_merge
from . import _item_docs as docs
from .annotations import copy_annotations
from .datasets import DEFAULT_LOCK_SECONDS, check_name, get_dataset, lock, new_dataset
from .projects import get_project

EXPORT_DIR = "/.dataloop/exports"
EXPORT = "ExportDatasetAsJson"  # the command type of a (v1) export
HISTORY_SORT = ("createdAt", "updatedAt", "status")
ID_CHUNK = 5000  # ids per "$in" (well under SQLite's bound-parameter limit)
SUBSETS = ("train", "validation", "test")


# -- copying items between datasets ----------------------------------------------------------------
def copy_blob(ctx, source_id: str, target_id: str) -> None:
    target = ctx.blobs.path(target_id)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(ctx.blobs.path(source_id), target)
    except OSError:
        shutil.copyfile(ctx.blobs.path(source_id), target)


def copy_items(ctx, sources, target: dict, params: dict, target_directory: str = None) -> list:
    """Copy file items (binaries, metadata, annotations) into ``target``; same-path files are skipped.
    Runs inside the caller's transaction; returns the new documents."""
    copied = []
    for source in sources:
        filename = source["filename"]
        if target_directory:
            filename = docs.clean_path(target_directory.rstrip("/") + filename, "targetDirectory")
        if source.get("type") != "file" or docs.find_by_filename(ctx, target["id"], filename) is not None:
            continue
        docs.ensure_dirs(ctx, target, posixpath.dirname(filename))
        clone = docs.new_doc(ctx, target, filename, "file")
        metadata = copy.deepcopy(source.get("metadata") or {})
        if not params.get("withMetadata", True):
            metadata = {"system": metadata.get("system") or {}}
        metadata.setdefault("system", {})["refs"] = []
        clone.update(metadata=metadata, description=source.get("description"), srcItem=source["id"],
                     hidden=bool(source.get("hidden")))
        if ctx.blobs.exists(source["id"]):
            copy_blob(ctx, source["id"], clone["id"])
        copied.append(clone)
        ctx.store.insert("item", clone, scope=target["id"])
        if params.get("withItemsAnnotations", True):
            copy_annotations(ctx, source, clone)
    return copied


def _run_copy(ctx, make_target, batches, params, target_directory=None) -> dict:
    """Create/resolve the target and copy every batch in one transaction; binaries are undone on failure."""
    copied = []
    try:
        with ctx.store.transaction():
            target = make_target()
            for sources in batches:
                copied += copy_items(ctx, sources, target, params, target_directory)
    except BaseException:
        for doc in copied:
            ctx.blobs.delete(doc["id"])
        raise
    for doc in copied:
        ctx.emulator.events.emit("Item", "Created", doc)
    return target


def clone(ctx, dataset_id):
    body = ctx.json_object()
    source = get_dataset(ctx, dataset_id)
    params = body.get("cloneDatasetParams") or {}
    query = body.get("filter") or {}
    target_id = params.get("targetDatasetId")
    if target_id:
        get_dataset(ctx, target_id)
    elif not isinstance(body.get("name"), str) or not body["name"].strip():
        raise BadRequest("name of the cloned dataset must be a non-empty string")
    target_directory = params.get("targetDirectory")
    if target_directory:
        target_directory = docs.clean_path(target_directory, "targetDirectory")

    def make_target():  # a name already taken fails the command, as on the platform (the SDK raises 424)
        if target_id:
            return get_dataset(ctx, target_id)
        return new_dataset(ctx, body["name"], source["projects"][0], source["metadata"]["system"].get("recipes"),
                           srcDataset=source["id"])

    def work(progress):
        items = dql.select(ctx.store, "item", query.get("filter") or {}, scope=dataset_id, join=query.get("join"))
        target = _run_copy(ctx, make_target, [list(items)], params, target_directory)
        return {"returnedModelId": target["id"], "datasetId": dataset_id}

    return ctx.commands.submit(ctx.api_url, "CloneDataset", {"datasetId": dataset_id}, work, creator=ctx.user)


def merge(ctx):
    body = ctx.json_object()
    dataset_ids = body.get("datasetsIds")
    if not isinstance(dataset_ids, list) or len(dataset_ids) < 2:
        raise BadRequest("datasetsIds must list at least two datasets")
    sources = [get_dataset(ctx, d) for d in dataset_ids]
    project_ids = body.get("projectIds")
    project_id = project_ids[0] if isinstance(project_ids, list) and project_ids else project_ids
    if not isinstance(project_id, str):
        raise BadRequest("projectIds must name the project of the merged dataset")
    get_project(ctx, project_id)
    check_name(ctx, body.get("name"), project_id)
    params = body.get("mergeDatasetParams") or {}
    recipes = sources[0]["metadata"]["system"].get("recipes")

    def work(progress):
        batches = [ctx.store.list("item", s["id"], "json_extract(doc, '$.type') = 'file'") for s in sources]
        target = _run_copy(ctx, lambda: new_dataset(ctx, body["name"], project_id, recipes), batches, params)
        configuration = {"name": body["name"], "datasetsIds": dataset_ids, "projectIds": [project_id],
                         "mergeDatasetParams": params}
        return {"mergeDatasetsConfiguration": configuration, "returnedModelId": target["id"]}

    return ctx.commands.submit(ctx.api_url, "MergeDatasets", {"datasetsIds": dataset_ids}, work,
                               creator=ctx.user)


# -- export ----------------------------------------------------------------------------------------
def _json_name(filename: str, version: str) -> str:
    relative = filename.lstrip("/")
    return relative + ".json" if version == "V2" else posixpath.splitext(relative)[0] + ".json"


def with_annotations(ctx, dataset_id: str, items: list, annotations_query) -> list:
    """``items`` each with the ``annotations`` (matching the query, if any) of that item, looked up by item id."""
    wanted = (annotations_query or {}).get("filter") or {}
    by_item = {}
    ids = [item["id"] for item in items]
    for start in range(0, len(ids), ID_CHUNK):
        chunk = {"itemId": {"$in": ids[start:start + ID_CHUNK]}}
        for doc in dql.select(ctx.store, "annotation", {"$and": [wanted, chunk]}, scope=dataset_id):
            by_item.setdefault(doc["itemId"], []).append(doc)
    return [{**item, "annotations": by_item.get(item["id"], [])} for item in items]


def _store_output(ctx, dataset: dict, name: str, data: bytes, mimetype: str) -> dict:
    """The hidden result item holding an export's output."""
    with ctx.store.transaction():
        for folder in docs.ensure_dirs(ctx, dataset, EXPORT_DIR):
            if folder["filename"] != "/":
                ctx.store.replace("item", dict(folder, hidden=True), touch=False)
        doc = docs.new_doc(ctx, dataset, f"{EXPORT_DIR}/{name}", "file", {"size": len(data), "mimetype": mimetype})
        doc["hidden"] = True
        ctx.blobs.write(doc["id"], data)
        ctx.store.insert("item", doc, scope=dataset["id"])
    return doc


def export(ctx, dataset_id):
    body = ctx.json_object()
    dataset = get_dataset(ctx, dataset_id)
    export_type = body.get("exportType")
    if export_type not in (None, "json", "zip"):
        raise BadRequest(f"exportType must be 'json' or 'zip', got {export_type!r}")
    version = body.get("exportVersion") or "V1"
    if version not in ("V1", "V2"):
        raise BadRequest(f"exportVersion must be 'V1' or 'V2', got {version!r}")
    timeout = body.get("lockTimeoutSec")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 0 < timeout <= 86400):
        raise BadRequest(f"lockTimeoutSec must be a number of seconds from 1 to 86400, got {timeout!r}")
    if body.get("datasetLock"):  # held past the export, until unlocked or timed out (see PLATFORM_NOTES.md)
        lock(ctx, dataset_id, timeout or DEFAULT_LOCK_SECONDS)
    spec = {"datasetId": dataset_id, "projectId": dataset["projects"][0]}
    return ctx.commands.submit(ctx.api_url, EXPORT, spec, lambda progress: _export(ctx, dataset, body),
                               creator=ctx.user)


def export_history(ctx):
    """``POST /datasets/exports``: the export commands of the given projects (and dataset), as ``records``."""
    body = ctx.json_object({"projects": LIST, "datasetId": STRING, "sortBy": STRING, "sortOrder": STRING})
    projects = body.get("projects") or []
    if not projects or not all(isinstance(p, str) for p in projects):
        raise BadRequest("projects must be a non-empty list of project ids")
    for project_id in projects:
        get_project(ctx, project_id)
    sort_by, order = body.get("sortBy", "createdAt"), str(body.get("sortOrder", "ASC")).upper()
    if sort_by not in HISTORY_SORT or order not in ("ASC", "DESC"):
        raise BadRequest(f"sortBy must be one of {', '.join(HISTORY_SORT)} and sortOrder ASC or DESC")
    where = (f"json_extract(doc, '$.type') = ? AND json_extract(doc, '$.spec.projectId') IN "
             f"({', '.join('?' * len(projects))})")
    params = [EXPORT, *projects]
    if body.get("datasetId"):
        where += " AND json_extract(doc, '$.spec.datasetId') = ?"
        params.append(body["datasetId"])
    commands = ctx.store.list("command", where=where, params=tuple(params))
    commands.sort(key=lambda c: (c.get(sort_by) or "", c["id"]), reverse=order == "DESC")
    records = [{"id": c["id"], "status": c["status"], "progress": c.get("progress"), "error": c.get("error"),
                "datasetId": c["spec"]["datasetId"], "projectId": c["spec"]["projectId"],
                "outputItemId": c["spec"].get("outputItemId"), "creator": c.get("creator"),
                "createdAt": c.get("createdAt"), "updatedAt": c.get("updatedAt")} for c in commands]
    return {"records": records, "totalItemsCount": len(records)}


def _export(ctx, dataset: dict, body: dict) -> dict:
    dataset_id, export_type = dataset["id"], body.get("exportType")
    version, annotations = body.get("exportVersion") or "V1", body.get("annotations") or {}
    items_query = body.get("itemsQuery") or {}
    items = list(dql.select(ctx.store, "item", items_query.get("filter") or {}, scope=dataset_id,
                            join=items_query.get("join") or None))
    items = [i for i in items if not i["filename"].startswith("/.dataloop/")]  # system files: never exported
    if annotations.get("include", True if export_type is None else False):
        items = with_annotations(ctx, dataset_id, items, body.get("annotationsQuery"))
    stamp = ctx.store.new_id()
    if export_type == "json":
        output = _store_output(ctx, dataset, f"{stamp}.json", json.dumps(items).encode(), "application/json")
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in items:
                archive.writestr(_json_name(item["filename"], version), json.dumps(item))
        output = _store_output(ctx, dataset, f"{stamp}.zip", buffer.getvalue(), "application/zip")
    return {"outputItemId": output["id"], "datasetId": dataset_id, "itemsCount": len(items)}


# -- ML subsets and bulk metadata ------------------------------------------------------------------
def _update_items(ctx, dataset_id: str, query: dict, change) -> int:
    with ctx.store.transaction():
        changed = []
        for index, doc in enumerate(list(dql.select(ctx.store, "item", query.get("filter") or {}, scope=dataset_id,
                                                    join=query.get("join") or None))):
            change(index, doc)
            changed.append(ctx.store.replace("item", doc))
    for doc in changed:
        ctx.emulator.events.emit("Item", "Updated", doc)
    return len(changed)


def split(ctx, dataset_id):
    body = ctx.json_object()
    get_dataset(ctx, dataset_id)
    percentages = body.get("MLSplitList") or {}
    if set(percentages) != set(SUBSETS) or sum(percentages.values()) != 100:
        raise BadRequest("MLSplitList must give train, validation and test percentages adding up to 100")
    query = body.get("itemsQuery") or {}

    def work(progress):
        total = len(list(dql.select(ctx.store, "item", query.get("filter") or {}, scope=dataset_id,
                                    join=query.get("join") or None)))
        bounds = [round(total * percentages["train"] / 100)]
        bounds.append(bounds[0] + round(total * percentages["validation"] / 100))

        def tag(index, doc):
            subset = "train" if index < bounds[0] else "validation" if index < bounds[1] else "test"
            doc.setdefault("metadata", {}).setdefault("system", {})["tags"] = {subset: True}

        return {"datasetId": dataset_id, "updatedItems": _update_items(ctx, dataset_id, query, tag)}

    return ctx.commands.submit(ctx.api_url, "SplitMLSubsets", {"datasetId": dataset_id}, work, creator=ctx.user)


def bulk_update_metadata(ctx, dataset_id):
    body = ctx.json_object()
    get_dataset(ctx, dataset_id)
    update = (body.get("updateQuery") or {}).get("update")
    if not isinstance(update, dict) or not update:
        raise BadRequest("updateQuery.update must be a non-empty object")
    if "system" in (update.get("metadata") or {}) and not (body.get("updateQuery") or {}).get("systemSpace"):
        raise BadRequest("updating metadata.system needs updateQuery.systemSpace: true")
    query = body.get("query") or {}

    def work(progress):
        count = _update_items(ctx, dataset_id, query, lambda _, doc: deep_merge(doc, copy.deepcopy(update)))
        return {"datasetId": dataset_id, "updatedItems": count}

    return ctx.commands.submit(ctx.api_url, "BulkUpdateMetadata", {"datasetId": dataset_id}, work,
                               creator=ctx.user)


ROUTES = [
    Route("POST", "/datasets/<dataset_id>/clone", clone),
    Route("POST", "/datasets/merge", merge),
    Route("POST", "/datasets/exports", export_history),
    Route("POST", "/datasets/<dataset_id>/export", export),
    Route("POST", "/datasets/<dataset_id>/split", split),
    Route("POST", "/datasets/<dataset_id>/items/bulk-update-metadata", bulk_update_metadata),
]
