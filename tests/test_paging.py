"""``PagedEntities`` offset and keyset modes, driven by a fake page source (the paging unit, not HTTP)."""
from __future__ import annotations

import math

import pytest

from dataloop_core import Filters, FiltersOrderByDirection, PagedEntities
from dataloop_core.exceptions import BadRequest

IDS = [f"{i:024x}" for i in range(1, 8)]  # 7 documents


class Source:
    """Serves IDS as the platform would: id sort, ``id $gt/$lt`` clauses, page/pageSize; records bodies."""

    def __init__(self, ids=IDS, always_next=False):
        self.ids, self.bodies, self.always_next = list(ids), [], always_next

    def __call__(self, body: dict) -> dict:
        self.bodies.append(body)
        ids = list(self.ids)
        for clause in body["filter"].get("$and", []):
            cond = clause.get("id")
            if isinstance(cond, dict) and "$gt" in cond:
                ids = [i for i in ids if i > cond["$gt"]]
            if isinstance(cond, dict) and "$lt" in cond:
                ids = [i for i in ids if i < cond["$lt"]]
        if next(iter(body.get("sort", {}).values()), "ascending") == "descending":
            ids.reverse()
        size, page = body["pageSize"], body["page"]
        chunk = ids[page * size:(page + 1) * size]
        return {"items": [{"id": i} for i in chunk], "totalItemsCount": len(ids),
                "totalPagesCount": math.ceil(len(ids) / size) if size else 0,
                "hasNextPage": self.always_next or 0 < (page + 1) * size < len(ids)}


class Doc(str):
    """An entity stand-in: the id string itself, with ``.id`` as entities have."""

    @property
    def id(self) -> str:
        return str(self)


def build(json: dict) -> Doc:
    return Doc(json["id"])


def test_offset_mode_walks_pages():
    source = Source()
    pages = PagedEntities(source, Filters(resource="datasets"), build, page_size=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [b["page"] for b in source.bodies] == [0, 1, 2]
    assert all("sort" not in b for b in source.bodies)
    assert list(pages.all()) == IDS and len(pages) == 7 and pages.total_pages_count == 3


def test_keyset_mode_for_items_adds_id_sort_and_gt_clauses():
    source = Source()
    filters = Filters()
    pages = PagedEntities(source, filters, build, page_size=3)
    assert list(pages.all()) == IDS
    assert all(b["page"] == 0 and b["sort"] == {"id": "ascending"} for b in source.bodies)
    assert [b["filter"]["$and"][-1] for b in source.bodies[1:3]] == [{"id": {"$gt": IDS[2]}},
                                                                    {"id": {"$gt": IDS[5]}}]
    assert filters.sort == {} and len(filters.and_filter_list) == 2  # the caller's filters are untouched


def test_keyset_descending_follows_first_sort_key():
    source = Source()
    filters = Filters()
    filters.sort_by("createdAt", FiltersOrderByDirection.DESCENDING)
    pages = PagedEntities(source, filters, build, page_size=4)
    pages.next_page()
    assert source.bodies[0]["sort"] == {"createdAt": "descending", "id": "descending"}
    assert source.bodies[1]["filter"]["$and"][-1] == {"id": {"$lt": IDS[3]}}


@pytest.mark.parametrize("setup", [
    lambda f: {"page_offset": 1},
    lambda f: f.sort_by("name") or {},
])
def test_offset_mode_when_keyset_does_not_apply(setup):
    source = Source()
    filters = Filters()
    kwargs = setup(filters)
    PagedEntities(source, filters, build, page_size=2, **kwargs)
    body = source.bodies[0]
    assert "id" not in body.get("sort", {}) and body["page"] == kwargs.get("page_offset", 0)


def test_custom_filter_uses_offset_mode():
    source = Source()
    pages = PagedEntities(source, Filters(custom_filter={"a": 1}), build, page_size=5)
    pages.next_page()
    assert [b["page"] for b in source.bodies] == [0, 1] and "sort" not in source.bodies[0]


def test_iteration_stops_on_an_empty_page():
    source = Source(ids=IDS[:2], always_next=True)
    pages = PagedEntities(source, Filters(resource="datasets"), build, page_size=2)
    assert list(pages) == [IDS[:2]]


def test_a_rejected_query_raises_never_an_empty_page():
    def failing(body):
        raise BadRequest("400", "unknown operator $regexx")
    with pytest.raises(BadRequest, match=r"unknown operator \$regexx"):
        PagedEntities(failing, Filters(), build)


def test_go_to_page_in_both_modes():
    offset = PagedEntities(Source(), Filters(resource="datasets"), build, page_size=3)
    assert offset[2] == IDS[6:] and offset.go_to_page(1) == IDS[3:6]
    keyset = PagedEntities(Source(), Filters(), build, page_size=3)
    assert keyset[1] == IDS[3:6] and keyset.go_to_page(5) == []


def test_all_restarts_from_the_first_page():
    pages = PagedEntities(Source(), Filters(resource="datasets"), build, page_size=3)
    pages.go_to_page(2)
    assert list(pages.all()) == IDS


def test_page_size_zero_counts_only():
    pages = PagedEntities(Source(), Filters(resource="datasets"), build, page_size=0)
    assert pages.items == [] and len(pages) == 7
    with pytest.raises(ValueError, match=r"page_size=0 only counts \(7 matches"):
        list(pages.all())


def test_negative_paging_arguments_are_rejected():
    with pytest.raises(ValueError):
        PagedEntities(Source(), Filters(), build, page_size=-1)
    with pytest.raises(ValueError):
        PagedEntities(Source(), Filters(), build, page_offset=-1)
