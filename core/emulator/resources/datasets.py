"""Datasets (wire §3.4, §8, §9.7): create with a default recipe, DQL listing, live counts, update, cascade
delete, unlock, directory tree. Clone/merge/export/split live in :mod:`.dataset_commands`."""
from __future__ import annotations

from .. import dql
from ..errors import BadRequest
from ..ids import is_object_id
from ..routing import Route
from .ontologies import new_ontology
from .projects import get_project, project_role
from .recipes import new_recipe

EDITABLE = ("name", "metadata", "expirationOptions", "indexDriver", "enableSyncWithCloned", "readonly", "driver")
FILES = "json_extract(doc, '$.type') = 'file' AND coalesce(json_extract(doc, '$.hidden'), 0) = 0"


def present(ctx, doc: dict) -> dict:
    """The dataset with live counters (items, annotated items, annotations)."""
    store, dataset_id = ctx.store, doc["id"]
    return {**doc,
            "itemsCount": store.count("item", dataset_id, FILES),
            "annotated": store.count("item", dataset_id, FILES + " AND json_extract(doc, '$.annotated') = 1"),
            "annotationsCount": store.count("annotation", dataset_id)}


def get_dataset(ctx, dataset_id: str) -> dict:
    """400 for a malformed id, 404 for an unknown one, 403 when the caller is not in its project."""
    if not is_object_id(dataset_id):
        raise BadRequest(f"invalid dataset id: {dataset_id!r}")
    doc = ctx.store.get("dataset", dataset_id, "Dataset")
    get_project(ctx, doc["projects"][0])
    return doc


def check_name(ctx, name, project_id: str, dataset_id: str = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("dataset name must be a non-empty string")
    if any(d["id"] != dataset_id for d in ctx.store.find_by("dataset", "name", name, scope=project_id)):
        raise BadRequest(f"Dataset with name {name!r} already exists in project {project_id}")
    return name


def new_dataset(ctx, name: str, project_id: str, recipes=None, **extra) -> dict:
    """Insert a dataset document (inside the caller's transaction) and return it."""
    check_name(ctx, name, project_id)
    dataset_id = ctx.store.new_id()
    url = f"{ctx.api_url}/datasets/{dataset_id}"
    doc = {"id": dataset_id, "name": name, "url": url, "items": url + "/items", "projects": [project_id],
           "creator": ctx.user, "updatedBy": ctx.user, "metadata": {"system": {"recipes": list(recipes or [])}},
           "directoryTree": {}, "driver": None, "readableType": "dataset", "accessLevel": "owner",
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


def query(ctx):
    body = ctx.json_object()
    context = body.get("context") or {}
    wanted = context.get("projects") or [p["id"] for p in ctx.store.list("project")]
    if not isinstance(wanted, list):
        raise BadRequest("context.projects must be a list of project ids")
    visible = [p for p in wanted if (doc := ctx.store.find("project", p)) and project_role(doc, ctx.user)]
    if not visible:
        return dql.envelope([], 0, 0, 0)
    where = "1=1"
    if body.get("systemSpace"):
        from .packages import ensure_binaries_dataset  # every platform project has one: materialize it
        for project_id in visible:
            ensure_binaries_dataset(ctx, project_id)
    else:
        where = "coalesce(json_extract(d.doc, '$.name'), '') != 'Binaries'"
    page = dql.query(ctx.store, "dataset", body, scope=visible, where=where)
    page["items"] = [present(ctx, d) for d in page["items"]]
    return page


def update(ctx, dataset_id):
    body = ctx.json_object()
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
        if not doc.get("locked"):
            raise BadRequest("dataset is not locked")
        doc["locked"] = False
        ctx.store.replace("dataset", doc)
    return present(ctx, doc)


def _node(path: str, dirs: dict) -> dict:
    item = dirs.get(path)
    parent, _, name = path.rstrip("/").rpartition("/")
    value = {"id": item.get("id") if item else None, "name": name, "dir": parent or ("/" if path != "/" else ""),
             "filename": path, "metadata": (item or {}).get("metadata", {})}
    return {"value": value, "children": []}


def directory_tree(ctx, dataset_id):
    get_dataset(ctx, dataset_id)
    visible = "coalesce(json_extract(doc, '$.hidden'), 0) = 0"
    dirs = {d["filename"]: d for d in ctx.store.list("item", dataset_id, f"json_extract(doc, '$.type') = 'dir' "
                                                                         f"AND {visible}") if d.get("filename")}
    paths = {"/"} | set(dirs)
    for row in ctx.store.execute("SELECT DISTINCT json_extract(doc, '$.dir') FROM docs WHERE kind='item' AND "
                                 f"scope=? AND {visible}", (dataset_id,)):
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


ROUTES = [
    Route("POST", "/datasets", create),
    Route("POST", "/datasets/query", query),
    Route("GET", "/datasets/<dataset_id>", get_one),
    Route("PATCH", "/datasets/<dataset_id>", update),
    Route("DELETE", "/datasets/<dataset_id>", delete),
    Route("PATCH", "/datasets/<dataset_id>/unlock", unlock),
    Route("GET", "/datasets/<dataset_id>/directoryTree", directory_tree),
]

# the command and export routes import this module's helpers, so they join the table last
from .dataset_commands import ROUTES as COMMAND_ROUTES  # noqa: E402
from .dataset_export_v3 import ROUTES as EXPORT_V3_ROUTES, ChangeRecorder, drop_exports  # noqa: E402

ROUTES += COMMAND_ROUTES + EXPORT_V3_ROUTES


def setup(emulator) -> None:
    """Record deletions for v3 diff exports."""
    ChangeRecorder(emulator)
