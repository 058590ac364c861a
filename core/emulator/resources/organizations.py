"""Organizations (wire §3.1): every user owns one, created lazily on first use; members, plan, groups, cache."""
from __future__ import annotations

import re

from ..errors import BadRequest, Forbidden, NotFound
from ..ids import is_object_id
from ..routing import Route
from .users import user_json

ORG_ROLES = ("owner", "admin", "member", "worker")
PLANS = ("premium", "freemium")
POD_TYPES = ("small", "medium", "high")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(value) -> str:
    """The email, or 400 naming the bad value."""
    if not isinstance(value, str) or not EMAIL.match(value):
        raise BadRequest(f"invalid email: {value!r}")
    return value


def check_role(value, allowed) -> str:
    if value not in allowed:
        raise BadRequest(f"invalid role {value!r}; expected one of: {', '.join(allowed)}")
    return value


def member_json(email: str, role: str) -> dict:
    return {**user_json(email), "role": role}


def org_url(ctx, org_id: str) -> str:
    return f"{ctx.api_url}/orgs/{org_id}"


def ensure_org(ctx) -> dict:
    """The caller's own organization, created on first use ("<email>'s org", plan freemium)."""
    with ctx.store.transaction():
        owned = ctx.store.find_by("org", "owner", ctx.user)
        if owned:
            return owned[0]
        org_id = ctx.store.new_id()
        doc = {"id": org_id, "name": f"{ctx.user}'s org", "plan": "freemium", "owner": ctx.user,
               "creator": ctx.user, "url": org_url(ctx, org_id), "account": {"id": org_id, "name": ctx.user},
               "members": [member_json(ctx.user, "owner")], "groups": [], "logoUrl": None}
        return ctx.store.insert("org", doc)


def org_role(org: dict, email: str):
    return next((m["role"] for m in org.get("members", []) if m["email"] == email), None)


def get_org(ctx, org_id: str, manage: bool = False) -> dict:
    """An organization the caller belongs to (400 malformed id, 404 unknown, 403 not a member / not an admin)."""
    ensure_org(ctx)
    if not is_object_id(org_id):
        raise BadRequest(f"invalid organization id: {org_id!r}")
    org = ctx.store.get("org", org_id, "Organization")
    role = org_role(org, ctx.user)
    if role is None or (manage and role not in ("owner", "admin")):
        raise Forbidden("Permission denied")
    return org


# -- handlers ---------------------------------------------------------------------------------------
def list_orgs(ctx):
    ensure_org(ctx)
    return [o for o in ctx.store.list("org") if org_role(o, ctx.user)]


def get_one(ctx, org_id):
    return get_org(ctx, org_id)


def list_members(ctx, org_id):
    return get_org(ctx, org_id)["members"]


def list_groups(ctx, org_id):
    return get_org(ctx, org_id).get("groups", [])


def add_members(ctx, org_id):
    body = ctx.json_object()
    emails = body.get("emails")
    if not isinstance(emails, list) or not emails:
        raise BadRequest("emails must be a non-empty list of email addresses")
    role = check_role(body.get("role", "member"), ORG_ROLES)
    for email in emails:
        check_email(email)
    with ctx.store.transaction():
        org = get_org(ctx, org_id, manage=True)
        members = {m["email"]: m for m in org["members"]}
        for email in emails:
            members[email] = member_json(email, role) if email not in members else {**members[email], "role": role}
        org["members"] = list(members.values())
        ctx.store.replace("org", org)
    return [members[e] for e in emails]


def update_member(ctx, org_id):
    body = ctx.json_object()
    email = check_email(body.get("email"))
    role = check_role(body.get("role"), ORG_ROLES)
    with ctx.store.transaction():
        org = get_org(ctx, org_id, manage=True)
        member = next((m for m in org["members"] if m["email"] == email), None)
        if member is None:
            raise NotFound(f"Member not found: {email}")
        if email == org["owner"] and role != "owner":
            raise BadRequest(f"the organization owner {email} must keep the owner role")
        member["role"] = role
        ctx.store.replace("org", org)
    return member


def delete_member(ctx, org_id, user_id):
    with ctx.store.transaction():
        org = get_org(ctx, org_id, manage=True)
        member = next((m for m in org["members"] if user_id in (m["email"], m["id"])), None)
        if member is None:
            raise NotFound(f"Member not found: {user_id}")
        if member["email"] == org["owner"]:
            raise BadRequest(f"the organization owner {user_id} cannot be removed")
        org["members"] = [m for m in org["members"] if m is not member]
        ctx.store.replace("org", org)
    return True


def update_plan(ctx, org_id):
    plan = ctx.json_object().get("plan")
    if plan not in PLANS:
        raise BadRequest(f"invalid plan {plan!r}; expected one of: {', '.join(PLANS)}")
    with ctx.store.transaction():
        org = get_org(ctx, org_id, manage=True)
        org["plan"] = plan
        return ctx.store.replace("org", org)


def _cache_org(ctx) -> dict:
    body = ctx.json_object()
    org_id = (body.get("org") or {}).get("id")
    pod_type = (body.get("runner") or {}).get("podType")
    if pod_type not in POD_TYPES:
        raise BadRequest(f"invalid runner.podType {pod_type!r}; expected one of: {', '.join(POD_TYPES)}")
    if not org_id:
        raise BadRequest("org.id is required")
    return get_org(ctx, org_id, manage=True), pod_type


def fs_cache(ctx):
    """The filestore half of ``cache_action``: ``mode=apply-filestore|get|apply|destroy``."""
    mode = ctx.args.get("mode")
    org, pod_type = _cache_org(ctx)
    states = {"apply-filestore": "READY", "apply": "READY", "destroy": "DESTROYED"}
    if mode == "get":
        return {"state": org.get("cache", {}).get("filestore", "NONE")}
    if mode not in states:
        raise BadRequest(f"invalid mode {mode!r}; expected apply-filestore, get, apply or destroy")
    ctx.store.patch("org", org["id"], {"cache": {"filestore": states[mode], "podType": pod_type}})
    return {"state": states[mode]}


def cache(ctx):
    mode = ctx.args.get("mode")
    if mode not in ("apply", "destroy"):
        raise BadRequest(f"invalid mode {mode!r}; expected apply or destroy")
    org, pod_type = _cache_org(ctx)
    ctx.store.patch("org", org["id"], {"cache": {"state": mode, "podType": pod_type}})
    return {"state": mode}


ROUTES = [
    Route("GET", "/orgs", list_orgs),
    Route("GET", "/orgs/<org_id>", get_one),
    Route("GET", "/orgs/<org_id>/members", list_members),
    Route("POST", "/orgs/<org_id>/members", add_members),
    Route("PATCH", "/orgs/<org_id>/members", update_member),
    Route("DELETE", "/orgs/<org_id>/members/<user_id>", delete_member),
    Route("GET", "/orgs/<org_id>/groups", list_groups),
    Route("PATCH", "/orgs/<org_id>/plan", update_plan),
    Route("POST", "/services/fs-cache", fs_cache),
    Route("POST", "/services/cache", cache),
]
