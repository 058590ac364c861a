"""Emulator input validation (issue 10, points 7 and 8), over raw HTTP: every update body's shape is checked (a
400 naming the field, the entity left intact), and extreme inputs are a clear 4xx naming what was wrong, or work."""
from __future__ import annotations

import errno
import json
import socket
import sqlite3
from urllib.parse import urlsplit

import pytest

from test_fidelity import Api, create_task, upload

ANNA = "anna@labelers.io"


@pytest.fixture(scope="module")
def api(emulator):
    return Api(emulator, "validation@dataloop.local")


@pytest.fixture(scope="module")
def world(api):
    """One of each entity, shared by the module (tests only send requests that must be refused, or read)."""
    project = api.ok("post", "/projects", data={"name": "validation-world"})
    dataset = api.ok("post", "/datasets", json={"name": "world", "projects": [project["id"]]})
    item = upload(api, dataset, "/a/one.txt", b"one")
    [annotation] = api.ok("post", f"/items/{item['id']}/annotations", json=[{"type": "class", "label": "cat"}])
    task = create_task(api, dataset, "world-task", workload=[{"assigneeId": ANNA, "load": 100}])
    pipeline = api.ok("post", "/pipelines", json={"name": "world-pipe", "projectId": project["id"], "nodes": [],
                                                  "connections": [], "startNodes": []})
    return {"project": project, "dataset": dataset, "item": item, "annotation": annotation, "task": task,
            "assignment": task["assignmentIds"][0], "pipeline": pipeline,
            "recipe": dataset["metadata"]["system"]["recipes"][0]}


# -- point 7: update bodies ------------------------------------------------------------------------
UPDATES = [
    ("patch", "/items/{item[id]}", {"metadata": 5}, "metadata"),
    ("patch", "/items/{item[id]}", {"metadata": None}, "metadata"),
    ("patch", "/items/{item[id]}?system=true", {"metadata": {"system": 5}}, "metadata.system"),
    ("patch", "/items/{item[id]}", {"metadata": {"user": [1]}}, "metadata.user"),
    ("patch", "/items/{item[id]}", {"name": 7}, "name"),
    ("patch", "/items/{item[id]}", {"description": {"text": "x"}}, "description"),
    ("patch", "/items/{item[id]}", {"hidden": "yes"}, "hidden"),
    ("put", "/annotations/{annotation[id]}", {"metadata": 5}, "metadata"),
    ("put", "/annotations/{annotation[id]}", {"label": 3}, "label"),
    ("patch", "/datasets/{dataset[id]}", {"metadata": 5}, "metadata"),
    ("patch", "/datasets/{dataset[id]}", {"name": ["x"]}, "name"),
    ("patch", "/projects/{project[id]}", {"metadata": 5}, "metadata"),
    ("patch", "/projects/{project[id]}", {"archived": "no"}, "archived"),
    ("patch", "/recipes/{recipe}", {"ontologyIds": "abc"}, "ontologyIds"),
    ("patch", "/recipes/{recipe}", {"metadata": []}, "metadata"),
    ("patch", "/annotationtasks/{task[id]}", {"dueDate": "tomorrow"}, "dueDate"),
    ("patch", "/annotationtasks/{task[id]}", {"metadata": {"user": 5}}, "metadata.user"),
    ("patch", "/assignments/{assignment}", {"metadata": 5}, "metadata"),
    ("patch", "/pipelines/{pipeline[id]}", {"nodes": 5}, "nodes"),
]


@pytest.mark.parametrize("method, path, body, field", UPDATES, ids=[f"{u[1].split('/')[1]}-{u[3]}-{i}"
                                                                    for i, u in enumerate(UPDATES)])
