"""The emulator under 50 concurrent clients: every request answered, no connection reset (issue 10 point 6).
Throughput is measured by bench/bench_load.py, not asserted here."""
from __future__ import annotations

import socket
import threading

import requests

from dataloop_core.emulator.server import EmulatorServer

CLIENTS, REQUESTS = 50, 20


def test_server_is_sized_beyond_cheroot_defaults(emulator):
    server = emulator._server
    assert server.request_queue_size >= 4 * CLIENTS and server.keep_alive_conn_limit >= 4 * CLIENTS


def test_fifty_concurrent_clients_see_no_errors(emulator, client, dataset):
    token = emulator.token("tester@dataloop.local")
    barrier, lock, outcomes = threading.Barrier(CLIENTS), threading.Lock(), []
    query = {"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 10, "resource": "items"}

    def run(index):
        session = requests.Session()
        session.headers["authorization"] = f"Bearer {token}"
        api = emulator.url + "/api/v1"
        mine = []
        try:
            session.get(f"{api}/datasets/{dataset.id}", timeout=60)  # open the connection, then start together
            barrier.wait(timeout=60)
            for step in range(REQUESTS):
                try:
                    if step % 2:
                        response = session.post(f"{api}/datasets/{dataset.id}/query", json=query, timeout=60)
                    else:
                        response = session.post(f"{api}/datasets/{dataset.id}/items", timeout=60,
                                                files={"file": (f"c{index}-{step}.txt", b"x" * 100)})
                    mine.append(response.status_code)
                except requests.RequestException as exc:
                    mine.append(type(exc).__name__)
        finally:
            session.close()
            with lock:
                outcomes.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == CLIENTS * REQUESTS and set(outcomes) == {200}
    assert dataset.items.list().items_count == CLIENTS * REQUESTS // 2


def test_sizing_is_configurable(tmp_path):
    server = EmulatorServer(str(tmp_path), queue_size=5, keep_alive=10)
    try:
        assert (server._server.request_queue_size, server._server.keep_alive_conn_limit) == (5, 10)
    finally:
        server.stop()


def test_pipelined_requests_on_one_connection_are_all_answered(emulator, dataset):
    """Requests sent back to back before any answer: the server reads each from what it already received (its
    socket reader's ``has_data``) instead of waiting on the socket for bytes that never come."""
    token = emulator.token("tester@dataloop.local")
    host, port = emulator.url.split("//")[1].split(":")
    body = b'{"filter": {"$and": [{"type": "file"}]}, "page": 0, "pageSize": 10, "resource": "items"}'
    request = (f"POST /api/v1/datasets/{dataset.id}/query HTTP/1.1\r\nHost: {host}\r\n"
               f"authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request * 3)
        reader = sock.makefile("rb")
        for _ in range(3):
            status = reader.readline()
            headers = {}
            for line in iter(reader.readline, b"\r\n"):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            answer = reader.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200") and b'"totalItemsCount"' in answer
        sock.sendall(request)  # the connection is still open for a next request
        assert reader.readline().startswith(b"HTTP/1.1 200")
