"""What every example needs: a throw-away Prefect home, and Dataloop from the environment or an embedded emulator
(the latter, the stand-in annotator and the seeded demo data are shared with the Airflow examples)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from dags_examples.seed import Annotator, dataloop

__all__ = ["Annotator", "dataloop", "local_dask_runner", "prefect_api", "prefect_home"]
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


@contextmanager
def prefect_api():
    """A temporary local Prefect API whose URL is in the settings, so processes the flow starts (Dask workers)
    report to it; without one, each such process would start a temporary server of its own."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings
    server = SubprocessASGIServer()
    server.start(timeout=int(PREFECT_SETTINGS["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            try:
                yield server.api_url
            finally:  # send the last logs and events before the server goes
                from prefect.events.worker import EventsWorker
                from prefect.logging.handlers import APILogWorker
                APILogWorker.drain_all()
                EventsWorker.drain_all()
    finally:
        server.stop()


def local_dask_runner(workers: int = 2):
    """prefect-dask's ``DaskTaskRunner`` on a ``LocalCluster`` of ``workers`` processes (2 threads each).

    Dask's statistical profiler is switched off for it: it samples every thread with ``sys._current_frames()``,
    which on CPython 3.11 before 3.11.9 can deadlock a worker process against a thread that exits (CPython
    gh-106883, dask/distributed#8616); the workers take the config from this process when the cluster starts."""
    import dask
    from prefect_dask import DaskTaskRunner
    dask.config.set({"distributed.worker.profile.enabled": False})
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "processes": True, "threads_per_worker": 2,
                                          "dashboard_address": None})
