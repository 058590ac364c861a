"""``DataloopHook``: an Airflow connection turned into the shared ``dataloop_core.DataloopClient``.

No HTTP here: sign-in, retries and errors live in the client. Connection fields: host = the gate URL with its
scheme (``https://gate.dataloop.ai``; a bare host gets ``https://`` unless extra ``scheme`` says otherwise),
password = API token, or extras ``client_id`` + ``client_secret`` (m2m); extras ``verify`` (bool), ``ca_bundle``
(path), ``project_id`` (default project), ``timeout`` (s), ``max_retries``.
"""
from __future__ import annotations

import asyncio
from typing import Optional
from urllib.parse import urlsplit

from airflow.sdk import BaseHook
from airflow.providers.common.compat.sdk import AirflowException

from dataloop_core import DataloopClient
from dataloop_core.credentials import Credentials
from dataloop_core.exceptions import DataloopError

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


class DataloopHook(BaseHook):
    """Interact with Dataloop through ``get_conn()`` (the client, cached per hook).

    :param dataloop_conn_id: the connection id (default ``dataloop_default``).
    """

    conn_name_attr = "dataloop_conn_id"
    default_conn_name = "dataloop_default"
    conn_type = "dataloop"
    hook_name = "Dataloop"

    def __init__(self, dataloop_conn_id: str = default_conn_name, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dataloop_conn_id = dataloop_conn_id
        self._client: Optional[DataloopClient] = None

    # -- sync path (workers) ------------------------------------------------------------------------
    def get_conn(self) -> DataloopClient:
        """The client for this connection (built once per hook)."""
        if self._client is None:
            self._client = client_from_connection(self.get_connection(self.dataloop_conn_id))
        return self._client

    @property
    def default_project_id(self) -> Optional[str]:
        return _extras(self.get_connection(self.dataloop_conn_id)).get("project_id") or None

    def test_connection(self) -> tuple[bool, str]:
        """One authenticated call without retries: ``(True, message)`` or ``(False, the reason)``."""
        try:
            client = client_from_connection(self.get_connection(self.dataloop_conn_id), max_retries=0,
                                            timeout=(5.0, 15.0))
            with client:
                projects = client.projects.list()
        except (DataloopError, AirflowException, ValueError) as exc:
            return False, str(exc)
        return True, f"Connected to {client.base_url}: {len(projects)} project(s) visible"

    # -- async path (triggerer) ----------------------------------------------------------------------
    async def aget_conn(self) -> DataloopClient:
        """The client, with the connection fetched without blocking the event loop."""
        if self._client is None:
            from airflow.providers.common.compat.connection import get_async_connection
            connection = await get_async_connection(self.dataloop_conn_id, self)
            self._client = await asyncio.to_thread(client_from_connection, connection)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def gate_url(connection) -> str:
    """The gate URL of a connection: host with its scheme, or ``https://`` (extra ``scheme``) + host + port."""
    host = (connection.host or "").strip().rstrip("/")
    if not host:
        raise AirflowException(f"connection {connection.conn_id!r} has no host: set the gate URL, e.g. "
                               "https://gate.dataloop.ai (or http://127.0.0.1:4020 for the emulator)")
    if "://" not in host:
        host = f"{_extras(connection).get('scheme') or 'https'}://{host}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AirflowException(f"connection {connection.conn_id!r}: host must be an http(s) URL, got "
                               f"{parts.scheme or '(none)'}://{parts.hostname or ''}")
    if connection.port and parts.port is None:
        host = f"{parts.scheme}://{parts.netloc}:{connection.port}{parts.path}"
    return host


def credentials_from_connection(connection) -> Credentials:
    """The API token (the password), else the m2m client id and secret of the extras; a clear error otherwise."""
    extras = _extras(connection)
    if connection.password:
        return Credentials.from_token(connection.password)
    client_id, client_secret = extras.get("client_id"), extras.get("client_secret")
    if client_id and client_secret:
        return Credentials.from_m2m(client_id, client_secret)
    if client_id or client_secret:
        missing = "client_secret" if client_id else "client_id"
        raise AirflowException(f"connection {connection.conn_id!r}: m2m sign-in needs both client_id and "
                               f"client_secret in the extras; {missing} is missing")
    raise AirflowException(f"connection {connection.conn_id!r} has no credentials: set the API token as the "
                           "password, or client_id and client_secret in the extras")


def client_from_connection(connection, **options) -> DataloopClient:
    """A ``DataloopClient`` configured from an Airflow connection (``options`` override the extras)."""
    extras = _extras(connection)
    settings: dict = {"verify": _verify(connection, extras)}
    if extras.get("timeout") not in (None, ""):
        settings["timeout"] = _number(connection, extras, "timeout", float)
    if extras.get("max_retries") not in (None, ""):
        settings["max_retries"] = _number(connection, extras, "max_retries", int)
    settings.update(options)
    return DataloopClient(base_url=gate_url(connection), credentials=credentials_from_connection(connection),
                          **settings)


def _extras(connection) -> dict:
    return connection.extra_dejson or {}


def _verify(connection, extras: dict):
    if extras.get("ca_bundle"):
        return str(extras["ca_bundle"])
    value = extras.get("verify", True)
    if isinstance(value, bool) or value is None:
        return value is not False
    if str(value).strip().lower() in TRUE_WORDS:
        return True
    if str(value).strip().lower() in FALSE_WORDS:
        return False
    raise AirflowException(f"connection {connection.conn_id!r}: extra 'verify' must be true or false, got "
                           f"{value!r} (use extra 'ca_bundle' for a CA file)")


def _number(connection, extras: dict, key: str, kind):
    try:
        value = kind(extras[key])
    except (TypeError, ValueError):
        raise AirflowException(f"connection {connection.conn_id!r}: extra {key!r} must be a number, got "
                               f"{extras[key]!r}") from None
    if value < 0:
        raise AirflowException(f"connection {connection.conn_id!r}: extra {key!r} must be >= 0, got {value}")
    return value
