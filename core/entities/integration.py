"""Integration: an organization's credentials for external storage or registries (secrets never come back)."""
from __future__ import annotations

from enum import Enum
from typing import Optional

from .base import Entity, Field


class IntegrationType(str, Enum):
    S3 = "s3"
    AWS_CROSS_ACCOUNT = "aws-cross"
    AWS_STS = "aws-sts"
    GCS = "gcs"
    GCS_CROSS = "gcp-cross"
    AZUREBLOB = "azureblob"
    KEY_VALUE = "key_value"
    GCP_WORKLOAD_IDENTITY_FEDERATION = "gcp-workload-identity-federation"
    PRIVATE_REGISTRY = "private-registry"
    NFS = "nfs"
    HOST_PATH = "hostPath"
    BLOB = "blob"
    PVC = "pvc"


class IntegrationProvider(str, Enum):
    SELF_MANAGED = "self-managed"
    DELL = "dell"
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


class IntegrationAuthMethod(str, Enum):
    STS = "sts"
    CROSS_ACCOUNT = "cross-account"
    WORKLOAD_IDENTITY = "workload-identity"
    SERVICE_ACCOUNT = "service-account"
    CONNECTION_STRING = "connection-string"
    KEY_SECRET = "key-secret"
    MOUNT = "mount"


class HostPathType(str, Enum):
    DIRECTORY_OR_CREATE = "DirectoryOrCreate"
    DIRECTORY = "Directory"


class Integration(Entity):
    name = Field("name")
    type = Field("type", readonly=True)
    org = Field("org", readonly=True)
    metadata = Field("metadata")

    @property
    def status(self) -> Optional[str]:
        """The ``status`` entry of the metadata list, when the platform reports one."""
        metadata = self.metadata
        if isinstance(metadata, list):
            return next((m.get("value") for m in metadata if m.get("name") == "status"), None)
        return None

    @property
    def _integrations(self):
        from ..repositories.integrations import Integrations
        return Integrations(self._client, **self._context)

    def update(self, new_name: Optional[str] = None, new_options: Optional[dict] = None,
               reload_services: Optional[bool] = None) -> "Integration":
        return self._integrations.update(new_name=new_name, integration=self, new_options=new_options,
                                         reload_services=reload_services, organization_id=self.org)

    def delete(self, sure: bool = False, really: bool = False) -> bool:
        return self._integrations.delete(integrations_id=self.id, sure=sure, really=really,
                                         organization_id=self.org)
