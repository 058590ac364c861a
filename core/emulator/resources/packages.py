"""Packages (wire §3.12): create/get/update/delete, revisions, FaaS name validation, and the project's hidden
"Binaries" dataset where codebases live (wire §3.13)."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from typing import Optional

from .. import dql
from ..errors import BadRequest
from ..faas.requirements import specifiers
from ..ids import is_object_id
from ..routing import BOOL, LIST, OBJECT, STRING, Route, nullable
from . import _item_docs as item_docs
from .datasets import new_dataset
from .projects import get_project, project_role

BINARIES = "Binaries"
NAME_RULE = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
CODEBASE_TYPES = ("item", "git", "filesystem", "local")
INPUT_TYPES = {"Dataset", "Item", "Annotation", "Execution", "Task", "Assignment", "Service", "Package", "Project",
               "Recipe", "Model", "Json", "String", "Number", "Integer", "Float", "Boolean"}
EDITABLE = ("modules", "slots", "global", "codebase", "version", "requirements", "serviceConfig", "metadata", "type",
            "uiHooks", "description")


# -- helpers shared with pipelines -----------------------------------------------------------------
def check_name(kind: str, name) -> str:
    """FaaS names: lower-case letters, digits and '-', starting with a letter, at most 63 characters."""
    if not isinstance(name, str) or not NAME_RULE.match(name):
        raise BadRequest(f"invalid {kind} name {name!r}: use lower-case letters, digits and '-', start with a "
                         "letter, at most 63 characters")
    return name


def ensure_binaries_dataset(ctx, project_id: str) -> dict:
    """The project's hidden "Binaries" dataset (created on first use; hidden from queries without systemSpace)."""
    with ctx.store.transaction():
        existing = ctx.store.find_by("dataset", "name", BINARIES, scope=project_id)
        if existing:
            return existing[0]
        return new_dataset(ctx, BINARIES, project_id, [], readableType="binaries")


