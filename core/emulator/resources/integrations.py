"""Integrations of an organization (wire §3.2); secrets (``options``) are stored but never answered."""
from __future__ import annotations

from ..errors import BadRequest, not_found
from ..ids import is_object_id
from ..routing import OBJECT, STRING, Route, nullable
from .organizations import get_org

TYPES = ("s3", "aws-cross", "aws-sts", "gcs", "gcp-cross", "azureblob", "key_value",
         "gcp-workload-identity-federation", "private-registry", "nfs", "hostPath", "blob", "pvc")
REQUIRED_OPTIONS = {"s3": ("key", "secret"), "key_value": ("key", "value"), "aws-sts": ("key", "secret", "roleArns"),
                    "azureblob": ("key", "secret", "clientId", "tenantId"), "private-registry": ("name", "spec")}
SECRET_KEYS = ("options",)


def public(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in SECRET_KEYS}


def _check_options(kind: str, options) -> dict:
    if not isinstance(options, dict):
        raise BadRequest("options must be an object")
    missing = [k for k in REQUIRED_OPTIONS.get(kind, ()) if options.get(k) in (None, "")]
    if missing:
        raise BadRequest(f"{kind} integration options miss: {', '.join(missing)}")
    return options


def _check_name(ctx, org_id: str, name, integration_id: str = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("integration name must be a non-empty string")
    if any(i["id"] != integration_id for i in ctx.store.find_by("integration", "name", name, scope=org_id)):
        raise BadRequest(f"Integration with name {name!r} already exists")
    return name


def get_integration(ctx, org_id: str, integration_id) -> dict:
    if not is_object_id(integration_id):
        raise BadRequest(f"invalid integration id: {integration_id!r}")
    doc = ctx.store.get("integration", integration_id, "Integration")
    if doc["org"] != org_id:
        raise not_found("Integration", integration_id)
    return doc


# -- handlers ---------------------------------------------------------------------------------------
def list_all(ctx, org_id):
    get_org(ctx, org_id)
    return [public(d) for d in ctx.store.list("integration", scope=org_id)]


def list_available(ctx, org_id):
    return [d for d in list_all(ctx, org_id) if d.get("status", "active") == "active"]


def get_one(ctx, org_id, integration_id):
    get_org(ctx, org_id)
    return public(get_integration(ctx, org_id, integration_id))


def create(ctx, org_id):
    body = ctx.json_object()
    kind = body.get("type")
    if kind not in TYPES:
        raise BadRequest(f"invalid integration type {kind!r}; expected one of: {', '.join(TYPES)}")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise BadRequest("metadata must be an object")
    with ctx.store.transaction():
        get_org(ctx, org_id, manage=True)
        name = _check_name(ctx, org_id, body.get("name"))
        integration_id = ctx.store.new_id()
        doc = {"id": integration_id, "name": name, "type": kind, "org": org_id, "creator": ctx.user,
               "url": f"{ctx.api_url}/orgs/{org_id}/integrations/{integration_id}", "status": "active",
               "metadata": [{"name": k, "value": v} for k, v in metadata.items()]
                           + [{"name": "status", "value": "active"}],
               "options": _check_options(kind, body.get("options"))}
        ctx.store.insert("integration", doc, scope=org_id)
    return public(doc)


def update(ctx, org_id):
    body = ctx.json_object({"integrationId": STRING, "name": STRING, "credentials": nullable(OBJECT)})
    with ctx.store.transaction():
        get_org(ctx, org_id, manage=True)
        doc = get_integration(ctx, org_id, body.get("integrationId"))
        if "name" in body:
            doc["name"] = _check_name(ctx, org_id, body["name"], doc["id"])
        credentials = body.get("credentials")
        if credentials is not None:
            if not isinstance(credentials, dict) or credentials.get("type", doc["type"]) != doc["type"]:
                raise BadRequest(f"credentials must be an object of type {doc['type']!r}")
            doc["options"] = _check_options(doc["type"], credentials.get("options"))
        ctx.store.replace("integration", doc)
    return public(doc)


def delete(ctx, org_id, integration_id):
    with ctx.store.transaction():
        get_org(ctx, org_id, manage=True)
        get_integration(ctx, org_id, integration_id)
        users = ctx.store.find_by("driver", "integrationId", integration_id)
        if users:
            raise BadRequest(f"integration {integration_id} is used by driver {users[0]['id']}; delete it first")
        ctx.store.delete("integration", integration_id)
    return True


ROUTES = [
    Route("GET", "/orgs/<org_id>/integrations", list_all),
    Route("GET", "/orgs/<org_id>/availableIntegrations", list_available),
    Route("POST", "/orgs/<org_id>/integrations", create),
    Route("PATCH", "/orgs/<org_id>/integrations", update),
    Route("GET", "/orgs/<org_id>/integrations/<integration_id>", get_one),
    Route("DELETE", "/orgs/<org_id>/integrations/<integration_id>", delete),
]
