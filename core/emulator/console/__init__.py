"""The emulator's web console: read-only HTML pages under ``/console`` over the emulator's own store.

Page paths have the shapes of the platform web app's URLs (``client.console_url`` + ``projects/<id>/...``), so a
link built by the client, the Airflow provider or the Prefect integration opens the matching page offline. Every
page needs a console session (see :mod:`.session`); the API and its authentication are not changed.
"""
from __future__ import annotations

from .routes import ROUTES
from .session import sign_in_link

__all__ = ["ROUTES", "sign_in_link"]
