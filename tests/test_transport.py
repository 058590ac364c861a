"""The transport against the emulator's fault switch: retries, Retry-After, idempotency, auth, secrecy."""
from __future__ import annotations

import email.utils
import io
import logging
import time

import pytest
import requests
from tenacity import RetryCallState, Retrying

from dataloop_core import DataloopClient
from dataloop_core._transport import Transport, TransportOptions, _RetryableResponse, _resendable, \
    backoff_delay, parse_retry_after
from dataloop_core.emulator import EmulatorServer
from dataloop_core.emulator.auth import Auth
from dataloop_core.exceptions import (APIConnectionError, APITimeoutError, NotFound, ServiceUnavailable,
                                      TokenExpired, Unauthorized, UnknownException)

PROJECTS = "/api/v1/projects"


@pytest.fixture
def fast(client):
    """The session client with tiny backoff delays and short timeouts (a hung request fails fast)."""
    return client.with_options(backoff_base=0.01, backoff_cap=0.02, timeout=(5.0, 5.0))


@pytest.fixture
def retries(caplog):
    """The retry log lines of the transport."""
    caplog.set_level(logging.INFO, logger="dataloop_core.transport")
    return lambda: [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]


def test_429_with_retry_after_is_retried(fast, faults, retries):
    faults({"path": PROJECTS, "method": "GET", "status": 429, "retry_after": 0.2, "times": 2})
    assert isinstance(fast.projects.list(), list)
    assert [line.split(" after ")[1] for line in retries()] == ["status 429 (attempt 1)", "status 429 (attempt 2)"]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_of_a_get_are_retried(fast, faults, retries, status):
    faults({"path": PROJECTS, "method": "GET", "status": status, "times": 2})
    assert isinstance(fast.projects.list(), list)
    assert len(retries()) == 2


@pytest.fixture
def isolated(tmp_path):
    """A private emulator for connection resets, so a server-side failure cannot affect the session's one."""
    server = EmulatorServer(str(tmp_path), enable_faults=True).start()
    with DataloopClient(base_url=server.url, token=server.token(), timeout=(5.0, 5.0)) as c:
        fast = c.with_options(backoff_base=0.01, backoff_cap=0.02)
        yield fast, lambda *rules: c.transport.request("POST", "/_emulator/faults", gate=True,
                                                       json={"rules": list(rules)})
    server.stop()


def test_connection_reset_of_a_get_is_retried(isolated, retries):
    fast, faults = isolated
    faults({"path": PROJECTS, "method": "GET", "action": "reset", "times": 2})
    assert isinstance(fast.projects.list(), list)
    assert all("APIConnectionError" in line for line in retries()) and len(retries()) == 2


def test_connection_reset_of_a_post_is_not_retried(isolated, retries):
    fast, faults = isolated
    faults({"path": PROJECTS, "method": "POST", "action": "reset", "times": 1})
    with pytest.raises(APIConnectionError, match="connection failed") as err:
        fast.projects.create("reset")
    assert (err.value.method, err.value.path) == ("POST", "/projects")
    assert retries() == []
    assert fast.projects.list() == []


def test_502_of_a_post_is_not_retried(fast, faults, retries, unique):
    name = unique("p502")
    faults({"path": PROJECTS, "method": "POST", "status": 502, "times": 1})
    with pytest.raises(UnknownException) as err:
        fast.projects.create(name)
    assert err.value.status_code == "502" and err.value.status == 502
    assert retries() == []
    assert fast.projects.create(name).name == name  # the fault was consumed, nothing was created before


def test_503_of_a_post_is_retried(fast, faults, retries, unique):
    faults({"path": PROJECTS, "method": "POST", "status": 503, "times": 1})
    assert fast.projects.create(unique("p503")).id
    assert len(retries()) == 1


def test_retries_are_bounded(fast, faults, retries):
    faults({"path": PROJECTS, "method": "GET", "status": 503, "times": -1})
    with pytest.raises(ServiceUnavailable, match="fault injected"):
        fast.with_options(max_retries=2).projects.list()
    assert len(retries()) == 2


def test_read_timeout_raises_api_timeout_error(client, faults):
    faults({"path": PROJECTS, "method": "GET", "action": "delay", "delay": 0.5, "times": 1})
    with pytest.raises(APITimeoutError) as err:
        client.with_options(timeout=(5, 0.1), max_retries=0).projects.list()
    assert err.value.status_code == "408"


# -- backoff (unit level) -------------------------------------------------------------------------
def _wait_after(response_headers: dict, options: TransportOptions, attempt: int = 1) -> float:
    transport = Transport("http://127.0.0.1:9", "t", options)
    response = requests.Response()
    response.status_code = 429
    response.headers.update(response_headers)
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = attempt
    try:
        raise _RetryableResponse(response)
    except _RetryableResponse as exc:
        state.set_exception((type(exc), exc, exc.__traceback__))
    return transport._wait(state)


