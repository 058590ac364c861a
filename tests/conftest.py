"""Shared fixtures: one emulator per test session over real HTTP on a free port, and clients bound to it."""
from __future__ import annotations

import importlib.util
import uuid

import pytest

from dataloop_core import DataloopClient
from dataloop_core.emulator import EmulatorServer

# each orchestrator's tests run in that orchestrator's own venv (./dev test runs every leg)
collect_ignore = [f"{name}_tests" for name in ("airflow", "prefect") if importlib.util.find_spec(name) is None]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """The in-process emulator (real sockets, 127.0.0.1, free port, faults switch on for tests)."""
    server = EmulatorServer(str(tmp_path_factory.mktemp("emulator")), enable_faults=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def client(emulator):
    with DataloopClient(base_url=emulator.url, token=emulator.token("tester@dataloop.local")) as c:
        yield c


@pytest.fixture
def unique():
    """A short unique suffix, so tests sharing the session's emulator never collide on names."""
    return lambda prefix="t": f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def faults(emulator, client):
    """Set fault rules for one test; cleared afterwards."""
    def set_rules(*rules):
        client.transport.request("POST", "/_emulator/faults", gate=True, json={"rules": list(rules)})
    yield set_rules
    emulator.emulator.faults.clear()


@pytest.fixture(scope="module")
def faas_project(client):
    """A project per test module for FaaS tests (packages, services, executions, triggers)."""
    return client.projects.create(f"faas-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def package(faas_project, tmp_path_factory):
    """The test runner package of tests/faas_runner.py, pushed to the module's FaaS project."""
    from faas_runner import CODE, MODULES
    src = tmp_path_factory.mktemp("runner")
    (src / "main.py").write_text(CODE)
    return faas_project.packages.push(src_path=str(src), package_name=f"runner-{uuid.uuid4().hex[:6]}",
                                      modules=MODULES)


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3 protocol server (moto's, from the dev extra) on 127.0.0.1 for the session."""
    from moto import server as moto_server
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server._server.server_address[:2]
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def project(client, unique):
    """A fresh project per test."""
    return client.projects.create(unique("project"))


@pytest.fixture
def dataset(project, unique):
    """A fresh dataset (default recipe and ontology) in a fresh project."""
    return project.datasets.create(unique("dataset"))
