"""Projects (wire §3.3): form-urlencoded create, lookups by id and by name, update, cascade delete, members."""
from __future__ import annotations

import re

from ..errors import BadRequest, Forbidden, NotFound
from ..ids import is_object_id
from ..routing import BOOL, OBJECT, STRING, Route, nullable
from .organizations import check_email, check_role, ensure_org, get_org, member_json

PROJECT_ROLES = ("owner", "engineer", "annotator", "annotationManager")
PROJECT_SCOPED_KINDS = ("driver", "task", "assignment", "bot", "package", "service", "trigger", "execution")
EDITABLE = ("name", "archived", "metadata")
UPDATE_SHAPE = {"name": STRING, "archived": BOOL, "metadata": nullable(OBJECT), "metadata.system": nullable(OBJECT)}
# characters the platform refuses in a project name (it answers 400; see PLATFORM_NOTES.md)
ILLEGAL_NAME_CHARACTERS = set('#%?\\<>{}|^`"\';*')


def present(ctx, doc: dict) -> dict:
    """The project as the caller sees it: ``role`` is the caller's role."""
    return {**doc, "role": project_role(doc, ctx.user)}


def project_role(doc: dict, email: str):
    return next((m["role"] for m in doc.get("contributors", []) if m["email"] == email), None)


def get_project(ctx, project_id: str, owner: bool = False) -> dict:
    """A project the caller is a member of: 400 malformed id, 404 unknown, 403 not a member (or not an owner)."""
    if not is_object_id(project_id):
        raise BadRequest(f"invalid project id: {project_id!r}")
    doc = ctx.store.get("project", project_id, "Project")
    role = project_role(doc, ctx.user)
    if role is None or (owner and role != "owner"):
        raise Forbidden("Permission denied")
    return doc


def visible_projects(ctx, org_id: str = None) -> list:
    return [p for p in ctx.store.list("project", scope=org_id) if project_role(p, ctx.user)]


def _check_name(ctx, name, org_id: str, project_id: str = None) -> str:
    failed = "Failed to create project" if project_id is None else "Failed to rename project"
    if not isinstance(name, str) or not name.strip():
        raise BadRequest(f"{failed}: the name must be a non-empty string")
    illegal = sorted({c for c in name if c in ILLEGAL_NAME_CHARACTERS or not c.isprintable()})
    if illegal:
        raise BadRequest(f"{failed}: the name {name!r} has illegal characters {''.join(illegal)!r}")
    if any(p["id"] != project_id for p in ctx.store.find_by("project", "name", name, scope=org_id)):
        raise BadRequest(f"{failed}: a project with name {name!r} already exists")
    return name


# -- handlers ---------------------------------------------------------------------------------------
def create(ctx):
    from .packages import ensure_binaries_dataset
    name = ctx.request.form.get("name")
    if name is None and ctx.request.is_json:
        name = ctx.json_object().get("name")
    org = ensure_org(ctx)
    with ctx.store.transaction():
        _check_name(ctx, name, org["id"])
        project_id = ctx.store.new_id()
        doc = {"id": project_id, "name": name, "url": f"{ctx.api_url}/projects/{project_id}",
               "creator": ctx.user, "org": {"id": org["id"], "name": org["name"]},
               "contributors": [member_json(ctx.user, "owner")], "account": org.get("account"),
               "isBlocked": False, "archived": False, "featureConstraints": {}, "systemProject": False,
               "metadata": {}}
        ctx.store.insert("project", doc, scope=org["id"])
        ensure_binaries_dataset(ctx, project_id)  # the platform gives every project its hidden Binaries dataset
    return present(ctx, doc)


def list_all(ctx):
    ensure_org(ctx)
    return [present(ctx, p) for p in visible_projects(ctx)]


def list_of_org(ctx, org_id):
    get_org(ctx, org_id)
    return [present(ctx, p) for p in visible_projects(ctx, org_id)]


def get_one(ctx, project_id):
    return present(ctx, get_project(ctx, project_id))


def get_by_name(ctx, name):
    name = re.sub("%2[fF]", "/", name)  # servers keep an encoded slash encoded in PATH_INFO
    matches = [p for p in ctx.store.find_by("project", "name", name) if project_role(p, ctx.user)]
    if not matches:
        raise NotFound(f"Project not found: {name}")
    return [present(ctx, p) for p in matches]


