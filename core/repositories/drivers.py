"""Drivers (wire §3.5): external-storage connections of a project."""
from __future__ import annotations

import re
from typing import List, Optional

from .._repository import Repository, confirm_delete, exactly_one, path
from ..entities.driver import Driver, ExternalStorage
from ..entities.integration import Integration, IntegrationType
from ..exceptions import NotFound

ENDPOINT = re.compile(r"^https?://[A-Za-z0-9.-]+:\d+$")
STORAGE_INTEGRATIONS = (IntegrationType.NFS.value, IntegrationType.HOST_PATH.value, IntegrationType.S3.value)


def _value(value):
    return value.value if hasattr(value, "value") else value


def bucket_key(driver_type: str) -> str:
    """The payload key of the bucket: ``bucketName`` (s3), ``bucket`` (gcs, faasProxy), ``containerName``."""
    if driver_type == ExternalStorage.S3.value:
        return "bucketName"
    if driver_type in (ExternalStorage.GCS.value, ExternalStorage.FAAS_PROXY.value):
        return "bucket"
    return "containerName"


class Drivers(Repository):
    """``project.drivers``."""

    def _build(self, json: dict) -> Driver:
        return Driver(self._client, json, **self._context)

    def list(self) -> List[Driver]:
        project = self._parent("project")
        return [self._build(j) for j in self._request("GET", "/drivers", params={"projectId": project.id})]

    def get(self, driver_name: Optional[str] = None, driver_id: Optional[str] = None) -> Driver:
        """A driver by id, or by name among the project's drivers."""
        exactly_one(driver_name=driver_name, driver_id=driver_id)
        if driver_id is not None:
            return self._build(self._request("GET", path("/drivers/{}", driver_id)))
        matches = [d for d in self.list() if d.name == driver_name]
        if len(matches) != 1:
            state = "not found" if not matches else "is ambiguous (several share that name); get it by id"
            raise NotFound("404", f"Driver {state}: {driver_name}")
        return matches[0]

    def create(self, name: str, driver_type: ExternalStorage, integration_id: str, bucket_name: str,
               integration_type: Optional[IntegrationType] = None, project_id: Optional[str] = None,
               allow_external_delete: bool = True, region: Optional[str] = None, storage_class: str = "",
               path: str = "", endpoint: Optional[str] = None) -> Driver:
        """Create a driver on a bucket; ``endpoint`` (``http(s)://host:port``) is for S3-compatible stores."""
        driver_type = _value(driver_type)
        if endpoint is not None and (driver_type != ExternalStorage.S3.value or not ENDPOINT.match(endpoint)):
            raise ValueError(f"invalid endpoint {endpoint!r}: only s3 drivers take one, as http(s)://<host>:<port>")
        payload = {bucket_key(driver_type): bucket_name, "storageClass": storage_class, "region": region,
                   "path": path}
        if endpoint is not None:
            payload["endpoint"] = endpoint
        return self._create(name, driver_type, integration_id, _value(integration_type or driver_type), payload,
                            allow_external_delete, project_id)

    def create_storage_driver(self, name: str, integration: Integration, bucket_name: Optional[str] = None,
                              directory: Optional[str] = None, path: Optional[str] = None,
                              allow_external_delete: bool = True, project_id: Optional[str] = None,
                              elastic_index: Optional[str] = None,
                              elastic_index_path: Optional[str] = None) -> Driver:
        """A ``storage`` driver over an NFS, hostPath or S3-compatible integration."""
        if integration.type not in STORAGE_INTEGRATIONS:
            raise ValueError(f"integration type must be one of {', '.join(STORAGE_INTEGRATIONS)}, "
                             f"got {integration.type!r}")
        if integration.type == IntegrationType.S3.value:
            if bucket_name is None:
                raise ValueError("bucket_name is required for S3-compatible drivers")
            payload = {"bucketName": bucket_name, "path": path}
        else:
            payload = {"directory": directory if directory is None or directory.startswith("/") else "/" + directory}
        if elastic_index is not None:
            payload["elasticIndex"] = elastic_index
        if elastic_index_path is not None:
            payload["elasticIndexPath"] = elastic_index_path
        return self._create(name, ExternalStorage.STORAGE.value, integration.id, integration.type, payload,
                            allow_external_delete, project_id)

    def _create(self, name, driver_type, integration_id, integration_type, payload, allow_external_delete,
                project_id) -> Driver:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, not {name!r}")
        if project_id is None:
            project_id = self._parent("project").id
        body = {"integrationId": integration_id, "integrationType": integration_type, "name": name,
                "metadata": {"system": {"projectId": project_id}}, "type": driver_type, "payload": payload,
                "allowExternalDelete": allow_external_delete, "creator": self._client.user_email}
        return self._build(self._request("POST", "/drivers", json=body))

    def delete(self, driver_name: Optional[str] = None, driver_id: Optional[str] = None, sure: bool = False,
               really: bool = False) -> bool:
        """Delete a driver (needs ``sure=True, really=True``)."""
        confirm_delete(sure, really, "a driver")
        exactly_one(driver_name=driver_name, driver_id=driver_id)
        if driver_id is None:
            driver_id = self.get(driver_name=driver_name).id
        self._request("DELETE", path("/drivers/{}", driver_id))
        return True
