"""Overlapped keyset paging (core/paging.py keyset_walk): page k+1 is requested while page k is used (by the
thread that received page k), and the listings return the same items in the same order as one request after
another."""
from __future__ import annotations

import threading
import time

import pytest

from dataloop_core import Filters, PagedEntities
from dataloop_core.exceptions import BadRequest
from dataloop_core.paging import keyset_walk
from dataloop_core.sync.remote import list_files
from test_paging import IDS, Source, build


def test_pages_while_the_caller_holds_the_current_one():
    source = Source()
    asked = threading.Event()

    def fetch(body):
        if len(source.bodies) == 1:
            asked.set()
        return source(body)

    pages = PagedEntities(fetch, Filters(), build, page_size=3)
    walked = iter(pages)
    assert next(walked) == IDS[:3]
    assert asked.wait(10)  # page 2 was requested before the caller asked for it
    assert source.bodies[1]["filter"]["$and"][-1] == {"id": {"$gt": IDS[2]}}
    assert list(walked) == [IDS[3:6], IDS[6:]]
    assert len(source.bodies) == 3 and pages.page_offset == 2


@pytest.mark.parametrize("page_size", [1, 2, 3, 7, 100])
def test_same_items_in_the_same_order(page_size):
    pages = PagedEntities(Source(), Filters(), build, page_size=page_size)
    assert list(pages.all()) == IDS
    assert list(pages.all()) == IDS  # a second walk starts again from the first page


def test_walk_stops_at_an_empty_page_and_without_next_page():
    always = Source(always_next=True)
    assert list(PagedEntities(always, Filters(), build, page_size=7).all()) == IDS
    assert len(always.bodies) == 2  # the full page said "more": one more request, empty, ends it
    source = Source()
    assert list(PagedEntities(source, Filters(), build, page_size=7).all()) == IDS and len(source.bodies) == 1


def test_an_error_on_the_prefetched_page_is_raised_to_the_caller():
    def fetch(body):
        if "$gt" in str(body["filter"]):
            raise BadRequest("400", "bad page")
        return Source()(body)

    walked = iter(PagedEntities(fetch, Filters(), build, page_size=3))
    assert next(walked) == IDS[:3]
    with pytest.raises(BadRequest, match="bad page"):
        next(walked)


def test_closing_a_walk_early_leaves_nothing_behind():
    source = Source()
    walk = keyset_walk(source, lambda last: {**source.bodies[0], "filter": {"$and": [{"id": {"$gt": last}}]}},
                       source({"filter": {}, "page": 0, "pageSize": 2, "sort": {"id": "ascending"}}))
    assert [i["id"] for i in next(walk)["items"]] == IDS[:2]
    walk.close()
    assert len(source.bodies) <= 3  # at most two pages ahead: one handed over, one in flight
    with pytest.raises(StopIteration):
        next(walk)


def test_sync_listing_is_the_same_overlapped_at_any_page_size(client, dataset, tmp_path):
    for i in range(23):
        (tmp_path / f"f{i:02d}.txt").write_bytes(b"%d" % i)
    dataset.items.upload(local_path=str(tmp_path), remote_path="/o")
    one_page = [f for page in list_files(client.transport, dataset.id, "/o") for f in page]
    assert sorted(f.rel.rsplit("/", 1)[-1] for f in one_page) == [f"f{i:02d}.txt" for i in range(23)]
    for size in (1, 4, 23):
        paged = [f for page in list_files(client.transport, dataset.id, "/o", page_size=size) for f in page]
        assert paged == one_page


def test_stays_at_most_two_pages_ahead_of_a_caller_that_holds_its_page():
    source = Source()
    third = threading.Event()

    def fetch(body):
        envelope = source(body)
        if len(source.bodies) == 3:
            third.set()
        return envelope

    walked = iter(PagedEntities(fetch, Filters(), build, page_size=1))
    assert next(walked) == IDS[:1]
    assert third.wait(10)
    time.sleep(0.3)  # time enough for a thread running further ahead to ask again
    assert len(source.bodies) == 3  # the first page, the one handed over and the one in flight
    assert [page[0] for page in walked] == IDS[1:]
