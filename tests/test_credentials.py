"""Sign-in over HTTP: static token, m2m, refresh token, from the environment; renewal before expiry and after a
401, one renewal for many threads; refusals named as sign-in failures; no secret in reprs, logs or pickles."""
from __future__ import annotations

import copy
import logging
import pickle
import threading
import time
import uuid

import pytest

from dataloop_core import DataloopClient
from dataloop_core._jwt import claims
from dataloop_core.credentials import Credentials, SignInFailed
from dataloop_core.emulator import EmulatorServer
from dataloop_core.emulator.auth import Auth
from dataloop_core.emulator.resources import users
from dataloop_core.exceptions import ServiceUnavailable, TokenExpired, Unauthorized
from dataloop_core.sync import push

BOT, SECRET = "bot@dataloop.local", "m2m-secret-value-0123456789"
ENV = ("DATALOOP_TOKEN", "DATALOOP_CLIENT_ID", "DATALOOP_CLIENT_SECRET", "DATALOOP_REFRESH_TOKEN")


@pytest.fixture
def no_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def server(tmp_path):
    """A private emulator (faults on), so short token lifetimes and sign-in faults touch no other test."""
    server = EmulatorServer(str(tmp_path / "emulator"), enable_faults=True).start()
    yield server
    server.stop()


@pytest.fixture
def token_ttl(monkeypatch):
    """Make the emulator's ``POST /token`` issue tokens valid for the given number of seconds."""
    return lambda seconds: monkeypatch.setattr(users, "USER_TTL", seconds)


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def sign_ins(caplog) -> int:
    """Successful ``POST /token`` calls the emulator answered."""
    return sum(1 for r in caplog.records if r.getMessage().startswith("POST /token -> 200"))


def refresh_token(server, email="refresher@dataloop.local", ttl=3600) -> str:
    return server.emulator.auth.issue(email, ttl, kind="refresh")


# -- construction and bad inputs -----------------------------------------------------------------------
def test_factories_reject_missing_or_empty_values():
    for call, name in ((lambda: Credentials.from_token(""), "token"),
                       (lambda: Credentials.from_m2m(None, SECRET), "client_id"),
                       (lambda: Credentials.from_m2m(BOT, "  "), "client_secret"),
                       (lambda: Credentials.from_refresh_token(42), "refresh_token")):
        with pytest.raises(ValueError, match=f"^{name} must be a non-empty string"):
            call()


def test_from_env_reads_the_documented_variables_in_order():
    assert Credentials.from_env({"DATALOOP_TOKEN": "t", "DATALOOP_CLIENT_ID": BOT,
                                 "DATALOOP_CLIENT_SECRET": SECRET}) == Credentials.from_token("t")
    assert Credentials.from_env({"DATALOOP_CLIENT_ID": BOT, "DATALOOP_CLIENT_SECRET": SECRET,
                                 "DATALOOP_REFRESH_TOKEN": "r"}) == Credentials.from_m2m(BOT, SECRET)
    assert Credentials.from_env({"DATALOOP_REFRESH_TOKEN": "r"}) == Credentials.from_refresh_token("r")
    with pytest.raises(ValueError, match="DATALOOP_CLIENT_ID is set but DATALOOP_CLIENT_SECRET is not"):
        Credentials.from_env({"DATALOOP_CLIENT_ID": BOT})
    with pytest.raises(ValueError, match="DATALOOP_CLIENT_SECRET is set but DATALOOP_CLIENT_ID is not"):
        Credentials.from_env({"DATALOOP_CLIENT_SECRET": SECRET, "DATALOOP_TOKEN": "t"})
    with pytest.raises(ValueError, match="no credentials in the environment: set DATALOOP_TOKEN"):
        Credentials.from_env({})


def test_reprs_never_show_a_secret():
    texts = []
    for credentials in (Credentials.from_token(SECRET), Credentials.from_m2m(BOT, SECRET),
                        Credentials.from_refresh_token(SECRET)):
        texts += [repr(credentials), str(credentials), credentials.describe()]
    assert not [t for t in texts if SECRET in t]
    assert repr(Credentials.from_m2m(BOT, SECRET)) == f"Credentials(kind='m2m', client_id='{BOT}')"


