"""Ontologies (wire §3.9, §8): label trees (``roots``), label upserts by dotted tag, attributes 2.0."""
from __future__ import annotations

import colorsys
import re

from ..dql import envelope
from ..errors import BadRequest, Forbidden, NotFound
from ..ids import is_object_id
from ..routing import LIST, OBJECT, STRING, Route, nullable
from .projects import project_role

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
EDITABLE = ("title", "roots", "attributes", "metadata")
UPDATE_SHAPE = {"title": STRING, "roots": LIST, "attributes": nullable(LIST), "metadata": OBJECT,
                "metadata.system": OBJECT, "metadata.attributes": nullable(LIST)}


def palette(index: int) -> str:
    """A distinct colour for the ``index``-th label (golden-ratio hue steps)."""
    red, green, blue = colorsys.hsv_to_rgb((index * 0.618033988749895) % 1.0, 0.75, 0.95)
    return "#%02x%02x%02x" % (int(red * 255), int(green * 255), int(blue * 255))


def _walk(roots: list):
    for root in roots:
        yield root
        yield from _walk(root.get("children") or [])


def normalize_roots(roots) -> list:
    """Validate label roots and give every colourless label a colour not used elsewhere in the tree."""
    if not isinstance(roots, list):
        raise BadRequest("roots must be a list of labels")
    for root in _walk(roots):
        value = root.get("value") if isinstance(root, dict) else None
        if not isinstance(value, dict) or not isinstance(value.get("tag"), str) or not value["tag"]:
            raise BadRequest(f"each label needs value.tag: {root!r}")
        if "." in value["tag"]:
            raise BadRequest(f"label tag {value['tag']!r} must not contain '.' inside roots")
        color = value.get("color")
        if color is not None and not (isinstance(color, str) and HEX_COLOR.match(color)):
            raise BadRequest(f"label {value['tag']!r}: color must be '#rrggbb', got {color!r}")
        root.setdefault("children", [])
        value.setdefault("attributes", [])
        value.setdefault("displayData", {})
        if not value.get("displayLabel"):
            value["displayLabel"] = value["tag"]
    used = [r["value"]["color"].lower() for r in _walk(roots) if r["value"].get("color")]
    for root in _walk(roots):
        if not root["value"].get("color"):
            root["value"]["color"] = _distinct_color(used)
            used.append(root["value"]["color"])
    return roots


def _distance(first: str, second: str) -> int:
    return sum(abs(int(first[i:i + 2], 16) - int(second[i:i + 2], 16)) for i in (1, 3, 5))


def _distinct_color(used: list) -> str:
    """The first palette colour far from every used one (or merely unused, when the palette is crowded)."""
    candidates = [palette(i) for i in range(len(used) + 64)]
    for minimum in (120, 60, 1):
        for color in candidates:
            if all(_distance(color, other) >= minimum for other in used):
                return color
    return candidates[-1]


def new_ontology(ctx, roots, project_ids, attributes=None, title=None) -> dict:
    """Insert an ontology document (inside the caller's transaction) and return it."""
    ontology_id = ctx.store.new_id()
    doc = {"id": ontology_id, "title": title or ontology_id, "creator": ctx.user,
           "url": f"{ctx.api_url}/ontologies/{ontology_id}", "roots": normalize_roots(roots or []),
           "attributes": list(attributes or []),
           "metadata": {"system": {"projectIds": list(project_ids or [])}, "attributes": []}}
    return ctx.store.insert("ontology", doc)


def get_ontology(ctx, ontology_id: str) -> dict:
    if not is_object_id(ontology_id):
        raise BadRequest(f"invalid ontology id: {ontology_id!r}")
    return ctx.store.get("ontology", ontology_id, "Ontology")


def create(ctx):
    body = ctx.json_object({"projectIds": nullable(LIST), "title": nullable(STRING), "attributes": nullable(LIST)})
    project_ids = body.get("projectIds") or []
    for project_id in project_ids:  # the platform answers 403 for a project the caller cannot use
        if not (isinstance(project_id, str) and is_object_id(project_id) and project_member(ctx, project_id)):
            raise Forbidden(f"Permission denied: no project {project_id!r} of yours to create an ontology in")
    with ctx.store.transaction():
        return new_ontology(ctx, body.get("roots", []), project_ids, body.get("attributes"), body.get("title"))


def list_all(ctx):
    projects = [p for p in ctx.args.get("projects", "").split(",") if p]
    ids = [i for i in ctx.args.get("ids", "").split(",") if i]
    docs = [d for d in ctx.store.list("ontology")
            if (not projects or set(projects) & set(d.get("metadata", {}).get("system", {}).get("projectIds", [])))
            and (not ids or d["id"] in ids)]
    return paged(ctx, docs)


