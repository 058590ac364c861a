"""Cancelling a flow run through the Prefect API cancels the Dataloop job it waits on: a runner in its own process
serves the deployment, the run starts a FaaS execution that blocks, the test cancels the flow run, the runner
stops the run, and the execution ends terminated."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL
from prefect.states import Cancelling
from eventually import eventually

SERVED = Path(__file__).with_name("served_flows.py")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(emulator, token):
    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value(), PREFECT_RUNNER_POLL_FREQUENCY="1",
               DATALOOP_BASE_URL=emulator.url, DATALOOP_TOKEN=token)
    process = subprocess.Popen([sys.executable, str(SERVED)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_cancelling_the_flow_run_through_the_api_terminates_the_execution(runner, package, faas_project,
                                                                          tmp_path):
    service = package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")
    flag = str(tmp_path / "never")
    with get_client(sync_client=True) as prefect:
        eventually(lambda: _deployment(prefect), "the runner registering its deployment", limit=90)
        flow_run = run_deployment("run-function/run-function", timeout=0, parameters={
            "project_name": faas_project.name, "service_name": service.name, "function_name": "block",
            "execution_input": {"flag": flag}})
        execution = eventually(lambda: next((e for e in service.executions.list().all()
                                             if e.latest_status["status"] == "in-progress"), None),
                               "the flow run starting the execution", limit=90)
        prefect.set_flow_run_state(flow_run.id, Cancelling(), force=True)
        final = eventually(lambda: _final(prefect, flow_run.id), "the flow run ending", limit=90)
    assert final.is_cancelled(), final
    assert service.executions.get(execution_id=execution.id).latest_status["status"] == "terminated"


def _deployment(prefect):
    try:
        return prefect.read_deployment_by_name("run-function/run-function")
    except ObjectNotFound:  # not registered yet
        return None


def _final(prefect, flow_run_id):
    state = prefect.read_flow_run(flow_run_id).state
    return state if state.is_final() else None
