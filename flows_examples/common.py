"""What every example needs: a throw-away Prefect home, and Dataloop from the environment or an embedded emulator
(the latter, the stand-in annotator and the seeded demo data are shared with the Airflow examples)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from dags_examples.main_job import Annotator, dataloop  # noqa: F401  (re-exported for the flow examples)

PREFECT_SETTINGS = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}


@contextmanager
def prefect_home(work: Path):
    """Prefect settings for one offline run (set before Prefect is imported): its own home, no telemetry."""
    saved = {name: os.environ.get(name) for name in ("PREFECT_HOME", *PREFECT_SETTINGS)}
    os.environ.update(PREFECT_HOME=str(work / "prefect"), **PREFECT_SETTINGS)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
