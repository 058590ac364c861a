"""Prefect leg: one temporary Prefect API (prefect_test_harness) for the whole session, blocks bound to the
session's emulator (tests/conftest.py)."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# before Prefect is imported: a throwaway home, no telemetry, a start-up timeout that survives a loaded machine
_home = tempfile.mkdtemp(prefix="prefect-home-")
atexit.register(shutil.rmtree, _home, True)
os.environ["PREFECT_HOME"] = _home
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"

import pytest  # noqa: E402
from prefect.testing.fixtures import asserting_and_emitting_events_worker  # noqa: E402,F401  (a fixture)
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

import prefect_dataloop  # noqa: E402,F401  (fills Prefect's block registry)
from prefect_dataloop import DataloopCredentials, DataloopDataset  # noqa: E402

TESTER = "tester@dataloop.local"  # the user of the root fixtures (project, dataset)


@pytest.fixture(scope="session", autouse=True)
def prefect_api():
    """One temporary Prefect API server and database for the whole session."""
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def token(emulator):
    return emulator.token(TESTER)


@pytest.fixture(scope="session")
def credentials(emulator, token):
    return DataloopCredentials(base_url=emulator.url, token=token)


@pytest.fixture
def dataset_block(credentials, project, dataset):
    return DataloopDataset(credentials=credentials, project_name=project.name, dataset_name=dataset.name)


@pytest.fixture
def folder(tmp_path):
    """Twelve small files in two sub-folders (what the sync tests push)."""
    root = tmp_path / "images"
    for i in range(12):
        path = root / ("a" if i % 2 else "b") / f"img-{i:02d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"image {i}\n" * (i + 1))
    return root


def run_flow(flow_fn, *args, **kwargs):
    """Run a flow; returns (result, flow run id)."""
    state = flow_fn(*args, return_state=True, **kwargs)
    return state.result(), state.state_details.flow_run_id


def artifacts_of(flow_run_id) -> list:
    """The artifacts of a flow run and of its task runs, oldest first (type, key, data, description)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(
            any_=[flow_run_id])))
    return sorted(found, key=lambda a: a.created)



@pytest.fixture
def emitted(asserting_and_emitting_events_worker):
    """``emitted(prefix)``: the events emitted in this test whose name starts with ``prefix``."""
    def named(prefix: str) -> list:
        asserting_and_emitting_events_worker.drain()
        client = asserting_and_emitting_events_worker._client
        return [e for e in client.events if e.event.startswith(prefix)]
    return named
