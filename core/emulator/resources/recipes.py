"""Recipes (wire §3.8, §8): create, query-string listing, update, delete (guarded while in use), clone."""
from __future__ import annotations

from ..errors import BadRequest
from ..ids import is_object_id
from ..routing import LIST, OBJECT, STRING, Route, nullable
from .ontologies import get_ontology, new_ontology, paged

EDITABLE = ("title", "description", "ontologyIds", "instructions", "examples", "customActions", "uiSettings",
            "metadata", "projectIds")
UPDATE_SHAPE = {"title": STRING, "description": nullable(STRING), "ontologyIds": LIST, "projectIds": LIST,
                "instructions": nullable(LIST), "examples": nullable(LIST), "customActions": nullable(LIST),
                "uiSettings": nullable(OBJECT), "metadata": OBJECT, "metadata.system": OBJECT}
DEFAULT_UI_SETTINGS = {"allowObjectIdAutoAssign": True, "studioV2App": True}


def new_recipe(ctx, title, project_ids, ontology_ids, ui_settings=None, **extra) -> dict:
    """Insert a recipe document (inside the caller's transaction) and return it."""
    for ontology_id in ontology_ids:
        get_ontology(ctx, ontology_id)
    recipe_id = ctx.store.new_id()
    doc = {"id": recipe_id, "title": title, "projectIds": list(project_ids), "ontologyIds": list(ontology_ids),
           "creator": ctx.user, "url": f"{ctx.api_url}/recipes/{recipe_id}", "description": None,
           "instructions": [], "examples": [], "customActions": [], "metadata": {"system": {}},
           "uiSettings": dict(ui_settings or DEFAULT_UI_SETTINGS), "updatedBy": ctx.user}
    doc.update(extra)
    return ctx.store.insert("recipe", doc)


def get_recipe(ctx, recipe_id: str) -> dict:
    if not is_object_id(recipe_id):
        raise BadRequest(f"invalid recipe id: {recipe_id!r}")
    return ctx.store.get("recipe", recipe_id, "Recipe")


def _id_list(body: dict, key: str) -> list:
    value = body.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{key} must be a list of ids")
    return value


def create(ctx):
    """A recipe recording every editable field given (instructions, examples, description, ...)."""
    body = ctx.json_object({k: v for k, v in UPDATE_SHAPE.items() if k not in ("projectIds", "ontologyIds")})
    project_ids, ontology_ids = _id_list(body, "projectIds"), _id_list(body, "ontologyIds")
    extra = {k: body[k] for k in ("description", "instructions", "examples", "customActions", "metadata")
             if body.get(k) is not None}
    with ctx.store.transaction():
        if not ontology_ids:
            ontology_ids = [new_ontology(ctx, [], project_ids)["id"]]
        return new_recipe(ctx, body.get("title") or "Default Recipe", project_ids, ontology_ids,
                          body.get("uiSettings"), **extra)


def _matches(doc: dict, key: str, wanted: str) -> bool:
    if key in ("projects", "projectIds"):
        return bool(set(wanted.split(",")) & set(doc.get("projectIds") or []))
    if key in ("ids", "id"):
        return doc["id"] in wanted.split(",")
    value = doc.get(key)
    if isinstance(value, list):
        return bool(set(wanted.split(",")) & {str(v) for v in value})
    return str(value).lower() == wanted.lower() if isinstance(value, bool) else str(value) == wanted


def list_all(ctx):
    clauses = {k: v for k, v in ctx.args.items() if k not in ("pageOffset", "pageSize") and k}
    docs = [d for d in ctx.store.list("recipe") if all(_matches(d, k, v) for k, v in clauses.items())]
    return paged(ctx, docs)


def get_one(ctx, recipe_id):
    return get_recipe(ctx, recipe_id)


def update(ctx, recipe_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_recipe(ctx, recipe_id)
        ctx.apply_update(doc, body, EDITABLE)
        for ontology_id in _id_list(doc, "ontologyIds"):
            get_ontology(ctx, ontology_id)
        return ctx.store.replace("recipe", doc)


def datasets_using(ctx, recipe_id: str) -> list:
    return [d for d in ctx.store.list("dataset")
            if recipe_id in ((d.get("metadata") or {}).get("system") or {}).get("recipes", [])]


def delete(ctx, recipe_id):
    with ctx.store.transaction():
        get_recipe(ctx, recipe_id)
        users = datasets_using(ctx, recipe_id)
        if users and not ctx.flag("force"):
            names = ", ".join(d["name"] for d in users)
            raise BadRequest(f"recipe {recipe_id} is used by dataset(s) {names}; pass force=true to delete it")
        for dataset in users:
            dataset["metadata"]["system"]["recipes"].remove(recipe_id)
            ctx.store.replace("dataset", dataset)
        ctx.store.delete("recipe", recipe_id)
    return True


def clone(ctx, recipe_id):
    body = ctx.json_object()
    with ctx.store.transaction():
        source = get_recipe(ctx, recipe_id)
        ontology_ids = source.get("ontologyIds") or []
        if not body.get("shallow", False):
            ontology_ids = []
            for ontology_id in source.get("ontologyIds") or []:
                original = get_ontology(ctx, ontology_id)
                copy = new_ontology(ctx, original["roots"], original["metadata"]["system"].get("projectIds"),
                                    original.get("attributes"), original.get("title"))
                copy["metadata"]["attributes"] = list(original.get("metadata", {}).get("attributes", []))
                ctx.store.replace("ontology", copy)
                ontology_ids.append(copy["id"])
        extra = {k: source[k] for k in ("description", "instructions", "examples", "customActions")
                 if k in source}
        return new_recipe(ctx, source.get("title"), source.get("projectIds") or [], ontology_ids,
                          source.get("uiSettings"), **extra)


ROUTES = [
    Route("POST", "/recipes", create),
    Route("GET", "/recipes", list_all),
    Route("GET", "/recipes/<recipe_id>", get_one),
    Route("PATCH", "/recipes/<recipe_id>", update),
    Route("DELETE", "/recipes/<recipe_id>", delete),
    Route("POST", "/recipes/<recipe_id>/clone", clone),
]
