"""Datasets (wire §3.4, §8, §9.7): create with a default recipe, DQL listing, live counts, update, cascade
delete, unlock, directory tree. Clone/merge/export/split live in :mod:`.dataset_commands`."""
from __future__ import annotations

import time

from .. import dql
from ..errors import BadRequest, not_found
from ..ids import is_object_id
from ..routing import BOOL, LIST, OBJECT, STRING, Route, check_shape, nullable
from .ontologies import new_ontology
from .projects import get_project, project_role
from .recipes import new_recipe

# ``readonly`` is not editable: it shows an export's lock (the SDK's set_readonly is a deprecated no-op)
EDITABLE = ("name", "metadata", "expirationOptions", "indexDriver", "enableSyncWithCloned", "driver")
UPDATE_SHAPE = {"name": STRING, "metadata": OBJECT, "metadata.system": OBJECT, "expirationOptions": nullable(OBJECT),
                "indexDriver": STRING, "enableSyncWithCloned": nullable(BOOL), "driver": nullable(STRING)}
# a dataset's visible items of one type, served by the index ix_item_list (scope, hidden, type, id); the kind is
# a literal because the item indexes are partial
OF_TYPE = ("SELECT {} FROM docs WHERE kind='item' AND scope=? AND json_extract(doc, '$.hidden') = 0 "
           "AND json_extract(doc, '$.type') = ?")
# the annotated ones among them, served by ix_item_annotated (scope, annotated, hidden, type)
ANNOTATED = OF_TYPE + " AND json_extract(doc, '$.annotated') = 1"
PRIVATE = ("lockedUntil", "schema")  # kept in the document, never shown in the dataset's JSON
DEFAULT_LOCK_SECONDS = 60  # an export's lock without lockTimeoutSec (see PLATFORM_NOTES.md)


def is_locked(doc: dict) -> bool:
    """Locked by an export: until unlocked, or until ``lockedUntil`` (epoch seconds) when the lock has a timeout."""
    until = doc.get("lockedUntil")
    return bool(doc.get("locked")) and (until is None or time.time() < until)


def lock(ctx, dataset_id: str, seconds: float) -> None:
    """Lock the dataset for an export: ``locked`` and ``readonly`` until unlocked or ``seconds`` have passed."""
    ctx.store.patch("dataset", dataset_id, {"locked": True, "lockedUntil": time.time() + seconds})


def present(ctx, doc: dict) -> dict:
    """The dataset with live counters (items, annotated items, annotations)."""
    store, dataset_id = ctx.store, doc["id"]
    locked = is_locked(doc)
    shown = {k: v for k, v in doc.items() if k not in PRIVATE}
    return {**shown, "locked": locked, "readonly": locked,
            "itemsCount": store.execute(OF_TYPE.format("count(*)"), (dataset_id, "file")).fetchone()[0],
            "annotated": store.execute(ANNOTATED.format("count(*)"), (dataset_id, "file")).fetchone()[0],
            "annotationsCount": store.count("annotation", dataset_id)}


def get_dataset(ctx, dataset_id: str) -> dict:
    """404 for an unknown or malformed id (as the platform answers), 403 when the caller is not in its project."""
    if not is_object_id(dataset_id):
        raise not_found("Dataset", repr(dataset_id))
    doc = ctx.store.get("dataset", dataset_id, "Dataset")
    get_project(ctx, doc["projects"][0])
    return doc