def test_token_and_credentials_together_are_rejected(emulator):
    with pytest.raises(ValueError, match="pass token= or credentials=, not both"):
        DataloopClient(base_url=emulator.url, token="t", credentials=Credentials.from_m2m(BOT, SECRET))
    with pytest.raises(TypeError, match="credentials must be a Credentials .* got dict"):
        DataloopClient(base_url=emulator.url, credentials={"client_id": BOT})


# -- sign-in over HTTP ------------------------------------------------------------------------------------
def test_m2m_sign_in(emulator, logs):
    with DataloopClient(base_url=emulator.url, credentials=Credentials.from_m2m(BOT, SECRET)) as client:
        assert client.user_email == BOT
        assert isinstance(client.projects.list(), list)
        assert client.with_options(timeout=30).projects.list() is not None  # copies share the sign-in
    assert sign_ins(logs) == 1


def test_refresh_token_sign_in(server, logs):
    with DataloopClient(base_url=server.url, credentials=Credentials.from_refresh_token(refresh_token(server))) as c:
        assert c.user_email == "refresher@dataloop.local" and c.projects.list() == []
    assert sign_ins(logs) == 1


def test_client_reads_credentials_from_the_environment(emulator, no_env):
    no_env.setenv("DATALOOP_BASE_URL", emulator.url)
    no_env.setenv("DATALOOP_CLIENT_ID", BOT)
    no_env.setenv("DATALOOP_CLIENT_SECRET", SECRET)
    with DataloopClient() as client:
        assert client.user_email == BOT
    no_env.delenv("DATALOOP_CLIENT_SECRET")
    with pytest.raises(ValueError, match="DATALOOP_CLIENT_ID is set but DATALOOP_CLIENT_SECRET is not"):
        DataloopClient()


def test_refused_sign_in_names_the_sign_in_and_never_the_secret(server, logs, tmp_path):
    """A revoked refresh token (signed by another server), an id token used as a refresh token, a malformed
    client id, a refused m2m secret."""
    revoked = Auth(str(tmp_path)).issue("x@dataloop.local", 60, kind="refresh")
    cases = [(Credentials.from_refresh_token(revoked), "sign-in failed (refresh token): invalid token signature",
              revoked),
             (Credentials.from_refresh_token(server.token()), "sign-in failed (refresh token): wrong token type",
              server.token()),
             (Credentials.from_m2m("not-an-email", SECRET),
              "sign-in failed (m2m client 'not-an-email'): username must be an email address", SECRET)]
    texts = []
    for credentials, message, secret in cases:
        with pytest.raises(SignInFailed) as err:
            DataloopClient(base_url=server.url, credentials=credentials).projects.list()
        assert isinstance(err.value, Unauthorized) and message in str(err.value)
        texts += [(secret, str(err.value)), (secret, repr(err.value))]
    server.emulator.faults.set([{"path": "/token", "method": "POST", "status": 401, "times": 1}])
    with pytest.raises(SignInFailed, match=r"^401: sign-in failed \(m2m client 'bot@dataloop.local'\): fault inj"):
        DataloopClient(base_url=server.url, credentials=Credentials.from_m2m(BOT, SECRET)).projects.list()
    texts += [(secret, r.getMessage()) for _, _, secret in cases for r in logs.records]
    texts += [(SECRET, r.getMessage()) for r in logs.records]
    assert len(logs.records) > 3
    assert not [text for secret, text in texts if secret in text or secret.split(".")[-1] in text]


def test_sign_in_server_trouble_is_retried_not_reported_as_a_refusal(server, logs):
    """A 503 from POST /token is retried by the sign-in's own retries (not again by the request's)."""
    server.emulator.faults.set([{"path": "/token", "method": "POST", "status": 503, "times": 1}])
    credentials = Credentials.from_m2m(BOT, SECRET)
    with DataloopClient(base_url=server.url, credentials=credentials).with_options(backoff_base=0.01) as client:
        assert client.projects.list() == []
    server.emulator.faults.set([{"path": "/token", "method": "POST", "status": 503, "times": -1}])
    logs.clear()
    client = DataloopClient(base_url=server.url, credentials=credentials, max_retries=1)
    with pytest.raises(ServiceUnavailable) as err:
        client.with_options(backoff_base=0.01).projects.list()
    assert not isinstance(err.value, SignInFailed)
    assert sum(1 for r in logs.records if r.getMessage().startswith("POST /token?default -> 503")) == 2