def test_7_update_body_of_the_wrong_shape_is_a_400_naming_the_field(api, world, method, path, body, field):
    url = path.format(**world)
    before = api.ok("get", url.split("?")[0])
    response = getattr(api, method)(url, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(f"{field} must be ")
    assert api.ok("get", url.split("?")[0]) == before


def test_7_ontology_put_of_the_wrong_shape(api, world):
    recipe = api.ok("get", f"/recipes/{world['recipe']}")
    ontology = api.ok("get", f"/ontologies/{recipe['ontologyIds'][0]}")
    response = api.put(f"/ontologies/{ontology['id']}", json={**ontology, "roots": 5})
    assert response.status_code == 400 and response.json()["message"].startswith("roots must be a list")


def test_7_item_stays_downloadable_after_a_refused_update(api, world):
    item = world["item"]
    assert api.patch(f"/items/{item['id']}", json={"metadata": 5}).status_code == 400
    assert api.get(f"/items/{item['id']}/stream").content == b"one"


def test_7_bulk_update_of_the_wrong_shape(api, world):
    response = api.post(f"/datasets/{world['dataset']['id']}/query",
                        json={"filter": {}, "update": {"metadata": 5}})
    assert response.status_code == 400 and response.json()["message"] == "update.metadata must be an object, got int 5"
    assert api.get(f"/items/{world['item']['id']}/stream").content == b"one"


def test_7_item_update_still_merges_valid_bodies(api, world):
    item = world["item"]
    updated = api.ok("patch", f"/items/{item['id']}", json={"metadata": {"user": {"k": 1}}})
    assert updated["metadata"]["user"] == {"k": 1} and updated["metadata"]["system"]["size"] == 3


# -- point 8: extreme inputs -----------------------------------------------------------------------
def query(api, world, body):
    return api.post(f"/datasets/{world['dataset']['id']}/query", json=body)


def test_8_or_of_a_thousand_clauses_works(api, world):
    clauses = [{"filename": f"/nothing/{i}.txt"} for i in range(999)] + [{"filename": "/a/one.txt"}]
    response = query(api, world, {"filter": {"$or": clauses}})
    assert response.status_code == 200 and [i["name"] for i in response.json()["items"]] == ["one.txt"]


def nested(operator: str, depth: int, leaf: dict) -> dict:
    clause = leaf
    for _ in range(depth):
        clause = {operator: [clause]}
    return clause


@pytest.mark.parametrize("operator", ["$and", "$or"])
def test_8_same_operator_nested_35_deep_works(api, world, operator):
    response = query(api, world, {"filter": nested(operator, 35, {"filename": "/a/one.txt"})})
    assert response.status_code == 200 and response.json()["totalItemsCount"] == 1


def test_8_and_with_siblings_nested_35_deep_works(api, world):
    clause = {"filename": "/a/one.txt"}
    for i in range(35):
        clause = {"$and": [{"hidden": False}, clause]}
    assert query(api, world, {"filter": clause}).json()["totalItemsCount"] == 1


def test_8_alternating_and_or_nested_too_deep_is_a_clear_400(api, world):
    clause = {"filename": "/a/one.txt"}
    for i in range(40):
        clause = {("$and", "$or")[i % 2]: [clause, {"hidden": True}]}
    response = query(api, world, {"filter": clause})
    assert response.status_code == 400 and "nested" in response.json()["message"]


def test_8_very_deep_json_body_is_a_400(api, world):
    body = '{"filter": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    response = api.post(f"/datasets/{world['dataset']['id']}/query", data=body,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "nested deeper than" in response.json()["message"]
    response = api.patch(f"/items/{world['item']['id']}", data='{"metadata": {"user": ' + "[" * 3000 + "]" * 3000
                         + "}}", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("page", [10 ** 20, 1e20, 2 ** 63])
def test_8_huge_page_numbers_are_an_empty_page(api, world, page):
    response = query(api, world, {"filter": {}, "page": page, "pageSize": 10})
    assert response.status_code == 200 and response.json()["items"] == [] and response.json()["totalItemsCount"] >= 1


@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "NaN"])
def test_8_infinity_and_nan_are_not_json(api, world, raw):
    response = api.post(f"/datasets/{world['dataset']['id']}/query", data='{"filter": {}, "page": ' + raw + "}",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and f"{raw} is not a JSON value" in response.json()["message"]


@pytest.mark.parametrize("page", ["Infinity", "two", [1], {"n": 1}, 1.5])
def test_8_page_that_is_not_an_integer_is_a_400(api, world, page):
    response = query(api, world, {"filter": {}, "page": page})
    assert response.status_code == 400 and "page" in response.json()["message"]


@pytest.mark.parametrize("value", [10 ** 30, -(10 ** 30), 10 ** 400])
def test_8_huge_integers_in_filters_work(api, world, value):
    for body in ({"filter": {"metadata.user.k": {"$gt": value}}}, {"filter": {"metadata.user.k": value}},
                 {"filter": {"metadata.user.k": {"$in": [value, 1]}}}):
        assert query(api, world, body).status_code == 200


def test_8_huge_integer_in_metadata_is_stored_and_queried(api, world, unique):
    item = upload(api, world["dataset"], f"/big/{unique('n')}.txt")
    api.ok("patch", f"/items/{item['id']}", json={"metadata": {"user": {"big": 10 ** 30}}})
    found = query(api, world, {"filter": {"metadata.user.big": {"$gt": 10 ** 29}}}).json()["items"]
    assert [i["id"] for i in found] == [item["id"]]


def test_8_lone_surrogate_in_a_filter_value_is_a_400(api, world):
    body = '{"filter": {"filename": "/a/\\ud800.txt"}}'
    response = api.post(f"/datasets/{world['dataset']['id']}/query", data=body,
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "lone surrogate" in response.json()["message"]
    assert "filter.filename" in response.json()["message"]


@pytest.mark.parametrize("join", ["annotations", 5, ["x"]])
def test_8_join_that_is_not_an_object_is_a_400(api, world, join):
    response = query(api, world, {"filter": {}, "join": join})
    assert response.status_code == 400 and response.json()["message"].startswith("join must be an object")


def raw_request(emulator, payload: bytes) -> bytes:
    """Send raw bytes on a fresh connection; the server's whole answer."""
    url = urlsplit(emulator.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_8_malformed_chunked_body_is_a_400(emulator, world):
    token = emulator.token("validation@dataloop.local")
    head = (f"POST /api/v1/datasets/{world['dataset']['id']}/query HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    answer = raw_request(emulator, head + b"zz\r\n{}\r\n0\r\n\r\n")
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 400 " in status_line, answer[:300]
    assert b"malformed request body" in rest


def test_8_newline_in_an_item_name_downloads_with_a_safe_header(api, world, unique):
    item = upload(api, world["dataset"], f"/odd/{unique('n')}.txt", b"odd")
    renamed = api.ok("patch", f"/items/{item['id']}", json={"name": 'bad\r\nX-Evil: 1 "q".txt'})
    response = api.get(f"/items/{renamed['id']}/stream")
    assert response.status_code == 200 and response.content == b"odd"
    assert "X-Evil" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert "\n" not in disposition and "\r" not in disposition and "bad__X-Evil: 1 _q_.txt" in disposition


@pytest.mark.parametrize("rule, field", [
    ({"path": "/x", "every": 0}, "every"), ({"path": "/x", "every": "2"}, "every"),
    ({"path": "/x", "times": "once"}, "times"), ({"path": "/x", "times": -2}, "times"),
    ({"path": "/x", "status": 99}, "status"), ({"path": "/x", "status": True}, "status"),
    ({"path": "/x", "delay": -1}, "delay"), ({"path": "/x", "delay": "slow"}, "delay"),
    ({"path": "/x", "retry_after": "soon"}, "retry_after"), ({"path": 5}, "path"), ({}, "path"),
    ({"path": "/x", "action": "explode"}, "action"), ({"path": "/x", "method": 1}, "method"),
    ({"path": "/x", "colour": "red"}, "colour"), ("rule", "rules[0]"),
])
def test_8_fault_switch_rules_of_the_wrong_shape_are_a_400(emulator, api, rule, field):
    response = api.session.post(emulator.url + "/_emulator/faults", json={"rules": [rule]}, timeout=30)
    assert response.status_code == 400 and field in response.json()["message"], response.text
    assert api.get("/projects").status_code == 200  # no rule was installed


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   sqlite3.OperationalError("database or disk is full")])
def test_8_server_disk_full_is_a_507(api, world, emulator, monkeypatch, error):
    def full(*args, **kwargs):
        raise error
    monkeypatch.setattr(emulator.emulator.store, "replace", full)  # the disk cannot really be filled here
    response = api.patch(f"/items/{world['item']['id']}", json={"description": "more"})
    assert response.status_code == 507 and "disk is full" in response.json()["message"]


def test_8_extreme_inputs_never_leak_a_500(api, world):
    bodies = [{"filter": {"$or": []}}, {"filter": {"$and": [{}]}}, {"filter": {"metadata.user": {"$in": []}}},
              {"filter": {"id": {"$gt": 10 ** 30}}}, {"filter": {}, "sort": {"metadata.user.k": "descending"}},
              {"filter": {"filename": "/" + "*" * 2000}}, {"filter": {"name": "x" * 100000}}]
    for body in bodies:
        assert query(api, world, body).status_code < 500, json.dumps(body)[:200]


def test_7_faas_update_bodies_of_the_wrong_shape(client, package, unique):
    """Services, packages, triggers and executions check their update bodies too; the document stays as it was."""
    from dataloop_core.exceptions import BadRequest
    service = package.services.deploy(service_name=unique("svc"))
    trigger = service.triggers.create(name=unique("trg"), function_name="run", resource="Item", actions="Created")
    execution = service.executions.create(function_name="echo", execution_input={"config": 1}, sync=True)
    cases = [(f"/services/{service.id}", {"maxAttempts": "3"}, "maxAttempts"),
             (f"/services/{service.id}", {"runtime": [1]}, "runtime"),
             (f"/packages/{package.id}", {"requirements": "numpy"}, "requirements"),
             (f"/triggers/{trigger.id}", {"spec": "on upload"}, "spec"),
             (f"/triggers/{trigger.id}", {"active": "no"}, "active"),
             (f"/executions/{execution.id}", {"maxAttempts": "two"}, "maxAttempts")]
    for path, body, field in cases:
        before = client.transport.json("GET", path)
        with pytest.raises(BadRequest, match=f"^400: {field} must be "):
            client.transport.json("PATCH", path, json=body)
        after = client.transport.json("GET", path)
        assert after.get(field) == before.get(field), path