def store_codebase_zip(ctx, project_id: str, name: str, files: dict) -> dict:
    """Zip ``{path: text}`` into the next ``/codebases/<name>/<n>.zip`` item of the Binaries dataset."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), text)
    data = buffer.getvalue()
    dataset = ensure_binaries_dataset(ctx, project_id)
    md5 = hashlib.md5(data).hexdigest()
    with ctx.store.transaction():
        versions = [d for d in item_docs.under_dir(ctx, dataset["id"], f"/codebases/{name}") if d["type"] == "file"]
        same = next((d for d in versions if d["metadata"].get("system", {}).get("md5") == md5), None)
        if same is not None:
            return same
        number = max([int(d["name"].split(".")[0]) for d in versions if d["name"].split(".")[0].isdigit()],
                     default=0) + 1
        item_docs.ensure_dirs(ctx, dataset, f"/codebases/{name}")
        doc = item_docs.new_doc(ctx, dataset, f"/codebases/{name}/{number}.zip", "file",
                                {"size": len(data), "mimetype": "application/zip", "md5": md5,
                                 "originalname": f"{number}.zip", "description": "pipeline code node"})
        ctx.blobs.write(doc["id"], data)
        ctx.store.insert("item", doc, scope=dataset["id"])
    return doc


def _check_ios(ios, where: str) -> None:
    if not isinstance(ios, list):
        raise BadRequest(f"{where} must be a list")
    for io_json in ios:
        if not isinstance(io_json, dict) or not isinstance(io_json.get("name"), str):
            raise BadRequest(f"{where}: every input/output needs a name")
        if io_json.get("type") not in INPUT_TYPES and str(io_json.get("type")).rstrip("[]") not in INPUT_TYPES:
            raise BadRequest(f"{where}: input {io_json['name']!r} has an unknown type {io_json.get('type')!r}")


def check_modules(modules) -> list:
    """Modules: unique names, unique function names per module, typed inputs/outputs."""
    if modules is None:
        return []
    if not isinstance(modules, list):
        raise BadRequest("modules must be a list")
    names = set()
    for module in modules:
        if not isinstance(module, dict) or not isinstance(module.get("name"), str):
            raise BadRequest("every module needs a name")
        if module["name"] in names:
            raise BadRequest(f"two modules named {module['name']!r}")
        names.add(module["name"])
        functions = module.get("functions") or []
        seen = set()
        for function in functions:
            fname = function.get("name") if isinstance(function, dict) else None
            if not isinstance(fname, str) or fname in seen:
                raise BadRequest(f"module {module['name']!r}: function names must be unique strings ({fname!r})")
            seen.add(fname)
            _check_ios(function.get("input") or [], f"function {fname!r} inputs")
            _check_ios(function.get("output") or [], f"function {fname!r} outputs")
        _check_ios(module.get("initInputs") or [], f"module {module['name']!r} initInputs")
    return modules


def _check_codebase(codebase) -> None:
    if codebase is None:
        return
    if not isinstance(codebase, dict) or codebase.get("type") not in CODEBASE_TYPES:
        raise BadRequest(f"codebase type must be one of {CODEBASE_TYPES}, got {codebase!r}")
    if codebase["type"] == "item" and not is_object_id(codebase.get("itemId")):
        raise BadRequest(f"item codebase needs a valid itemId, got {codebase.get('itemId')!r}")
    if codebase["type"] == "git" and not codebase.get("gitUrl"):
        raise BadRequest("git codebase needs a gitUrl")


def present(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "revisions"}


def get_package(ctx, package_id: str) -> dict:
    if not is_object_id(package_id):
        raise BadRequest(f"invalid package id: {package_id!r}")
    doc = ctx.store.get("package", package_id, "Package")
    get_project(ctx, doc["projectId"])
    return doc


def insert_package(ctx, body: dict, project_id: str) -> dict:
    """Validate and store a new package (inside the caller's transaction)."""
    name = check_name("package", body.get("name"))
    if ctx.store.find_by("package", "name", name, scope=project_id):
        raise BadRequest(f"Package with name {name!r} already exists in project {project_id}")
    check_modules(body.get("modules"))
    _check_codebase(body.get("codebase"))
    specifiers(body.get("requirements"))
    package_id = ctx.store.new_id()
    doc = {"id": package_id, "name": name, "url": f"{ctx.api_url}/packages/{package_id}", "projectId": project_id,
           "creator": ctx.user, "version": body.get("version") or "1.0.0", "type": body.get("type") or "faas",
           "global": bool(body.get("global", False)), "modules": body.get("modules") or [],
           "slots": body.get("slots"), "serviceConfig": body.get("serviceConfig"), "codebase": body.get("codebase"),
           "requirements": body.get("requirements") or [], "metadata": body.get("metadata") or {},
           "uiHooks": body.get("uiHooks") or []}
    ctx.store.insert("package", doc, scope=project_id)
    doc["revisions"] = [present(doc)]
    return ctx.store.replace("package", doc, touch=False)


# -- handlers ----------------------------------------------------------------------------------------
def create(ctx):
    body = ctx.json_object()
    project = get_project(ctx, body.get("projectId") or "")
    with ctx.store.transaction():
        doc = insert_package(ctx, body, project["id"])
    ensure_binaries_dataset(ctx, project["id"])
    return present(doc)


def get_one(ctx, package_id):
    return present(get_package(ctx, package_id))


UPDATE_SHAPE = {"name": STRING, "modules": nullable(LIST), "slots": nullable(LIST), "global": nullable(BOOL),
                "codebase": nullable(OBJECT), "requirements": nullable(LIST), "serviceConfig": nullable(OBJECT),
                "metadata": nullable(OBJECT), "description": nullable(STRING)}


def update(ctx, package_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_package(ctx, package_id)
        if "name" in body and body["name"] != doc["name"]:
            raise BadRequest(f"a package cannot be renamed ({doc['name']!r} -> {body['name']!r})")
        check_modules(body.get("modules"))
        _check_codebase(body.get("codebase"))
        specifiers(body.get("requirements"))
        for key in EDITABLE:
            if key in body:
                doc[key] = body[key]
        doc["updatedBy"] = ctx.user
        ctx.store.replace("package", doc)
        doc["revisions"] = (doc.get("revisions") or []) + [present(doc)]
        ctx.store.replace("package", doc, touch=False)
    return present(doc)


def delete(ctx, package_id):
    with ctx.store.transaction():
        doc = get_package(ctx, package_id)
        services = ctx.store.find_by("service", "packageId", package_id)
        if services:
            names = ", ".join(repr(s.get("name")) for s in services)
            raise BadRequest(f"package {doc['name']!r} is used by services {names}: delete them first")
        ctx.store.delete("package", package_id)
    return True


def revisions(ctx, package_id):
    return get_package(ctx, package_id).get("revisions") or []


def query(ctx, body: dict) -> dict:
    """``POST /query/faas`` with resource ``packages`` (packages of the caller's projects; the hidden packages of
    pipeline code nodes are left out)."""
    projects = [p["id"] for p in ctx.store.list("project") if project_role(p, ctx.user)]
    if not projects:
        return dql.envelope([], 0, 0, 0)
    page = dql.query(ctx.store, "package", body, scope=projects,
                     where="json_extract(d.doc, '$.metadata.system.pipelineId') IS NULL")
    page["items"] = [present(d) for d in page["items"]]
    return page


def name_validation(kind: str):
    def handler(ctx, name):
        check_name(kind, name)
        for project in ctx.store.list("project"):  # pushes pack codebases next: make sure Binaries exists
            if project_role(project, ctx.user):
                ensure_binaries_dataset(ctx, project["id"])
        return {"valid": True, "name": name}
    handler.__name__ = f"validate_{kind}_name"
    return handler


def find_package(ctx, project_id: str, name: str) -> Optional[dict]:
    found = ctx.store.find_by("package", "name", name, scope=project_id)
    return found[0] if found else None


ROUTES = [
    Route("POST", "/packages", create),
    Route("GET", "/packages/<package_id>", get_one),
    Route("PATCH", "/packages/<package_id>", update),
    Route("DELETE", "/packages/<package_id>", delete),
    Route("GET", "/packages/<package_id>/revisions", revisions),
    Route("GET", "/piper-misc/naming/packages/<name>", name_validation("package")),
    Route("GET", "/piper-misc/naming/services/<name>", name_validation("service")),
    Route("GET", "/piper-misc/naming/triggers/<name>", name_validation("trigger")),
]