# -- renewal -------------------------------------------------------------------------------------------
def test_renews_shortly_before_expiry(server, token_ttl, logs):
    token_ttl(3)
    with DataloopClient(base_url=server.url, credentials=Credentials.from_m2m(BOT, SECRET)) as client:
        first_exp = client.transport.token_claims["exp"]
        while time.time() < first_exp + 1:
            assert client.projects.list() == []
            time.sleep(0.1)
        assert client.transport.token_claims["exp"] > first_exp
    assert sign_ins(logs) >= 2
    assert not [r for r in logs.records if r.getMessage().startswith("GET /api/v1/projects -> 401")]


def test_one_renewal_when_16_threads_hit_expiry_together(server, token_ttl, logs):
    token_ttl(2)
    with DataloopClient(base_url=server.url, credentials=Credentials.from_refresh_token(refresh_token(server))) as c:
        exp = c.transport.token_claims["exp"]
        time.sleep(max(0.0, exp - time.time()))  # the token is now due (even expired)
        barrier, errors = threading.Barrier(16), []

        def call():
            barrier.wait()
            try:
                c.projects.list()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and sign_ins(logs) == 2  # the first sign-in and one renewal


def test_a_401_renews_once_and_resends(server, logs):
    with DataloopClient(base_url=server.url, credentials=Credentials.from_m2m(BOT, SECRET)) as client:
        client.projects.list()
        server.emulator.faults.set([{"path": "/api/v1/projects", "method": "GET", "status": 401, "times": 1}])
        assert client.projects.list() == []
        assert sign_ins(logs) == 2
        server.emulator.faults.set([{"path": "/api/v1/projects", "method": "GET", "status": 401, "times": 2}])
        with pytest.raises(Unauthorized, match="fault injected: status 401"):
            client.projects.list()
        assert sign_ins(logs) == 3  # once per request, never a loop


def test_an_expired_static_token_still_fails_clearly(server):
    token = server.token(ttl=4)  # long enough to be used once on a loaded machine
    with DataloopClient(base_url=server.url, token=token) as client:
        client.projects.list()
        time.sleep(max(0.0, claims(token)["exp"] - time.time()) + 0.1)
        with pytest.raises(TokenExpired, match="token expired at .*Credentials.from_m2m"):
            client.projects.list()


# -- pickling --------------------------------------------------------------------------------------------
def test_a_pickled_client_carries_no_secret(server, no_env):
    refresh = refresh_token(server)
    static = server.token()
    for credentials, secrets in ((Credentials.from_m2m(BOT, SECRET), [SECRET]),
                                 (Credentials.from_refresh_token(refresh), [refresh]),
                                 (Credentials.from_token(static), [static])):
        client = DataloopClient(base_url=server.url, credentials=credentials)
        client.projects.list()
        secrets.append(client.transport.token)  # the token it signed in with
        data = pickle.dumps(client) + pickle.dumps(client.transport) + pickle.dumps(credentials)
        assert not [s for s in secrets if s.encode() in data or s.split(".")[-1].encode() in data]
        client.close()


def test_a_copied_client_keeps_its_sign_in(server, no_env):
    client = DataloopClient(base_url=server.url, credentials=Credentials.from_m2m(BOT, SECRET))
    copied = copy.deepcopy(client)
    assert copied.transport is client.transport and copied.projects.list() == []


def test_an_unpickled_client_signs_in_from_its_environment(server, no_env):
    client = DataloopClient(base_url=server.url, credentials=Credentials.from_m2m(BOT, SECRET))
    copy = pickle.loads(pickle.dumps(client))
    assert copy.base_url == server.url and repr(copy) == repr(client)
    with pytest.raises(Unauthorized, match="client was unpickled without credentials .* DATALOOP_CLIENT_ID"):
        copy.projects.list()
    no_env.setenv("DATALOOP_CLIENT_ID", "worker@dataloop.local")
    no_env.setenv("DATALOOP_CLIENT_SECRET", SECRET)
    copy = pickle.loads(pickle.dumps(client))
    assert copy.projects.list() == [] and copy.user_email == "worker@dataloop.local"