def paged(ctx, docs: list) -> dict:
    """The page envelope for query-string listings (``pageOffset``/``pageSize``)."""
    try:
        page, size = int(ctx.args.get("pageOffset", 0)), int(ctx.args.get("pageSize", 1000))
    except ValueError:
        raise BadRequest("pageOffset and pageSize must be integers") from None
    if page < 0 or size < 0:
        raise BadRequest("pageOffset and pageSize must be >= 0")
    return envelope(docs[page * size:(page + 1) * size] if size else [], len(docs), page, size)


def get_one(ctx, ontology_id):
    return get_ontology(ctx, ontology_id)


def project_member(ctx, project_id: str) -> bool:
    project = ctx.store.find("project", project_id)
    return project is not None and project_role(project, ctx.user) is not None


def update(ctx, ontology_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_ontology(ctx, ontology_id)
        ctx.apply_update(doc, body, EDITABLE)
        normalize_roots(doc["roots"])
        return ctx.store.replace("ontology", doc)


def delete(ctx, ontology_id):
    """Delete the ontology, also when recipes use it (as the platform does): they no longer list it."""
    with ctx.store.transaction():
        get_ontology(ctx, ontology_id)
        for recipe in ctx.store.list("recipe"):
            if ontology_id in (recipe.get("ontologyIds") or []):
                recipe["ontologyIds"] = [o for o in recipe["ontologyIds"] if o != ontology_id]
                ctx.store.replace("recipe", recipe)
        ctx.store.delete("ontology", ontology_id)
    return True


def _upsert_label(roots: list, node: dict, upsert: bool) -> None:
    tag = node.get("tag")
    if not isinstance(tag, str) or not tag or any(not part for part in tag.split(".")):
        raise BadRequest(f"each labelsNode entry needs a tag like 'parent.child', got {tag!r}")
    parts = tag.split(".")
    siblings = roots
    for depth, part in enumerate(parts):
        found = next((r for r in siblings if r["value"]["tag"] == part), None)
        if found is None:
            if not upsert:
                raise NotFound(f"Label not found: {'.'.join(parts[:depth + 1])}")
            found = {"value": {"tag": part}, "children": []}
            siblings.append(found)
        if depth < len(parts) - 1:
            siblings = found.setdefault("children", [])
    value = found["value"]
    for wire_key in ("color", "attributes", "displayLabel", "displayData"):
        if node.get(wire_key) is not None:
            value[wire_key] = node[wire_key]


def patch_labels(ctx, ontology_id):
    body = ctx.json_object()
    nodes = body.get("labelsNode")
    if not isinstance(nodes, list):
        raise BadRequest("labelsNode must be a list")
    with ctx.store.transaction():
        doc = get_ontology(ctx, ontology_id)
        for node in nodes:
            if not isinstance(node, dict):
                raise BadRequest(f"labelsNode entries must be objects, got {node!r}")
            _upsert_label(doc["roots"], node, bool(body.get("upsert")))
        normalize_roots(doc["roots"])
        return ctx.store.replace("ontology", doc)


def update_attributes(ctx, ontology_id):
    body = ctx.json_object()
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("key") for i in items):
        raise BadRequest("items must be a list of attributes, each with a key")
    with ctx.store.transaction():
        doc = get_ontology(ctx, ontology_id)
        attributes = doc.setdefault("metadata", {}).setdefault("attributes", [])
        for item in items:
            existing = next((a for a in attributes if a.get("key") == item["key"]), None)
            if existing is None:
                attributes.append(dict(item))
            elif body.get("upsert", True):
                existing.update(item)
            else:
                raise BadRequest(f"attribute {item['key']!r} already exists")
        ctx.store.replace("ontology", doc)
    return True


def delete_attributes(ctx, ontology_id):
    keys = ctx.json_object().get("keys")
    if not isinstance(keys, list):
        raise BadRequest("keys must be a list")
    with ctx.store.transaction():
        doc = get_ontology(ctx, ontology_id)
        attributes = doc.setdefault("metadata", {}).get("attributes", [])
        missing = [k for k in keys if not any(a.get("key") == k for a in attributes)]
        if missing:
            raise NotFound(f"Attribute not found: {', '.join(map(str, missing))}")
        doc["metadata"]["attributes"] = [a for a in attributes if a.get("key") not in keys]
        ctx.store.replace("ontology", doc)
    return True


ROUTES = [
    Route("POST", "/ontologies", create),
    Route("GET", "/ontologies", list_all),
    Route("GET", "/ontologies/<ontology_id>", get_one),
    Route("PUT", "/ontologies/<ontology_id>", update),
    Route("DELETE", "/ontologies/<ontology_id>", delete),
    Route("PATCH", "/ontologies/<ontology_id>/labels", patch_labels),
    Route("PATCH", "/ontologies/<ontology_id>/attributes", update_attributes),
    Route("DELETE", "/ontologies/<ontology_id>/attributes", delete_attributes),
]
