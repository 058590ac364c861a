"""Driver: a project's connection to an external bucket through an integration."""
from __future__ import annotations

from enum import Enum
from functools import cached_property

from .base import Entity, Field


class ExternalStorage(str, Enum):
    S3 = "s3"
    GCS = "gcs"
    FAAS_PROXY = "faasProxy"
    AZUREBLOB = "azureblob"
    AZURE_DATALAKE_GEN2 = "azureDatalakeGen2"
    POWERSCALE_S3 = "powerscaleS3"
    POWERSCALE_NFS = "powerscaleNfs"
    COMPUTE_CLUSTER = "computeCluster"
    STORAGE = "storage"


class Driver(Entity):
    """Bucket fields are top-level in the platform's answer (``bucketName`` for s3, ``bucket`` for gcs,
    ``containerName`` for azure)."""

    name = Field("name")
    type = Field("type", readonly=True)
    integration_id = Field("integrationId", readonly=True)
    integration_type = Field("integrationType", readonly=True)
    allow_external_delete = Field("allowExternalDelete")
    allow_external_modification = Field("allowExternalModification")
    metadata = Field("metadata")
    path = Field("path", readonly=True)
    bucket_name = Field("bucketName", readonly=True)
    bucket = Field("bucket", readonly=True)
    container_name = Field("containerName", readonly=True)
    region = Field("region", readonly=True)
    storage_class = Field("storageClass", readonly=True)
    end_point = Field("endpoint", readonly=True)
    elastic_index = Field("elasticIndex", readonly=True)
    elastic_index_path = Field("elasticIndexPath", readonly=True)
    directory = Field("directory", readonly=True)
    mount_path = Field("mountPath", readonly=True)
    payload = Field("payload", readonly=True)

    @property
    def project_id(self):
        return ((self.metadata or {}).get("system") or {}).get("projectId")

    @cached_property
    def drivers(self):
        from ..repositories.drivers import Drivers
        return Drivers(self._client, **self._context)

    def delete(self, sure: bool = False, really: bool = False) -> bool:
        return self.drivers.delete(driver_id=self.id, sure=sure, really=really)