def check_name(ctx, name, project_id: str, dataset_id: str = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("dataset name must be a non-empty string")
    if any(d["id"] != dataset_id for d in ctx.store.find_by("dataset", "name", name, scope=project_id)):
        raise BadRequest(f"Dataset with the same name already exists: {name!r} in project {project_id}")
    return name


def new_dataset(ctx, name: str, project_id: str, recipes=None, **extra) -> dict:
    """Insert a dataset document (inside the caller's transaction) and return it."""
    check_name(ctx, name, project_id)
    dataset_id = ctx.store.new_id()
    url = f"{ctx.api_url}/datasets/{dataset_id}"
    doc = {"id": dataset_id, "name": name, "url": url, "items": url + "/items", "projects": [project_id],
           "creator": ctx.user, "updatedBy": ctx.user, "metadata": {"system": {"recipes": list(recipes or [])}},
           "directoryTree": {}, "driver": None, "readableType": "dataset", "accessLevel": "owner",
           "expirationOptions": None,
           "readonly": False, "indexDriver": "v1", "enableSyncWithCloned": None, "isSyncing": False,
           "srcDataset": None, "locked": False}
    doc.update(extra)
    return ctx.store.insert("dataset", doc, scope=project_id)


def create(ctx):
    body = ctx.json_object()
    projects = body.get("projects")
    if not isinstance(projects, list) or len(projects) != 1:
        raise BadRequest("projects must be a list with one project id")
    project = get_project(ctx, projects[0])
    extra = {k: body[k] for k in ("driver", "expirationOptions", "indexDriver") if body.get(k) is not None}
    with ctx.store.transaction():
        recipes = []
        if body.get("createDefaultRecipe", True):
            title = f"{body.get('name')} Default Recipe"
            ontology = new_ontology(ctx, [], [project["id"]], title=title)
            recipes = [new_recipe(ctx, title, [project["id"]], [ontology["id"]])["id"]]
        doc = new_dataset(ctx, body.get("name"), project["id"], recipes, **extra)
    ctx.emulator.events.emit("Dataset", "Created", doc)
    return present(ctx, doc)


def get_one(ctx, dataset_id):
    return present(ctx, get_dataset(ctx, dataset_id))


def _context_scope(ctx, context) -> tuple:
    """(project ids, dataset ids or None) of a datasets query's ``context``: ``projects``, and ``datasets``, which
    the platform also reads project ids from."""
    if not isinstance(context, dict):
        raise BadRequest(f"context must be an object, got {type(context).__name__}")
    check_shape(context, {"projects": nullable(LIST), "datasets": nullable(LIST)}, "context.")
    projects, dataset_ids = list(context.get("projects") or []), None
    for listed in context.get("datasets") or []:
        if not isinstance(listed, str):
            raise BadRequest(f"context.datasets must list ids, got {listed!r}")
        if is_object_id(listed) and ctx.store.find("project", listed) is not None:
            projects.append(listed)
        elif is_object_id(listed) and (dataset := ctx.store.find("dataset", listed)) is not None:
            projects.append(dataset["projects"][0])
            dataset_ids = (dataset_ids or []) + [listed]
    if not all(isinstance(p, str) for p in projects):
        raise BadRequest("context.projects must be a list of project ids")
    return projects, dataset_ids


def query(ctx):
    body = ctx.json_object()
    projects, dataset_ids = _context_scope(ctx, body.get("context") or {})
    wanted = projects or [p["id"] for p in ctx.store.list("project")]
    visible = [p for p in wanted if is_object_id(p) and (doc := ctx.store.find("project", p))
               and project_role(doc, ctx.user)]
    if not visible:
        return dql.envelope([], 0, 0, 0)
    where, params = "1=1", ()
    if dataset_ids is not None:
        where, params = f"d.id IN ({', '.join('?' * len(dataset_ids))})", tuple(dataset_ids)
    if body.get("systemSpace"):
        from .packages import ensure_binaries_dataset  # every platform project has one: materialize it
        for project_id in visible:
            ensure_binaries_dataset(ctx, project_id)
    else:
        where += " AND coalesce(json_extract(d.doc, '$.name'), '') != 'Binaries'"
    page = dql.query(ctx.store, "dataset", body, scope=visible, where=where, params=params)
    page["items"] = [present(ctx, d) for d in page["items"]]
    return page


def update(ctx, dataset_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_dataset(ctx, dataset_id)
        ctx.apply_update(doc, body, EDITABLE)
        check_name(ctx, doc["name"], doc["projects"][0], dataset_id)
        for recipe_id in doc["metadata"].get("system", {}).get("recipes", []):
            if not is_object_id(recipe_id) or ctx.store.find("recipe", recipe_id) is None:
                raise BadRequest(f"unknown recipe id in metadata.system.recipes: {recipe_id!r}")
        ctx.store.replace("dataset", doc)
    ctx.emulator.events.emit("Dataset", "Updated", doc)
    return present(ctx, doc)


def purge(ctx, dataset_id: str) -> list:
    """Delete a dataset's documents (inside the caller's transaction); the blob ids to remove after commit."""
    item_ids = [row[0] for row in ctx.store.execute("SELECT id FROM docs WHERE kind='item' AND scope=?",
                                                    (dataset_id,))]
    ctx.store.delete_where("item", "scope=?", (dataset_id,))
    ctx.store.delete_where("annotation", "scope=?", (dataset_id,))
    ctx.store.delete("dataset", dataset_id)
    return item_ids + drop_exports(ctx, dataset_id)


def delete(ctx, dataset_id):
    with ctx.store.transaction():
        doc = get_dataset(ctx, dataset_id)
        blobs = purge(ctx, dataset_id)
    for blob_id in blobs:
        ctx.blobs.delete(blob_id)
    ctx.emulator.events.emit("Dataset", "Deleted", doc)
    return True


def unlock(ctx, dataset_id):
    with ctx.store.transaction():
        doc = get_dataset(ctx, dataset_id)
        if not is_locked(doc):
            raise BadRequest("dataset is not locked")
        doc["locked"] = False
        doc.pop("lockedUntil", None)
        ctx.store.replace("dataset", doc)
    return present(ctx, doc)


def _node(path: str, dirs: dict) -> dict:
    item = dirs.get(path)
    parent, _, name = path.rstrip("/").rpartition("/")
    value = {"id": item.get("id") if item else None, "name": name, "dir": parent or ("/" if path != "/" else ""),
             "filename": path, "metadata": (item or {}).get("metadata", {})}
    return {"value": value, "children": []}


def directory_tree(ctx, dataset_id):
    """Every folder of the dataset, the platform's own (``/.dataloop/...``) included."""
    get_dataset(ctx, dataset_id)
    dirs = {d["filename"]: d for d in ctx.store.list("item", dataset_id, "json_extract(doc, '$.type') = 'dir'")
            if d.get("filename")}
    paths = {"/"} | set(dirs)
    for row in ctx.store.execute("SELECT DISTINCT json_extract(doc, '$.dir') FROM docs WHERE kind='item' AND "
                                 "scope=?", (dataset_id,)):
        if row[0]:
            paths.add(row[0])
    for path in list(paths):  # every ancestor is a folder too
        while path not in ("", "/"):
            path = path.rstrip("/").rpartition("/")[0] or "/"
            paths.add(path)
    nodes = {p: _node(p, dirs) for p in sorted(paths)}
    for path in sorted(paths):
        if path != "/":
            nodes[path.rstrip("/").rpartition("/")[0] or "/"]["children"].append(nodes[path])
    return nodes["/"]


# -- schema: paths left out of search indexing -------------------------------------------------------
def get_schema(ctx, dataset_id):
    """``{"items": {"unsearchablePaths": [...]}}``."""
    doc = get_dataset(ctx, dataset_id)
    return {"items": {"unsearchablePaths": list(((doc.get("schema") or {}).get("items") or {})
                                                .get("unsearchablePaths") or [])}}


def update_item_schema(ctx, dataset_id):
    """``{"unsearchablePaths": {"add": [paths]} | {"remove": [paths]}}``, as a command."""
    change = ctx.json_object({"unsearchablePaths": OBJECT}).get("unsearchablePaths")
    if not change or not set(change) <= {"add", "remove"}:
        raise BadRequest("unsearchablePaths must be an object with 'add' and/or 'remove' lists of paths")
    for key, paths in change.items():
        if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            raise BadRequest(f"unsearchablePaths.{key} must be a list of metadata paths, got {paths!r}")
    get_dataset(ctx, dataset_id)

    def work(progress):
        with ctx.store.transaction():
            doc = ctx.store.get("dataset", dataset_id, "Dataset")
            paths = get_schema(ctx, dataset_id)["items"]["unsearchablePaths"]
            paths += [p for p in change.get("add", []) if p not in paths]
            paths = [p for p in paths if p not in change.get("remove", [])]
            doc["schema"] = {"items": {"unsearchablePaths": paths}}
            ctx.store.replace("dataset", doc)
        return {"datasetId": dataset_id, "unsearchablePaths": paths}

    return ctx.commands.submit(ctx.api_url, "UpdateDatasetSchema", {"datasetId": dataset_id}, work,
                               creator=ctx.user)


ROUTES = [
    Route("POST", "/datasets", create),
    Route("POST", "/datasets/query", query),
    Route("GET", "/datasets/<dataset_id>", get_one),
    Route("PATCH", "/datasets/<dataset_id>", update),
    Route("DELETE", "/datasets/<dataset_id>", delete),
    Route("PATCH", "/datasets/<dataset_id>/unlock", unlock),
    Route("GET", "/datasets/<dataset_id>/directoryTree", directory_tree),
    Route("GET", "/datasets/<dataset_id>/schema", get_schema),
    Route("POST", "/datasets/<dataset_id>/schema/items", update_item_schema),
]

# the command and export routes import this module's helpers, so they join the table last
from .dataset_commands import ROUTES as COMMAND_ROUTES  # noqa: E402
from .dataset_export_v3 import ROUTES as EXPORT_V3_ROUTES, ChangeRecorder, drop_exports  # noqa: E402

ROUTES += COMMAND_ROUTES + EXPORT_V3_ROUTES


def setup(emulator) -> None:
    """Record deletions for v3 diff exports."""
    ChangeRecorder(emulator)
