"""Compatibility tier, FaaS with the official SDK inside the function: the emulator runs workers with
.venv-dtlpy's interpreter (DATALOOP_EMULATOR_FAAS_PYTHON), the function's module-level dtlpy API is logged in as
the service's bot; dtlpy's webhooks with a trigger call a hook server on 127.0.0.1."""
import time

import pytest

from dataloop_core.emulator import EmulatorServer
from faas_runner import HookServer
from test_dtlpy_compat import DTLPY_PYTHON, run_dtlpy

pytestmark = pytest.mark.dtlpy


@pytest.fixture
def sdk_emulator(tmp_path, monkeypatch):
    if not DTLPY_PYTHON.exists():
        pytest.fail(f"{DTLPY_PYTHON} is missing: run the tests with ./dev test, which creates it")
    monkeypatch.setenv("DATALOOP_EMULATOR_FAAS_PYTHON", str(DTLPY_PYTHON))
    server = EmulatorServer(str(tmp_path / "emulator")).start()
    yield server
    server.stop()


def test_function_uses_the_official_sdk_module_api_as_its_bot(sdk_emulator, tmp_path, monkeypatch):
    with HookServer() as hook:
        monkeypatch.setenv("HOOK_URL", hook.url)
        report = run_dtlpy("faas_sdk.py", sdk_emulator, tmp_path)
        deadline = time.monotonic() + 30
        while not hook.received and time.monotonic() < deadline:
            time.sleep(0.05)
    assert report["webhook_by_name"] and report["webhooks_listed"] and report["trigger_webhook"]
    assert [r["body"]["data"]["id"] for r in hook.received] == [report["hooked_item"]]
    assert report["status"] == "success", report["message"]
    output = report["output"]
    assert output["item"] == "cat.txt" and output["dataset"] == "source"
    assert output["item_module"] == "dtlpy.entities.item" and output["sdk"] == "1.126.5"
    assert output["secret"] == "from-the-secret"
    assert report["creator"] == "sdk-user@dataloop.local"
    assert report["bots"] == [report["bot"]] and report["created_creator"] == report["bot"]
