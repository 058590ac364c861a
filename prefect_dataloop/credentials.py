"""``DataloopCredentials``: how a flow signs in to Dataloop, and the one shared client per process."""
from __future__ import annotations

import hashlib
import os
import pickle
import threading
from typing import Optional

from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, PrivateAttr, SecretStr, model_validator

from dataloop_core import DataloopClient
from dataloop_core.credentials import Credentials

LOGO_URL = "https://avatars.githubusercontent.com/u/40313981?s=200&v=4"
DOCS_URL = "https://github.com/dataloop-ai/dtlpy-documentation"
ENV_HINT = "DATALOOP_TOKEN, or DATALOOP_CLIENT_ID and DATALOOP_CLIENT_SECRET"
ENV_SIGN_IN = ("DATALOOP_TOKEN", "DATALOOP_CLIENT_ID", "DATALOOP_CLIENT_SECRET", "DATALOOP_REFRESH_TOKEN")

_clients: dict = {}
_clients_lock = threading.Lock()


class DataloopCredentials(CredentialsBlock):
    """Signs in to the Dataloop platform (or an emulator) and hands out one shared client per process.

    Give a `token`, or an m2m `client_id` and `client_secret`; leave all three empty to sign in with the
    `DATALOOP_*` environment of the process that runs the task (useful on Dask workers).
    No secret ever appears in a log line, repr, result or pickle: a saved block is pickled by its name and its
    secret is reloaded from the Prefect API where it is used.

    Attributes:
        base_url: The gate root, e.g. `https://gate.dataloop.ai` (the client adds `/api/v1`).
        token: A Dataloop API token (JWT).
        client_id: An m2m (service account) client id.
        client_secret: The m2m client secret.
        verify_ssl: Whether to verify the server's TLS certificate.
        ca_bundle: A CA bundle file to verify the server with (instead of the system's).
        request_timeout: Seconds to wait for each HTTP response.

    Example:
        Load stored credentials and list the projects:
        ```python
        from prefect import flow
        from prefect_dataloop import DataloopCredentials

        @flow
        def projects():
            dataloop_credentials = DataloopCredentials.load("BLOCK_NAME")
            client = dataloop_credentials.get_client()
            return [p.name for p in client.projects.list()]
        ```
    """

    _block_type_name = "Dataloop Credentials"
    _logo_url = LOGO_URL
    _documentation_url = DOCS_URL

    base_url: Optional[str] = Field(
        default=None, title="Base URL",
        description="The gate root, e.g. https://gate.dataloop.ai (empty: the DATALOOP_BASE_URL environment variable).")
    token: Optional[SecretStr] = Field(default=None, description="A Dataloop API token.")
    client_id: Optional[str] = Field(default=None, title="Client ID", description="An m2m (service account) client id.")
    client_secret: Optional[SecretStr] = Field(default=None, description="The m2m client secret.")
    verify_ssl: bool = Field(default=True, title="Verify SSL",
                             description="Whether to verify the server's TLS certificate.")
    ca_bundle: Optional[str] = Field(
        default=None, title="CA bundle", description="A CA bundle file to verify the server's certificate with.")
    request_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for each HTTP response.")
    _reload_from: Optional[str] = PrivateAttr(None)  # set on a copy unpickled without its secrets
    _loaded: Optional["DataloopCredentials"] = PrivateAttr(None)  # that copy's block, loaded once by name

    @model_validator(mode="after")
    def _one_sign_in(self) -> "DataloopCredentials":
        if self.token is not None and (self.client_id or self.client_secret is not None):
            raise ValueError("DataloopCredentials: give either token or client_id/client_secret, not both")
        if bool(self.client_id) != (self.client_secret is not None):
            raise ValueError("DataloopCredentials: client_id and client_secret go together; one of them is missing")
        if self.ca_bundle is not None and not self.verify_ssl:
            raise ValueError("DataloopCredentials: ca_bundle is set but verify_ssl is False")
        return self

    # -- the client ---------------------------------------------------------------------------------
    def get_client(self) -> DataloopClient:
        """The process-wide client for these credentials (built once, thread-safe, shared by tasks)."""
        if self._reload_from:
            if self._loaded is None:
                self._loaded = DataloopCredentials.load(self._reload_from, _sync=True)
            return self._loaded.get_client()
        base_url = self.base_url or os.environ.get("DATALOOP_BASE_URL")
        if not base_url:
            raise ValueError("DataloopCredentials: base_url is empty and DATALOOP_BASE_URL is not set")
        credentials = self._core_credentials()
        key = (base_url, self._fingerprint(), self.verify_ssl, self.ca_bundle, self.request_timeout)
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = DataloopClient(base_url=base_url, credentials=credentials,
                                                        verify=self.ca_bundle or self.verify_ssl,
                                                        timeout=(10.0, self.request_timeout))
            return client

    def _core_credentials(self) -> Credentials:
        if self.token is not None:
            return Credentials.from_token(self.token.get_secret_value())
        if self.client_id:
            return Credentials.from_m2m(self.client_id, self.client_secret.get_secret_value())
        found = Credentials.find_in_env()
        if found is None:
            raise ValueError(f"DataloopCredentials: no token or client_id/client_secret, and {ENV_HINT} "
                             "is not set in this process's environment")
        return found

    def _fingerprint(self) -> str:
        """A digest of the sign-in (one cache entry per identity, without keeping a secret as a key)."""
        secret = self.token or self.client_secret
        if secret is not None:
            parts = [self.client_id or "", secret.get_secret_value()]
        else:
            parts = ["env", *(os.environ.get(name, "") for name in ENV_SIGN_IN)]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    # -- pickling (Dask and process task runners) ----------------------------------------------------
    def __reduce__(self):
        name = self._block_document_name or self._reload_from
        if name:
            public = self.model_dump(exclude={"token", "client_secret"})
            return (_saved_reference, (name, public))
        if self.token is not None or self.client_secret is not None:
            raise pickle.PicklingError(
                "DataloopCredentials holds a secret and was never saved, so it cannot travel to another process: "
                "save it first (credentials.save('name')) and it is pickled by name, or leave token and client "
                f"secret empty to use {ENV_HINT} on the workers")
        return (DataloopCredentials, (), self.__getstate__())


def _saved_reference(name: str, public: dict) -> DataloopCredentials:
    """Rebuild a saved block without its secrets; ``get_client()`` loads them from the Prefect API by name."""
    block = DataloopCredentials(**public)
    block._reload_from = name
    return block
