"""Drivers (wire §3.5, §8): the create request nests bucket fields under ``payload``; answers have them top-level."""
from __future__ import annotations

from ..errors import BadRequest
from ..ids import is_object_id
from ..routing import Route
from .integrations import get_integration
from .projects import get_project

TYPES = ("s3", "gcs", "faasProxy", "azureblob", "azureDatalakeGen2", "powerscaleS3", "powerscaleNfs",
         "computeCluster", "storage")
BUCKET_KEYS = {"s3": "bucketName", "gcs": "bucket", "faasProxy": "bucket", "azureblob": "containerName",
               "azureDatalakeGen2": "containerName"}


def get_driver(ctx, driver_id: str) -> dict:
    """A driver of a project the caller belongs to (400 malformed id, 404 unknown, 403 not a member)."""
    if not is_object_id(driver_id):
        raise BadRequest(f"invalid driver id: {driver_id!r}")
    doc = ctx.store.get("driver", driver_id, "Driver")
    get_project(ctx, doc["metadata"]["system"]["projectId"])
    return doc


def create(ctx):
    body = ctx.json_object()
    kind = body.get("type")
    if kind not in TYPES:
        raise BadRequest(f"invalid driver type {kind!r}; expected one of: {', '.join(TYPES)}")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("driver name must be a non-empty string")
    payload = body.get("payload") or {}
    if not isinstance(payload, dict):
        raise BadRequest("payload must be an object")
    bucket_key = BUCKET_KEYS.get(kind)
    if bucket_key and not payload.get(bucket_key):
        raise BadRequest(f"payload.{bucket_key} is required for {kind} drivers")
    project_id = ((body.get("metadata") or {}).get("system") or {}).get("projectId")
    if not project_id:
        raise BadRequest("metadata.system.projectId is required")
    with ctx.store.transaction():
        project = get_project(ctx, project_id)
        integration = get_integration(ctx, project["org"]["id"], body.get("integrationId"))
        if body.get("integrationType", integration["type"]) != integration["type"]:
            raise BadRequest(f"integrationType {body.get('integrationType')!r} does not match the integration's "
                             f"type {integration['type']!r}")
        if ctx.store.find_by("driver", "name", name, scope=project_id):
            raise BadRequest(f"Driver with name {name!r} already exists in the project")
        driver_id = ctx.store.new_id()
        doc = {"id": driver_id, "name": name, "type": kind, "integrationId": integration["id"],
               "integrationType": integration["type"], "creator": body.get("creator") or ctx.user,
               "allowExternalDelete": bool(body.get("allowExternalDelete", True)),
               "allowExternalModification": bool(body.get("allowExternalModification", False)),
               "metadata": {"system": {"projectId": project_id, "orgId": project["org"]["id"]}},
               "url": f"{ctx.api_url}/drivers/{driver_id}"}
        if kind == "computeCluster":
            doc["payload"] = payload
        else:
            doc.update({k: v for k, v in payload.items() if v is not None})
        ctx.store.insert("driver", doc, scope=project_id)
    return doc


def list_all(ctx):
    project_id = ctx.args.get("projectId")
    if not project_id:
        raise BadRequest("projectId query parameter is required")
    get_project(ctx, project_id)
    return ctx.store.list("driver", scope=project_id)


def get_one(ctx, driver_id):
    return get_driver(ctx, driver_id)


def delete(ctx, driver_id):
    with ctx.store.transaction():
        get_driver(ctx, driver_id)
        users = ctx.store.find_by("dataset", "driver", driver_id)
        if users:
            raise BadRequest(f"driver {driver_id} is used by dataset {users[0]['id']}; delete the dataset first")
        ctx.store.delete("driver", driver_id)
    return True


ROUTES = [
    Route("POST", "/drivers", create),
    Route("GET", "/drivers", list_all),
    Route("GET", "/drivers/<driver_id>", get_one),
    Route("DELETE", "/drivers/<driver_id>", delete),
]
