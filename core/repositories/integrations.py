"""Integrations (wire §3.2): an organization's external-storage and registry credentials."""
from __future__ import annotations

import base64
import json
import logging
from typing import Optional

from .._repository import Repository, confirm_delete, path
from ..entities.integration import (HostPathType, Integration, IntegrationAuthMethod, IntegrationProvider,
                                    IntegrationType)
from ..exceptions import MissingEntity

logger = logging.getLogger("dataloop_core.integrations")


def _value(value):
    return value.value if hasattr(value, "value") else value


def _encode(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _registry_options(location: str, username: str, password: str, email: Optional[str] = None) -> dict:
    """Docker-config style options: ``{"name": "_json_key", "spec": {"password": base64(auths JSON)}}``."""
    entry = {"username": username, "password": password, "auth": _encode(f"{username}:{password}")}
    if email:
        entry["email"] = email
    return {"name": "_json_key", "spec": {"password": _encode(json.dumps({"auths": {location: entry}}))}}


class Integrations(Repository):
    """``project.integrations`` (the project's organization) or ``org.integrations``."""

    def _org_id(self, organization_id: Optional[str] = None) -> str:
        if organization_id is not None:
            return organization_id
        org = self._parent("org", required=False)
        if org is not None:
            return org.id
        project = self._parent("project", required=False)
        if project is not None and project.org_id:
            return project.org_id
        raise MissingEntity("2001", "Integrations needs an organization: use org.integrations, "
                                    "project.integrations or pass organization_id")

    def _build(self, json: dict) -> Integration:
        return Integration(self._client, json, **self._context)

    def list(self, only_available: bool = False, organization_id: Optional[str] = None) -> list:
        """The organization's integrations as raw JSON (as the platform's SDK returns them)."""
        url = "/orgs/{}/availableIntegrations" if only_available else "/orgs/{}/integrations"
        return self._request("GET", path(url, self._org_id(organization_id)))

    def get(self, integrations_id: str, organization_id: Optional[str] = None) -> Integration:
        org_id = self._org_id(organization_id)
        return self._build(self._request("GET", path("/orgs/{}/integrations/{}", org_id, integrations_id)))

    def create(self, integrations_type: IntegrationType, name: str, options: dict, metadata: Optional[dict] = None,
               organization_id: Optional[str] = None) -> Integration:
        """Create an integration; ``options`` holds the secrets (never returned by the platform)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, not {name!r}")
        if not isinstance(options, dict):
            raise ValueError(f"options must be a dict, got {type(options).__name__}")
        body = {"type": _value(integrations_type), "name": name, "options": options}
        if metadata is not None:
            body["metadata"] = metadata
        org_id = self._org_id(organization_id)
        integration = self._build(self._request("POST", path("/orgs/{}/integrations", org_id), json=body))
        if integration.status is not None:
            logger.info("integration %s status: %s", integration.name, integration.status)
        return integration

    def update(self, new_name: Optional[str] = None, integrations_id: Optional[str] = None,
               integration: Optional[Integration] = None, new_options: Optional[dict] = None,
               organization_id: Optional[str] = None, reload_services: Optional[bool] = None) -> Integration:
        """Rename an integration and/or replace its options (``reload_services`` restarts services using it)."""
        if integrations_id is None and integration is None:
            raise ValueError("pass integrations_id or integration")
        if new_name is None and new_options is None:
            raise ValueError("pass new_name and/or new_options")
        org_id = self._org_id(organization_id)
        body = {"integrationId": integrations_id if integrations_id is not None else integration.id}
        if new_name is not None:
            body["name"] = new_name
        if new_options is not None:
            if integration is None:
                integration = self.get(integrations_id=integrations_id, organization_id=org_id)
            body["credentials"] = {"options": new_options, "type": integration.type}
        params = {"reloadServices": "true"} if reload_services else None
        return self._build(self._request("PATCH", path("/orgs/{}/integrations", org_id), json=body, params=params))

    def delete(self, integrations_id: str, sure: bool = False, really: bool = False,
               organization_id: Optional[str] = None) -> bool:
        confirm_delete(sure, really, "an integration")
        org_id = self._org_id(organization_id)
        self._request("DELETE", path("/orgs/{}/integrations/{}", org_id, integrations_id))
        return True

    # -- typed helpers -----------------------------------------------------------------------------
    def create_nfs(self, name: str, server: str, path: str,
                   provider: IntegrationProvider = IntegrationProvider.SELF_MANAGED,
                   auth_method: IntegrationAuthMethod = IntegrationAuthMethod.MOUNT,
                   organization_id: Optional[str] = None) -> Integration:
        metadata = {"server": server, "path": path if path.startswith("/") else "/" + path,
                    "provider": _value(provider), "authMethod": _value(auth_method)}
        return self.create(IntegrationType.NFS, name, {}, metadata, organization_id)

    def create_hostpath(self, name: str, path: str, host_path_type: Optional[HostPathType] = None,
                        read_only: bool = False, provider: IntegrationProvider = IntegrationProvider.SELF_MANAGED,
                        auth_method: IntegrationAuthMethod = IntegrationAuthMethod.MOUNT,
                        organization_id: Optional[str] = None) -> Integration:
        metadata = {"path": path if path.startswith("/") else "/" + path,
                    "type": _value(host_path_type or HostPathType.DIRECTORY), "readOnly": read_only,
                    "provider": _value(provider), "authMethod": _value(auth_method)}
        return self.create(IntegrationType.HOST_PATH, name, {}, metadata, organization_id)

    def create_s3_compatible_api(self, name: str, key: str, secret: str, endpoint: str, region: Optional[str] = None,
                                 organization_id: Optional[str] = None) -> Integration:
        """An S3-compatible store (MinIO, Ceph, ...): secrets in options, endpoint and region in metadata."""
        metadata = {"endpoint": endpoint, "provider": IntegrationProvider.SELF_MANAGED.value,
                    "authMethod": IntegrationAuthMethod.KEY_SECRET.value}
        if region is not None:
            metadata["region"] = region
        return self.create(IntegrationType.S3, name, {"key": key, "secret": secret}, metadata, organization_id)

    @staticmethod
    def generate_gar_options(service_account: str, location: str, email: Optional[str] = None) -> dict:
        """Options of a Google Artifact Registry ``private-registry`` integration."""
        if not service_account or not location:
            raise ValueError("service_account and location are required")
        host = location if location.endswith(".pkg.dev") else f"{location}-docker.pkg.dev"
        return _registry_options(host, "_json_key", service_account, email)

    @staticmethod
    def generate_docker_hub_options(username: str, password: str, email: Optional[str] = None) -> dict:
        if not username or not password:
            raise ValueError("username and password are required")
        return _registry_options("docker.io", username, password, email)

    @staticmethod
    def generate_azure_container_registry_options(username: str, password: str, location: str) -> dict:
        if not username or not password or not location:
            raise ValueError("username, password and location are required")
        return _registry_options(location, username, password)

    @staticmethod
    def generate_ecr_options(access_key_id: str, secret_access_key: str, account: str, region: str) -> dict:
        return {"name": "AWS", "spec": {"accessKeyId": access_key_id, "secretAccessKey": secret_access_key,
                                        "account": account, "region": region}}
