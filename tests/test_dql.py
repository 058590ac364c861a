"""The DQL evaluator: SQL compilation and the Python evaluator agree, and bad filters are rejected by name."""
import json

import pytest

from dataloop_core.emulator import dql
from dataloop_core.emulator.errors import BadRequest
from dataloop_core.emulator.store import Store

SCOPE = "dataset-1"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = Store(str(tmp_path_factory.mktemp("dql") / "state.sqlite3"))
    for i in range(20):
        item = {
            "type": "dir" if i % 5 == 0 else "file", "hidden": i == 19, "name": f"f{i}.png",
            "filename": f"/a/{'b/' if i % 2 else ''}f{i}.png", "dir": "/a/b" if i % 2 else "/a",
            "annotated": i % 2 == 0,
            "metadata": {
                "system": {"mimetype": "video/mp4" if i % 3 == 0 else "image/png", "size": i * 10,
                           "refs": [{"type": "task", "id": "t1",
                                     "metadata": {"status": "completed"} if i % 4 == 0 else {}}] if i < 10 else []},
                "user": {"tags": ["x", "y"] if i % 2 else ["z"]}},
        }
        store.insert("item", item, scope=SCOPE)
        if i % 2 == 0:
            store.insert("annotation", {"itemId": item["id"], "label": "cat" if i % 4 == 0 else "dog",
                                        "type": "box"}, scope=SCOPE)
    return store


def names(store, query_filter, **body):
    page = dql.query(store, "item", {"filter": query_filter, **body}, scope=SCOPE)
    return [doc["name"] for doc in page["items"]]


def numbers(*ids):
    return [f"f{i}.png" for i in ids]


CASES = [
    ({"$and": [{"hidden": False}, {"type": "file"}]}, [i for i in range(19) if i % 5]),
    ({"filename": "/a/*"}, list(range(0, 20, 2))),                      # one level only
    ({"filename": "/a/b/**"}, list(range(1, 20, 2))),
    ({"metadata.system.mimetype": "video*"}, list(range(0, 20, 3))),    # '*' crosses '/' outside paths
    ({"metadata.system.mimetype": {"$in": ["video/mp4"]}}, list(range(0, 20, 3))),
    ({"metadata.system.size": {"$gt": 150}}, [16, 17, 18, 19]),
    ({"metadata.system.size": {"$lte": 10}}, [0, 1]),
    ({"metadata.system.refs.id": "t1"}, list(range(10))),               # through an array of objects
    ({"metadata.system.refs.id": {"$in": ["t1", "t9"]}}, list(range(10))),
    ({"metadata.system.refs": {"$match": {"id": "t1", "metadata": {"status": {"$exists": True}}}}}, [0, 4, 8]),
    ({"metadata.user.tags": "z"}, list(range(0, 20, 2))),                # equality against an array field
    ({"metadata.user.tags": {"$ne": "z"}}, list(range(1, 20, 2))),
    ({"metadata.user.tags": {"$nin": ["x"]}}, list(range(0, 20, 2))),
    ({"metadata.user.missing": {"$exists": False}}, list(range(20))),
    ({"$or": [{"name": "f1.png"}, {"name": "f3.png"}]}, [1, 3]),
    ({"annotated": True, "dir": "/a"}, list(range(0, 20, 2))),
]


@pytest.mark.parametrize("query_filter, expected", CASES, ids=[str(c[0])[:60] for c in CASES])
def test_query__operators(store, query_filter, expected):
    assert names(store, query_filter) == numbers(*expected)


@pytest.mark.parametrize("query_filter, expected", CASES, ids=[str(c[0])[:60] for c in CASES])
def test_matches__agrees_with_sql(store, query_filter, expected):
    docs = dql.query(store, "item", {"filter": {}}, scope=SCOPE)["items"]
    assert [d["name"] for d in docs if dql.matches(d, query_filter)] == numbers(*expected)


def test_query__paging_envelope(store):
    page = dql.query(store, "item", {"filter": {}, "page": 1, "pageSize": 3}, scope=SCOPE)
    assert [d["name"] for d in page["items"]] == numbers(3, 4, 5)
    assert (page["totalItemsCount"], page["totalPagesCount"], page["hasNextPage"]) == (20, 7, True)
    last = dql.query(store, "item", {"filter": {}, "page": 6, "pageSize": 3}, scope=SCOPE)
    assert last["hasNextPage"] is False and len(last["items"]) == 2


def test_query__keyset_and_sort(store):
    first = dql.query(store, "item", {"filter": {}, "sort": {"id": "ascending"}, "pageSize": 2}, scope=SCOPE)
    after = first["items"][-1]["id"]
    assert names(store, {"$and": [{"id": {"$gt": after}}]}, pageSize=2) == numbers(2, 3)
    assert names(store, {}, sort={"metadata.system.size": "descending"}, pageSize=2) == numbers(19, 18)


@pytest.mark.parametrize("body", [{"filter": {}, "pageSize": 3, "page": 2}, {"filter": {"name": "none"}},
                                  {"filter": {}, "pageSize": 0}, {"filter": {}, "page": 10 ** 6}])
def test_query__serialized_is_the_same_envelope_as_text(store, body):
    text = dql.query(store, "item", body, scope=SCOPE, serialized=True)
    assert isinstance(text, dql.Serialized) and json.loads(text) == dql.query(store, "item", body, scope=SCOPE)


def test_query__count_only(store):
    page = dql.query(store, "item", {"filter": {}, "pageSize": 0}, scope=SCOPE)
    assert page == {"items": [], "totalItemsCount": 20, "totalPagesCount": 0, "hasNextPage": False}


def test_query__join_items_by_annotations(store):
    join = {"on": {"resource": "annotations", "local": "itemId", "forigen": "id"},
            "filter": {"$and": [{"label": "cat"}]}}
    assert names(store, {}, join=join) == numbers(0, 4, 8, 12, 16)
    labels = dql.query(store, "annotation", {"filter": {}, "join": {"filter": {"$and": [{"name": "f4.png"}]}}},
                       scope=SCOPE)
    assert [a["label"] for a in labels["items"]] == ["cat"]


def test_select__streams_every_match(store):
    assert len(list(dql.select(store, "item", {"type": "file"}, scope=SCOPE))) == 16


@pytest.mark.parametrize("bad, message", [
    ({"$foo": 1}, "'$foo'"),
    ({"name": {"$bad": 1}}, "'$bad' on field 'name'"),
    ({"name": {"$in": "x"}}, "$in on 'name' takes a list"),
    ({"$and": {"name": 1}}, "$and must be a list"),
    ({"name": {"$match": 3}}, "$match on 'name'"),
])
def test_query__bad_filters_name_the_problem(store, bad, message):
    with pytest.raises(BadRequest, match=message.replace("$", r"\$")):
        dql.query(store, "item", {"filter": bad}, scope=SCOPE)


@pytest.mark.parametrize("body, message", [
    ({"filter": {}, "pageSize": -1}, ">= 0"),
    ({"filter": {}, "page": "x"}, "page must be a whole number"),
    ({"filter": {}, "sort": {"name": "sideways"}}, "sort direction"),
])
def test_query__bad_paging_and_sort(store, body, message):
    with pytest.raises(BadRequest, match=message):
        dql.query(store, "item", body, scope=SCOPE)
