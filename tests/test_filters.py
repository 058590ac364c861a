"""``Filters.prepare()`` bodies, byte for byte as the wire reference captures them (§2.2-2.6)."""
from __future__ import annotations

import json

import pytest

from dataloop_core import Filters, FiltersMethod, FiltersOperations, FiltersOrderByDirection, FiltersResource
from dataloop_core.filters import DEFAULT_ANNOTATION_TYPES


def wire(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"))


def test_default_item_body():
    assert wire(Filters().prepare()) == (
        '{"filter":{"$and":[{"hidden":false},{"type":"file"}]},"page":0,"pageSize":1000,"resource":"items"}')


def test_captured_all_operators_example():
    f = Filters()
    f.add("metadata.system.mimetype", ["image/png", "text/plain"], FiltersOperations.IN)
    f.add("annotated", True, FiltersOperations.EQUAL)
    f.add("metadata.user.x", True, FiltersOperations.EXISTS)
    f.add("metadata.system.size", 10, FiltersOperations.GREATER_THAN)
    f.add("metadata.system.size", 1, FiltersOperations.LESS_THAN_OR_EQUAL)
    f.add("name", "x", FiltersOperations.NOT_EQUAL)
    f.add("dir", ["/a", "/b"], FiltersOperations.NIN)
    f.add("filename", "/d")
    f.add("metadata.system.refs", {"id": "t1", "type": "task"}, FiltersOperations.MATCH)
    f.sort_by("id")
    assert wire(f.prepare()) == (
        '{"filter":{"$and":[{"hidden":false},{"type":"file"},{"metadata.system.mimetype":{"$in":["image/png",'
        '"text/plain"]}},{"annotated":{"$eq":true}},{"metadata.user.x":{"$exists":true}},{"metadata.system.size":'
        '{"$gt":10}},{"metadata.system.size":{"$lte":1}},{"name":{"$ne":"x"}},{"dir":{"$nin":["/a","/b"]}},'
        '{"filename":"/d/**"},{"metadata.system.refs":{"$match":{"id":"t1","type":"task"}}}]},'
        '"sort":{"id":"ascending"},"page":0,"pageSize":1000,"resource":"items"}')


def test_remaining_operators_and_string_operator_names():
    f = Filters(resource="datasets")
    f.add("a", 1, "lt")
    f.add("b", 2, FiltersOperations.GREATER_THAN_OR_EQUAL)
    assert f.prepare()["filter"] == {"$and": [{"a": {"$lt": 1}}, {"b": {"$gte": 2}}]}


@pytest.mark.parametrize("value,expected", [
    ("/d", "/d/**"), ("/d/", "/d/**"), ("/d/*", "/d/*"), ("/d/**", "/d/**"), ("/d/a.jpg", "/d/a.jpg"),
    (["/x", "/y.png"], ["/x/**", "/y.png"]),
])
def test_filename_recursion(value, expected):
    f = Filters(field="filename", values=value)
    assert f.prepare()["filter"]["$and"][-1] == {"filename": expected}


def test_recursion_off_and_only_for_items():
    f = Filters(field="filename", values="/d")
    f.recursive = False
    assert f.prepare()["filter"]["$and"][-1] == {"filename": "/d"}
    g = Filters(field="filename", values="/d", resource=FiltersResource.ANNOTATION)
    assert g.prepare()["filter"]["$and"][-1] == {"filename": "/d"}


def test_or_clauses_come_before_and():
    f = Filters(use_defaults=False)
    f.add("dir", "/a")
    f.add("dir", "/f", method=FiltersMethod.OR)
    f.add("dir", "/f/*", method="or")
    assert wire(f.prepare()["filter"]) == '{"$or":[{"dir":"/f"},{"dir":"/f/*"}],"$and":[{"dir":"/a"}]}'


def test_unique_fields_replace_other_fields_accumulate():
    f = Filters()
    f.add("type", "dir")
    f.add("hidden", True)
    f.add("projectId", "p")
    f.add("projectId", "p")
    assert f.prepare()["filter"]["$and"] == [{"type": "dir"}, {"hidden": True}, {"projectId": "p"},
                                             {"projectId": "p"}]


def test_resource_defaults_and_page_sizes():
    annotations = Filters(resource=FiltersResource.ANNOTATION).prepare()
    assert annotations["filter"] == {"$and": [{"type": {"$in": DEFAULT_ANNOTATION_TYPES}}]}
    assert "note" not in DEFAULT_ANNOTATION_TYPES and annotations["pageSize"] == 1000
    for resource in ("services", "packages"):
        assert Filters(resource=resource).prepare()["filter"] == {"$and": [{"global": {"$ne": True}}]}
    for resource in ("executions", "pipelineState"):
        body = Filters(resource=resource).prepare()
        assert body["filter"] == {} and body["pageSize"] == 100
    assert Filters(resource="dpks").page_size == 100
    assert Filters(use_defaults=False).prepare()["filter"] == {}


def test_page_size_limits():
    f = Filters(resource="executions")
    f.page_size = 101
    with pytest.raises(ValueError, match="between 0 and 100"):
        f.prepare()
    f.page_size = 0
    assert f.prepare()["pageSize"] == 0


def test_datasets_context_body():
    f = Filters(resource=FiltersResource.DATASET, context={"projects": ["p1"]})
    assert wire(f.prepare()) == ('{"filter":{},"page":0,"pageSize":1000,"resource":"datasets",'
                                 '"context":{"projects":["p1"]}}')


def test_custom_filter_is_wrapped_and_completed():
    f = Filters(custom_filter={"$and": [{"dir": "/d"}]})
    assert wire(f.prepare()) == '{"filter":{"$and":[{"dir":"/d"}]},"resource":"items","page":0,"pageSize":1000}'
    full = {"filter": {"a": 1}, "page": 3, "pageSize": 5, "resource": "items", "sort": {"x": "descending"}}
    assert Filters(custom_filter=full).prepare() == full
    with pytest.raises(ValueError, match="custom_filter"):
        Filters(custom_filter="not a dict")


def test_join_for_items_and_annotations():
    items = Filters()
    items.add_join("label", "cat")
    items.add_join("type", "box", method=FiltersMethod.OR)
    assert items.prepare()["join"] == {"on": {"resource": "annotations", "local": "itemId", "forigen": "id"},
                                       "filter": {"$and": [{"label": "cat"}], "$or": [{"type": "box"}]}}
    annotations = Filters(resource="annotations")
    annotations.add_join("dir", "/a")
    assert annotations.prepare()["join"]["on"] == {"resource": "items", "local": "id", "forigen": "itemId"}
    items.pop_join("label")
    assert items.prepare()["join"]["filter"]["$and"] == []
    with pytest.raises(ValueError, match="joins"):
        Filters(resource="datasets").add_join("x", 1)


def test_bulk_update_bodies():
    f = Filters(use_defaults=False)
    f.add("dir", "/a")
    assert wire(f.prepare(operation="update", update={"a": 1})) == (
        '{"filter":{"$and":[{"dir":"/a"}]},"page":0,"pageSize":1000,"resource":"items",'
        '"update":{"metadata":{"user":{"a":1}}}}')
    body = f.prepare(operation="update", system_update={"b": 2}, system_metadata=True)
    assert wire(body).endswith('"update":{"metadata":{"system":{"b":2}}},"systemSpace":true}')


def test_bulk_delete_bodies():
    items = Filters(use_defaults=False)
    items.add("dir", "/a")
    items.sort_by("name")
    assert wire(items.prepare(operation="delete")) == (
        '{"filter":{"$and":[{"dir":"/a"}]},"resource":"items","delete":true}')
    annotations = Filters(resource="annotations")
    annotations.pop("type")
    annotations.add("annotationId", ["a1", "a2"], FiltersOperations.IN)
    assert wire(annotations.prepare(operation="delete")) == (
        '{"filter":{"$and":[{"annotationId":{"$in":["a1","a2"]}}]},"page":0,"pageSize":1000,'
        '"resource":"annotations","delete":true}')
    with pytest.raises(ValueError, match="unknown filter operation"):
        items.prepare(operation="merge")


def test_sort_system_space_and_query_only():
    f = Filters(use_defaults=False)
    f.sort_by("createdAt", FiltersOrderByDirection.DESCENDING)
    f.sort_by("name", "ascending")
    f.system_space = True
    body = f.prepare()
    assert body["sort"] == {"createdAt": "descending", "name": "ascending"} and body["systemSpace"] is True
    assert f.prepare(query_only=True) == {"filter": {}, "systemSpace": True}
    with pytest.raises(ValueError, match="sort direction"):
        f.sort_by("x", "up")


def test_helpers_and_validation():
    f = Filters()
    f.add("dir", "/a")
    assert f.has_field("dir") and f.has_field("type")
    f.pop("dir")
    assert not f.has_field("dir")
    f.reset()
    assert f.prepare()["filter"] == {"$and": [{"hidden": False}, {"type": "file"}]}
    f.resource = "tasks"
    assert f.prepare()["filter"] == {} and f.prepare()["resource"] == "tasks"
    with pytest.raises(ValueError, match="filter operator"):
        Filters(field="a", values=1, operator="like")
    with pytest.raises(ValueError, match="filter resource"):
        Filters(resource="users")
    with pytest.raises(ValueError, match="field"):
        Filters().add("", 1)
    with pytest.raises(ValueError, match="filter method"):
        Filters().add("a", 1, method="xor")
