"""Blocks: Prefect's standard suite over every block, save/load round trips that keep secrets hidden, the shared
client, pickling without secrets, and clear errors for bad credentials and unknown datasets."""
from __future__ import annotations

import logging
import pickle
from urllib.parse import urlsplit

import pytest

from eventually import eventually
from prefect import flow
from prefect.blocks.core import Block
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from prefect.utilities.dispatch import get_registry_for_type
from prefect.utilities.importtools import to_qualified_name
from pydantic import ValidationError

from dataloop_core.exceptions import NotFound, Unauthorized
from prefect_dataloop import DataloopCredentials, DataloopDataset, DataloopFunction, DataloopPipeline


def dataloop_blocks():
    registry = get_registry_for_type(Block) or {}
    found = [cls for cls in registry.values() if to_qualified_name(cls).startswith("prefect_dataloop.")]
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_block_is_registered():
    assert [cls.__name__ for cls in dataloop_blocks()] == [
        "DataloopCredentials", "DataloopDataset", "DataloopFunction", "DataloopPipeline"]


class TestDataloopBlocksFollowStandards(BlockStandardTestSuite):
    @pytest.fixture(params=dataloop_blocks(), ids=lambda cls: cls.__name__)
    def block(self, request):
        return request.param

    def test_has_a_valid_image(self, block):
        """The suite downloads the logo, which this offline machine cannot; checked instead: an https URL that is
        the same for every block (one logo, kept in one place)."""
        url = urlsplit(str(block._logo_url))
        assert (url.scheme, bool(url.netloc)) == ("https", True)
        assert block._logo_url == DataloopCredentials._logo_url


# -- credentials -------------------------------------------------------------------------------------
def test_save_load_round_trip_keeps_the_token_hidden(emulator, token, unique):
    name = unique("creds")
    DataloopCredentials(base_url=emulator.url, token=token).save(name, overwrite=True)
    loaded = DataloopCredentials.load(name)
    assert loaded.token.get_secret_value() == token
    for text in (repr(loaded), str(loaded), loaded.model_dump_json(), str(loaded.model_dump())):
        assert token not in text
    assert loaded.get_client().projects.list() is not None


def test_nested_block_round_trip(dataset_block, token, unique):
    name = unique("dataset")
    dataset_block.model_copy(deep=True).save(name, overwrite=True)
    loaded = DataloopDataset.load(name)
    assert loaded.credentials.token.get_secret_value() == token
    assert token not in repr(loaded)
    assert loaded.list_items() == []


def test_get_client_is_shared_per_identity(credentials, emulator):
    assert credentials.get_client() is credentials.get_client()
    copy = DataloopCredentials(base_url=emulator.url, token=credentials.token.get_secret_value())
    assert copy.get_client() is credentials.get_client()
    other = DataloopCredentials(base_url=emulator.url, token=emulator.token("someone-else@dataloop.local"))
    assert other.get_client() is not credentials.get_client()


def test_pickles_carry_no_secret(emulator, token, unique):
    credentials = DataloopCredentials(base_url=emulator.url, token=token)
    with pytest.raises(pickle.PicklingError, match="save it first"):
        pickle.dumps(credentials)
    name = unique("pickled")
    credentials.save(name, overwrite=True)
    saved = DataloopCredentials.load(name)
    data = pickle.dumps(saved)
    assert token.encode() not in data
    restored = pickle.loads(data)
    assert restored.token is None and restored.base_url == credentials.base_url
    assert restored.get_client().projects.list() is not None   # secret reloaded from the Prefect API by name


def test_environment_credentials_pickle_and_sign_in(emulator, token, monkeypatch):
    monkeypatch.setenv("DATALOOP_TOKEN", token)
    block = pickle.loads(pickle.dumps(DataloopCredentials(base_url=emulator.url)))
    assert block.get_client().projects.list() is not None


