"""DataloopHook: URI and JSON connections, m2m, TLS options, test_connection, async path; bad connections fail
fast and clearly, and no token shows in a message or a log line."""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from urllib.parse import quote

import pytest
from airflow.providers.common.compat.sdk import AirflowException

from dataloop_provider.hooks.dataloop import DataloopHook, gate_url


def test_json_connection_gives_the_shared_client_cached_per_hook(emulator, default_conn):
    hook = DataloopHook()
    client = hook.get_conn()
    assert client is hook.get_conn() and client.base_url == emulator.url
    assert isinstance(client.projects.list(), list)


def test_uri_connection(emulator, token, conn_env):
    host, port = emulator.url.split("://")[1].split(":")
    conn_env("dataloop_uri", f"dataloop://:{quote(token, safe='')}@{host}:{port}/?scheme=http&project_id=p1")
    hook = DataloopHook("dataloop_uri")
    assert hook.get_conn().base_url == emulator.url and hook.default_project_id == "p1"
    assert hook.test_connection()[0]


def test_m2m_connection_signs_in(emulator, conn_env):
    conn_env("dataloop_m2m", {"conn_type": "dataloop", "host": emulator.url,
                              "extra": {"client_id": "bot@dataloop.local", "client_secret": "m2m-secret-0123456789"}})
    ok, message = DataloopHook("dataloop_m2m").test_connection()
    assert ok, message


@pytest.mark.parametrize("host, port, extra, expected", [
    ("https://gate.dataloop.ai", None, {}, "https://gate.dataloop.ai"),
    ("gate.dataloop.ai", None, {}, "https://gate.dataloop.ai"),
    ("127.0.0.1", 4020, {"scheme": "http"}, "http://127.0.0.1:4020"),
    ("http://127.0.0.1:4020/", None, {}, "http://127.0.0.1:4020"),
])
def test_gate_url_forms(conn_env, host, port, extra, expected):
    conn_env("dataloop_url", {"conn_type": "dataloop", "host": host, "port": port, "password": "t", "extra": extra})
    assert gate_url(DataloopHook("dataloop_url").get_connection("dataloop_url")) == expected


@pytest.mark.parametrize("conn, message", [
    ({"host": "", "password": "t"}, "has no host"),
    ({"host": "ftp://x", "password": "t"}, "must be an http"),
    ({"host": "http://x"}, "has no credentials"),
    ({"host": "http://x", "extra": {"client_id": "a@b.c"}}, "client_secret is missing"),
    ({"host": "http://x", "password": "t", "extra": {"verify": "maybe"}}, "'verify' must be true or false"),
    ({"host": "http://x", "password": "t", "extra": {"timeout": "soon"}}, "'timeout' must be a number"),
])
def test_bad_connection_fields_are_named(conn_env, conn, message):
    conn_env("dataloop_bad", {"conn_type": "dataloop", **conn})
    with pytest.raises(AirflowException, match=message):
        DataloopHook("dataloop_bad").get_conn()


def test_tls_options_reach_the_client(conn_env, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    conn_env("dataloop_tls", {"conn_type": "dataloop", "host": "https://gate.example", "password": "t",
                              "extra": {"ca_bundle": str(bundle)}})
    assert DataloopHook("dataloop_tls").get_conn().transport.options.verify == str(bundle)
    conn_env("dataloop_tls", {"conn_type": "dataloop", "host": "https://gate.example", "password": "t",
                              "extra": {"verify": "false"}})
    assert DataloopHook("dataloop_tls").get_conn().transport.options.verify is False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["wrong token", "wrong URL", "server down"])
def test_bad_connections_fail_fast_and_clearly_without_the_token(emulator, token, conn_env, caplog, case):
    secret = token if case != "wrong token" else token[:-4] + "AAAA"
    host = {"wrong token": emulator.url, "wrong URL": emulator.url + "/not-the-gate",
            "server down": f"http://127.0.0.1:{free_port()}"}[case]
    conn_env("dataloop_broken", {"conn_type": "dataloop", "host": host, "password": secret})
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    ok, message = DataloopHook("dataloop_broken").test_connection()
    assert not ok and message and time.monotonic() - started < 10
    assert {"wrong token": "401", "wrong URL": "404", "server down": "connection"}[case] in message.lower() or \
        "unauthorized" in message.lower()
    assert secret not in message and secret not in caplog.text


def test_async_path_fetches_the_connection_without_blocking(emulator, default_conn):
    async def use():
        hook = DataloopHook()
        client = await hook.aget_conn()
        return client, await asyncio.to_thread(client.projects.list)
    client, projects = asyncio.run(use())
    assert client.base_url == emulator.url and isinstance(projects, list)


def test_an_operator_on_a_wrong_token_fails_at_once_without_it(emulator, token, conn_env, caplog, context):
    from dataloop_core.exceptions import Unauthorized
    from dataloop_provider.operators.executions import DataloopExecuteFunctionOperator
    wrong = token[:-4] + "AAAA"
    conn_env("dataloop_wrong", {"conn_type": "dataloop", "host": emulator.url, "password": wrong})
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with pytest.raises(Unauthorized) as caught:
        DataloopExecuteFunctionOperator(task_id="t", service_id="0" * 24, dataloop_conn_id="dataloop_wrong",
                                        ).execute(context)
    assert time.monotonic() - started < 5 and "401" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in caplog.text and wrong not in repr(caught.value)