def test_retry_after_is_honoured_and_capped():
    assert _wait_after({"Retry-After": "0.2"}, TransportOptions()) == 0.2
    assert _wait_after({"Retry-After": "1000"}, TransportOptions(max_retry_after=60.0)) == 60.0
    assert 0 <= _wait_after({}, TransportOptions(backoff_base=0.5, backoff_cap=8), attempt=3) <= 2.0


def test_backoff_delay_is_capped_full_jitter():
    for attempt in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        samples = [backoff_delay(attempt, 0.5, 8.0) for _ in range(50)]
        assert all(0 <= s <= ceiling for s in samples)
    assert len({round(backoff_delay(5, 0.5, 8.0), 6) for _ in range(20)}) > 1  # jittered, not fixed
    assert max(backoff_delay(30, 0.5, 8.0) for _ in range(200)) <= 8.0


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after(future) <= 31
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert parse_retry_after(past) == 0.0


# -- errors --------------------------------------------------------------------------------------------
def test_error_carries_status_message_method_and_path(client):
    with pytest.raises(NotFound) as err:
        client.transport.json("GET", "/projects/" + "0" * 24, params={"x": "1"})
    exc = err.value
    assert (exc.status_code, exc.status, exc.method, exc.path) == ("404", 404, "GET", "/projects/" + "0" * 24)
    assert exc.message == "Project not found: " + "0" * 24
    assert str(exc) == f"404: {exc.message} (GET {exc.path})"


# -- auth and secrecy -------------------------------------------------------------------------------
def test_token_never_appears_in_errors_reprs_or_logs(emulator, faults, caplog):
    caplog.set_level(logging.DEBUG)
    token = emulator.token("secret-keeper@dataloop.local")
    with DataloopClient(base_url=emulator.url, token=token) as c:
        fast = c.with_options(backoff_base=0.01, backoff_cap=0.02)
        faults({"path": PROJECTS, "method": "GET", "status": 503, "times": 1})
        fast.projects.list()
        errors = []
        for call in (lambda: c.projects.get(project_id="0" * 24), lambda: c.projects.get(project_id="bad")):
            with pytest.raises(Exception) as err:
                call()
            errors.append(err.value)
        texts = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(c), repr(c.transport), repr(c.projects)]
    texts += [r.getMessage() for r in caplog.records]
    assert len(caplog.records) > 0
    assert not [t for t in texts if token in t or token.split(".")[2] in t]


def test_expired_token_raises_before_any_request(emulator):
    expired = emulator.emulator.auth.issue("tester@dataloop.local", ttl=-5)
    unreachable = DataloopClient(base_url="http://127.0.0.1:9", token=expired, max_retries=0)
    with pytest.raises(TokenExpired, match="token expired at") as err:
        unreachable.projects.list()
    assert err.value.status_code == "600" and expired not in str(err.value)


def test_missing_token_is_unauthorized_locally(emulator, monkeypatch):
    monkeypatch.delenv("DATALOOP_TOKEN", raising=False)
    with pytest.raises(Unauthorized, match="no token"):
        DataloopClient(base_url=emulator.url).projects.list()


def test_bad_tokens_are_unauthorized_by_the_server(emulator, tmp_path):
    foreign = Auth(str(tmp_path)).issue("tester@dataloop.local")
    for token, reason in (("a.b.c", "malformed token"), (foreign, "invalid token signature")):
        with pytest.raises(Unauthorized, match=reason) as err:
            DataloopClient(base_url=emulator.url, token=token).projects.list()
        assert err.value.status_code == "401" and token not in str(err.value)


def test_base_url_is_required_and_api_prefix_is_optional(emulator, monkeypatch):
    monkeypatch.delenv("DATALOOP_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="base_url"):
        DataloopClient(token="t")
    with DataloopClient(base_url=emulator.url + "/api/v1/", token=emulator.token()) as c:
        assert c.base_url == emulator.url and isinstance(c.projects.list(), list)


def test_a_401_with_a_static_token_is_raised_without_renewal(client, faults):
    faults({"path": PROJECTS, "method": "GET", "status": 401, "times": 1})
    with pytest.raises(Unauthorized, match="fault injected: status 401"):
        client.projects.list()
    assert isinstance(client.projects.list(), list)


def test_only_bodies_that_can_be_sent_again_are_resent_after_a_401():
    assert _resendable(None, None) and _resendable(b"x", None) and _resendable({"a": 1}, None)
    assert _resendable(lambda: iter([b"x"]), lambda: {"f": b"x"})
    assert not _resendable(iter([b"x"]), None) and not _resendable(None, {"file": io.BytesIO(b"x")})