@pytest.mark.parametrize("fields, message", [
    ({"token": "t", "client_id": "c", "client_secret": "s"}, "either token or client_id/client_secret"),
    ({"client_id": "c"}, "client_id and client_secret go together"),
    ({"client_secret": "s"}, "client_id and client_secret go together"),
    ({"token": "t", "verify_ssl": False, "ca_bundle": "ca.pem"}, "ca_bundle is set but verify_ssl is False"),
])
def test_contradictory_fields_are_rejected(fields, message):
    with pytest.raises(ValidationError, match=message):
        DataloopCredentials(base_url="http://127.0.0.1:1", **fields)


def test_tls_options_reach_the_client(emulator, token, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked until a request is made over TLS")
    with_ca = DataloopCredentials(base_url=emulator.url, token=token, ca_bundle=str(bundle), request_timeout=7)
    assert with_ca.get_client().transport.options.verify == str(bundle)
    assert with_ca.get_client().transport.options.timeout == (10.0, 7)
    insecure = DataloopCredentials(base_url=emulator.url, token=token, verify_ssl=False)
    assert insecure.get_client().transport.options.verify is False
    assert insecure.get_client().projects.list() is not None


def test_missing_base_url_and_sign_in_are_named(monkeypatch):
    for name in ("DATALOOP_BASE_URL", "DATALOOP_TOKEN", "DATALOOP_CLIENT_ID", "DATALOOP_REFRESH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="base_url is empty and DATALOOP_BASE_URL is not set"):
        DataloopCredentials(token="t").get_client()
    with pytest.raises(ValueError, match="no token or client_id/client_secret, and DATALOOP_TOKEN"):
        DataloopCredentials(base_url="http://127.0.0.1:1").get_client()


def test_m2m_credentials_sign_in(emulator, unique):
    """The emulator's POST /token signs in any e-mail client id with its secret (m2m grant)."""
    block = DataloopCredentials(base_url=emulator.url, client_id=unique("svc") + "@dataloop.local",
                                client_secret="s3cret-value")
    client = block.get_client()
    assert client.projects.list() is not None
    assert "s3cret-value" not in repr(block) + repr(client)


def test_bad_token_fails_clearly_without_leaking_it(emulator, dataset, project, caplog):
    bad = "not-a-valid-token-" + "x" * 20
    block = DataloopDataset(credentials=DataloopCredentials(base_url=emulator.url, token=bad),
                            project_name=project.name, dataset_name=dataset.name)

    @flow
    def list_them():
        return block.list_items()

    with caplog.at_level(logging.DEBUG):
        state = list_them(return_state=True)
    with pytest.raises(Unauthorized) as raised:
        state.result()
    assert bad not in str(raised.value) and bad not in repr(raised.value)
    assert bad not in caplog.text and "Unauthorized" in caplog.text
    stored = stored_logs(state.state_details.flow_run_id, "Unauthorized")     # what the Prefect UI shows
    assert not any(bad in line for line in stored) and bad not in str(state.message)


def stored_logs(flow_run_id, expected: str) -> list:
    """The flow run's log lines stored by the Prefect API, once one mentions ``expected`` (logs ship in batches)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    with get_client(sync_client=True) as client:
        def lines():
            found = [log.message for log in client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(
                any_=[flow_run_id])))]
            return found if any(expected in line for line in found) else None
        return eventually(lines, f"a stored log line mentioning {expected!r}", limit=30, step=0.2)


def test_unknown_dataset_and_project_are_named(credentials, project, unique):
    missing = unique("no-such-dataset")
    with pytest.raises(NotFound, match=missing):
        DataloopDataset(credentials=credentials, project_name=project.name, dataset_name=missing).list_items()
    absent = unique("no-such-project")
    with pytest.raises(NotFound, match=absent):
        DataloopDataset(credentials=credentials, project_name=absent, dataset_name="x").list_items()


def test_job_blocks_validate_their_fields(credentials):
    with pytest.raises(ValidationError, match="service_name"):
        DataloopFunction(credentials=credentials, project_name="p")
    with pytest.raises(ValidationError, match="greater than 0"):
        DataloopPipeline(credentials=credentials, project_name="p", pipeline_name="x", timeout_seconds=0)