# -- long syncs ------------------------------------------------------------------------------------------
def _files(folder, count):
    folder.mkdir()
    for index in range(count):
        (folder / f"f{index:03d}.txt").write_text(f"file {index}\n")
    return str(folder)


@pytest.mark.slow
def test_a_20s_sync_outlives_its_5s_token(server, token_ttl, tmp_path, logs):
    token_ttl(5)
    server.emulator.faults.set([{"path": "/api/v1/datasets/*/items", "method": "POST", "action": "delay",
                                 "delay": 0.5, "times": -1}])
    with DataloopClient(base_url=server.url, credentials=Credentials.from_m2m(BOT, SECRET)) as client:
        dataset = client.projects.create("long").datasets.create("long")
        summary = push(client, dataset.id, _files(tmp_path / "src", 40), workers=1,
                       journal_dir=str(tmp_path / "journal"))
        assert summary.ok and summary.transferred == 40, summary.to_dict()
    assert sign_ins(logs) >= 4  # 40 uploads of 0.5 s each outlived several 5 s tokens
    assert not [r for r in logs.records if "-> 401" in r.getMessage()]  # renewed before expiry, never refused


def test_a_wait_outlives_its_token(emulator, package, token_ttl, tmp_path, logs):
    token_ttl(3)
    service = package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")
    flag = tmp_path / "flag"
    execution = service.executions.create(function_name="block", execution_input={"flag": str(flag)})
    credentials = Credentials.from_m2m("tester@dataloop.local", SECRET)
    with DataloopClient(base_url=emulator.url, credentials=credentials) as client:
        first_exp = client.transport.token_claims["exp"]

        def release_once_the_first_token_expired(status):
            if time.time() > first_exp + 0.5:
                flag.touch()
        status = client.runs.wait("execution", execution.id, timeout=60, poll_interval=0.2,
                                  on_progress=release_once_the_first_token_expired)
    assert status.succeeded and sign_ins(logs) >= 2


def test_a_sign_in_failure_stops_the_sync_once_with_its_journal_committed(server, tmp_path):
    src = _files(tmp_path / "src", 30)
    journal_dir = str(tmp_path / "journal")
    with DataloopClient(base_url=server.url, credentials=Credentials.from_m2m(BOT, SECRET)) as client:
        dataset = client.projects.create("revoked").datasets.create("revoked")

        def revoke_after_five(snapshot):  # the platform revokes the bot: its token and its secret stop working
            if snapshot.files_done >= 5:
                server.emulator.faults.set([
                    {"path": "/token", "method": "POST", "status": 401, "times": -1},
                    {"path": "/api/v1/datasets/*/items", "method": "POST", "status": 401, "times": -1}])
        with pytest.raises(SignInFailed, match="sign-in failed .m2m client 'bot@dataloop.local'.") as err:
            push(client, dataset.id, src, workers=2, journal_dir=journal_dir, progress=revoke_after_five,
                 progress_interval=0)
        assert SECRET not in str(err.value)
        server.emulator.faults.clear()
        again = push(client, dataset.id, src, workers=2, journal_dir=journal_dir)
    assert again.ok and again.failed == [] and again.transferred + again.skipped == 30
    assert again.skipped >= 5 and again.transferred < 30  # what was done before the failure stayed committed


def test_a_revoked_static_token_stops_the_sync_with_one_error(server, tmp_path):
    with DataloopClient(base_url=server.url, token=server.token()) as client:
        dataset = client.projects.create("static").datasets.create("static")
        server.emulator.faults.set([{"path": "/api/v1/datasets/*/items", "method": "POST", "status": 401,
                                     "times": -1}])
        with pytest.raises(Unauthorized, match="fault injected: status 401"):
            push(client, dataset.id, _files(tmp_path / "src", 20), workers=4, journal_dir=str(tmp_path / "j"))