def update(ctx, project_id):
    body = ctx.json_object(UPDATE_SHAPE)
    with ctx.store.transaction():
        doc = get_project(ctx, project_id)
        changes = {k: body[k] for k in EDITABLE if k in body}
        if "name" in changes:
            _check_name(ctx, changes["name"], doc["org"]["id"], project_id)
        if "metadata" in changes:
            metadata = changes["metadata"] if isinstance(changes["metadata"], dict) else {}
            if not ctx.flag("system"):
                metadata = {**metadata, "system": doc.get("metadata", {}).get("system")}
            changes["metadata"] = {k: v for k, v in metadata.items() if v is not None}
        doc.update(changes)
        ctx.store.replace("project", doc)
    return present(ctx, doc)


def delete(ctx, project_id):
    """Delete the project and everything scoped to it, in one transaction."""
    from . import datasets
    store = ctx.store
    with store.transaction():
        get_project(ctx, project_id, owner=True)
        services = [s["id"] for s in store.list("service", scope=project_id)]
        blobs = [blob for d in store.list("dataset", scope=project_id) for blob in datasets.purge(ctx, d["id"])]
        for pipeline in store.list("pipeline", scope=project_id):
            store.delete_where("pipeline_execution", "scope=?", (pipeline["id"],))
        for kind in PROJECT_SCOPED_KINDS + ("pipeline",):
            store.delete_where(kind, "scope=?", (project_id,))
        store.delete("project", project_id)
    for blob_id in blobs:
        ctx.blobs.delete(blob_id)
    faas = ctx.emulator.extensions.get("faas")
    for service_id in services:  # stop their workers
        if faas is not None:
            faas.service_deleted(service_id)
    return True


# -- members ----------------------------------------------------------------------------------------
def list_members(ctx, project_id):
    return get_project(ctx, project_id)["contributors"]


def _member(doc: dict, email: str) -> dict:
    member = next((m for m in doc["contributors"] if m["email"] == email), None)
    if member is None:
        raise NotFound(f"Member not found: {email}")
    return member


def _last_owner(doc: dict, email: str) -> bool:
    owners = [m["email"] for m in doc["contributors"] if m["role"] == "owner"]
    return owners == [email]


def add_member(ctx, project_id, email):
    check_email(email)
    role = check_role(ctx.json_object().get("role", "engineer"), PROJECT_ROLES)
    with ctx.store.transaction():
        doc = get_project(ctx, project_id, owner=True)
        if any(m["email"] == email for m in doc["contributors"]):
            raise BadRequest(f"{email} is already a member of the project")
        member = member_json(email, role)
        doc["contributors"].append(member)
        ctx.store.replace("project", doc)
    return member


def update_member(ctx, project_id, email):
    role = check_role(ctx.json_object().get("role"), PROJECT_ROLES)
    with ctx.store.transaction():
        doc = get_project(ctx, project_id, owner=True)
        member = _member(doc, email)
        if role != "owner" and _last_owner(doc, email):
            raise BadRequest(f"{email} is the last owner of the project")
        member["role"] = role
        ctx.store.replace("project", doc)
    return member


def remove_member(ctx, project_id, email):
    with ctx.store.transaction():
        doc = get_project(ctx, project_id, owner=True)
        member = _member(doc, email)
        if _last_owner(doc, email):
            raise BadRequest(f"{email} is the last owner of the project")
        doc["contributors"].remove(member)
        ctx.store.replace("project", doc)
    return member


ROUTES = [
    Route("POST", "/projects", create),
    Route("GET", "/projects", list_all),
    Route("GET", "/orgs/<org_id>/projects", list_of_org),
    Route("GET", "/projects/<project_id>", get_one),
    Route("GET", "/projects/<path:name>/name", get_by_name),
    Route("PATCH", "/projects/<project_id>", update),
    Route("DELETE", "/projects/<project_id>", delete),
    Route("GET", "/projects/<project_id>/members", list_members),
    Route("POST", "/projects/<project_id>/members/<email>", add_member),
    Route("PATCH", "/projects/<project_id>/members/<email>", update_member),
    Route("DELETE", "/projects/<project_id>/members/<email>", remove_member),
]
