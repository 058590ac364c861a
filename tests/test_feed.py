"""Change feeds over HTTP against the emulator: items created/updated (order, exactly once across restarts from a
persisted cursor, many changes in one millisecond, updates while paging, filters, bounded requests, settle window),
annotation tasks reaching a threshold, executions and pipeline executions finishing, and bad inputs."""
from __future__ import annotations

import base64
import json
import logging
import math
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from dataloop_core import Filters, FiltersResource
from dataloop_core.entities.pipeline_node import DatasetNode
from dataloop_core.exceptions import BadRequest, DataloopError, InternalServerError, NotFound
from dataloop_core.feed import DEFAULT_SETTLE, Change, ChangeKind, ItemFeed, RunFeed, TaskFeed

MISSING_ID = "0" * 24


def upload(dataset, folder: str, count: int, prefix: str = "f") -> list:
    """``count`` small files under ``folder``, uploaded one by one (so in this order)."""
    return [dataset.items.upload(local_path=f"{prefix}{i}".encode(), remote_path=folder, remote_name=f"{prefix}{i}.txt")
            for i in range(count)]


def feed_of(client, dataset, **options) -> ItemFeed:
    options.setdefault("settle", 0)
    return ItemFeed(client, dataset.id, **options)


def drain(make_feed, cursor=None, max_changes=1000, limit=100) -> tuple:
    """Poll, each time from a fresh feed built from the persisted cursor (a restart), until a poll is empty."""
    changes = []
    for _ in range(limit):
        feed = make_feed(cursor)
        batch = feed.poll(max_changes=max_changes)
        cursor = feed.cursor
        if not batch:
            return changes, cursor
        changes += batch
    raise AssertionError("the feed never ran dry")


@pytest.fixture
def query_requests(caplog):
    """How many DQL queries of a dataset the emulator answered (its request log), and what each asked for."""
    caplog.set_level(logging.DEBUG, logger="dataloop_core.emulator")

    def count(dataset_id: str) -> int:
        wanted = f"/api/v1/datasets/{dataset_id}/query"
        return sum(1 for r in caplog.records if r.name == "dataloop_core.emulator" and r.args
                   and r.args[:2] == ("POST", wanted))
    return count


# -- items -----------------------------------------------------------------------------------------------------------
def test_items_in_order_each_once_and_resume_from_any_persisted_cursor(client, dataset):
    items = upload(dataset, "/raw", 5)
    feed = feed_of(client, dataset, page_size=2)

    changes = feed.poll()

    assert [c.id for c in changes] == [i.id for i in items]
    assert {c.kind for c in changes} == {"item_created"}
    first = changes[0]
    assert first.data == {"id": items[0].id, "datasetId": dataset.id, "filename": "/raw/f0.txt", "name": "f0.txt",
                          "dir": "/raw", "type": "file", "createdAt": items[0].created_at,
                          "updatedAt": items[0].updated_at, "annotated": False, "mimetype": "text/plain", "size": 2}
    assert first.at == items[0].updated_at
    assert feed.poll() == [] and feed_of(client, dataset, cursor=changes[-1].cursor).poll() == []
    resumed = feed_of(client, dataset, cursor=changes[1].cursor)
    assert resumed.cursor == changes[1].cursor  # unchanged until it polls
    assert [c.to_dict() for c in resumed.poll()] == [c.to_dict() for c in changes[2:]]

    later = upload(dataset, "/raw", 2, prefix="g")
    restarted = feed_of(client, dataset, cursor=feed.cursor)
    assert [(c.kind, c.id) for c in restarted.poll()] == [("item_created", i.id) for i in later]
    assert restarted.poll() == []


def test_change_and_cursor_are_plain_short_json(client, dataset):
    upload(dataset, "/j", 1)
    change = feed_of(client, dataset).poll()[0]
    data = json.loads(json.dumps(change.to_dict()))
    assert Change.from_dict(data) == change and set(data) == {"kind", "id", "at", "data", "cursor"}
    assert isinstance(change.cursor, str) and len(change.cursor) < 200 and change.cursor.isascii()
    assert ChangeKind.ITEM_CREATED == "item_created"
    with pytest.raises(ValueError, match=r"Change.from_dict: missing keys \['cursor'\]"):
        Change.from_dict({"kind": "x", "id": "1", "at": "t", "data": {}})


def test_many_changes_in_one_millisecond_page_through_exactly_once(client, dataset, emulator):
    """The platform can stamp many items in the same millisecond; pages split inside such a run of ties."""
    items = upload(dataset, "/same", 12)
    store, stamp = emulator.emulator.store, "2030-01-01T00:00:00.000Z"
    for item in items:  # set-up only: pin every item to one instant, as a bulk write on the platform can
        doc = store.get("item", item.id)
        doc["createdAt"] = doc["updatedAt"] = stamp
        store.replace("item", doc, touch=False)

    changes, _ = drain(lambda cursor: feed_of(client, dataset, cursor=cursor, page_size=5), max_changes=4)

    assert [c.id for c in changes] == sorted(i.id for i in items)
    assert {c.at for c in changes} == {stamp}


def test_a_listing_out_of_timestamp_order_fails_loudly(client, dataset, emulator):
    """Timestamps in two formats sort wrongly as text (".500Z" before "Z"): the feed raises, it never skips."""
    items = upload(dataset, "/fmt", 2)
    store = emulator.emulator.store
    for item, stamp in zip(items, ("2030-01-01T00:00:00Z", "2030-01-01T00:00:00.500Z")):  # set-up only
        doc = store.get("item", item.id)
        doc["createdAt"] = doc["updatedAt"] = stamp
        store.replace("item", doc, touch=False)

    with pytest.raises(DataloopError, match=r"not in \(updatedAt, id\) order"):
        feed_of(client, dataset).poll()


def test_bulk_update_ties_over_http_are_reported_once_each_as_updates(client, dataset):
    items = upload(dataset, "/bulk", 40)
    before = feed_of(client, dataset)
    assert len(before.poll()) == 40
    dataset.items.update(filters=Filters("dir", "/bulk"), update_values={"reviewed": True})

    changes, _ = drain(lambda cursor: feed_of(client, dataset, cursor=cursor, page_size=3), cursor=before.cursor,
                       max_changes=7)

    assert sorted(c.id for c in changes) == sorted(i.id for i in items)
    assert {c.kind for c in changes} == {"item_updated"}
    assert [(c.at, c.id) for c in changes] == sorted((c.at, c.id) for c in changes)
    assert max(Counter(c.at for c in changes).values()) > 3, "the bulk update should stamp items in one millisecond"


def test_updates_after_creation_and_while_paging(client, dataset):
    a, b, c, d = upload(dataset, "/p", 4)
    feed = feed_of(client, dataset, page_size=1)
    assert [x.id for x in feed.poll(max_changes=2)] == [a.id, b.id]

    a.metadata.setdefault("user", {})["seen"] = 1
    a = a.update()  # already reported: reported again, as an update
    c.metadata.setdefault("user", {})["seen"] = 1
    c = c.update()  # not reported yet: moves after the cursor and is reported once, still as new

    assert [(x.kind, x.id) for x in feed.poll()] == [("item_created", d.id), ("item_updated", a.id),
                                                     ("item_created", c.id)]
    assert feed.poll() == []


def test_events_created_only_or_updated_only(client, dataset):
    a, b = upload(dataset, "/e", 2)
    created = feed_of(client, dataset, events=["created"])
    updated = feed_of(client, dataset, events=("updated",))
    both = feed_of(client, dataset)
    for feed in (created, updated, both):
        feed.poll()
    a.metadata.setdefault("user", {})["x"] = 1
    a.update()
    c, = upload(dataset, "/e", 1, prefix="late")

    assert [(x.kind, x.id) for x in created.poll()] == [("item_created", c.id)]
    assert [(x.kind, x.id) for x in updated.poll()] == [("item_updated", a.id)]
    assert [(x.kind, x.id) for x in both.poll()] == [("item_updated", a.id), ("item_created", c.id)]
    with pytest.raises(ValueError, match="cursor was made for another dataset or event set"):
        ItemFeed(client, dataset.id, cursor=created.cursor)  # ordered by createdAt, not updatedAt


def test_since_starts_at_an_instant(client, dataset):
    old = upload(dataset, "/s", 2)
    since = datetime.fromisoformat(old[-1].updated_at.replace("Z", "+00:00")) + timedelta(milliseconds=1)
    new = upload(dataset, "/s", 2, prefix="n")  # an upload over HTTP takes well over a millisecond

    assert [x.id for x in feed_of(client, dataset, since=since).poll()] == [i.id for i in new]
    iso = old[0].updated_at  # inclusive, and a string with "Z" works as well
    assert [x.id for x in feed_of(client, dataset, since=iso).poll()][:1] == [old[0].id]
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert len(feed_of(client, dataset, since=future).poll()) == 0
    start = feed_of(client, dataset, since=since)
    start.poll(max_changes=1)  # a cursor wins over since: callers pass since for the first run, then both
    assert [x.id for x in feed_of(client, dataset, cursor=start.cursor, since=future).poll()] == [new[1].id]


def test_filters_as_filters_or_dict(client, dataset):
    raw = upload(dataset, "/raw", 3)
    upload(dataset, "/other", 2)
    deep = upload(dataset, "/raw/deep", 1)

    assert [x.id for x in feed_of(client, dataset, filters=Filters("dir", "/raw")).poll()] == [i.id for i in raw]
    assert [x.id for x in feed_of(client, dataset, filters={"dir": "/raw"}).poll()] == [i.id for i in raw]
    body = {"filter": {"$and": [{"type": "file"}]}, "join": None, "resource": "items", "page": 3, "pageSize": 9}
    assert len(feed_of(client, dataset, filters=body).poll()) == 6
    # a query with its own top-level $or: the keyset's tie clause goes nested under $and, across pages and restarts
    folder = Filters()
    folder.add("dir", "/raw", method="or")
    folder.add("dir", "/raw/*", method="or")
    assert "$or" in folder.prepare()["filter"]
    for query in (folder, {"$or": [{"dir": "/raw"}, {"dir": "/raw/*"}]}):
        changes, _ = drain(lambda cursor: feed_of(client, dataset, filters=query, cursor=cursor, page_size=1),
                           max_changes=2)
        assert [x.id for x in changes] == [i.id for i in raw + deep]


def test_a_poll_that_fails_part_way_leaves_the_cursor_where_it_was(client, dataset, faults):
    items = upload(dataset, "/f", 5)
    feed = feed_of(client, dataset, page_size=2)
    start = feed.cursor
    query = f"/api/v1/datasets/{dataset.id}/query"
    faults({"path": query, "action": "delay", "delay": 0, "times": 1},  # the first page goes through
           {"path": query, "status": 500, "times": 1})  # the second fails

    with pytest.raises(InternalServerError, match="fault injected"):
        feed.poll()

    assert feed.cursor == start
    assert [x.id for x in feed.poll()] == [i.id for i in items]


def test_a_query_the_server_rejects_raises(client, dataset):
    for query in ({"dir": {"$regex": "raw"}}, {"$nor": [{"dir": "/raw"}]}):
        with pytest.raises(BadRequest, match="unknown filter operator"):
            feed_of(client, dataset, filters=query).poll()


def test_bounded_requests_per_poll(client, dataset, query_requests):
    upload(dataset, "/b", 25)

    def poll(feed, max_changes: int) -> tuple:
        sent = query_requests(dataset.id)
        changes = feed.poll(max_changes=max_changes)
        requests = query_requests(dataset.id) - sent
        assert requests <= math.ceil(max_changes / feed.page_size) + 1
        return len(changes), requests

    feed = feed_of(client, dataset, page_size=10)
    assert poll(feed, 7) == (7, 1)  # one page of 7
    assert poll(feed, 100) == (18, 2)  # 10, then a short page of 8 ends the poll
    assert poll(feed, 100) == (0, 1)  # at the end: one query finds nothing
    assert poll(feed_of(client, dataset, page_size=10), 25) == (25, 3)
    assert poll(feed_of(client, dataset, page_size=1), 5) == (5, 5)
    assert poll(feed_of(client, dataset, page_size=1000), 1000) == (25, 1)


def test_settle_window_holds_back_fresh_changes(client, dataset):
    assert DEFAULT_SETTLE > 0 and ItemFeed(client, dataset.id).settle == DEFAULT_SETTLE
    items = upload(dataset, "/w", 2)
    waiting = ItemFeed(client, dataset.id, settle=3600)
    start = waiting.cursor

    assert waiting.poll() == [] and waiting.cursor == start  # stamped within the last hour: not settled yet
    assert [x.id for x in feed_of(client, dataset, cursor=waiting.cursor).poll()] == [i.id for i in items]


def test_settle_window_catches_a_write_that_becomes_visible_late(client, dataset, emulator):
    """Concurrent requests can commit out of stamp order: a write stamped before changes already seen shows up
    later. A feed that has not passed the settle window still finds it; one with settle=0 has moved past it."""
    now = datetime.now(timezone.utc)
    early, = upload(dataset, "/late", 1)
    store = emulator.emulator.store

    def pin(doc: dict, seconds_ago: float) -> None:  # set-up only: stamp as a slow request on the platform would
        doc["createdAt"] = doc["updatedAt"] = (now - timedelta(seconds=seconds_ago)).strftime(
            "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    doc = store.get("item", early.id)
    pin(doc, 30)
    store.replace("item", doc, touch=False)
    eager, settled = feed_of(client, dataset), ItemFeed(client, dataset.id, settle=20)
    assert [x.id for x in eager.poll()] == [x.id for x in settled.poll()] == [early.id]
    seen = upload(dataset, "/late", 1, prefix="seen")[0]
    doc = store.get("item", seen.id)
    pin(doc, 10)
    store.replace("item", doc, touch=False)
    assert [x.id for x in eager.poll()] == [seen.id] and settled.poll() == []  # 10 s old: not settled for 20 s

    late = dict(store.get("item", seen.id), id=store.new_id(), filename="/late/slow.txt", name="slow.txt")
    pin(late, 15)  # stamped before `seen`, visible only now
    store.insert("item", late, scope=dataset.id)

    assert eager.poll() == []  # moved past it: lost to a feed without a settle window
    later = ItemFeed(client, dataset.id, cursor=settled.cursor, settle=5)  # once the window has passed
    assert [x.id for x in later.poll()] == [late["id"], seen.id]


def test_exactly_once_while_writers_run_concurrently(client, dataset):
    """Four writers upload and update while a poller restarts from its persisted cursor before every poll."""
    def write(worker: int) -> list:
        items = upload(dataset, f"/w{worker}", 8, prefix=f"w{worker}-")
        for item in items[::2]:
            item.metadata.setdefault("user", {})["touched"] = worker
            item.update()
        return items

    seen, cursor = [], None
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(write, worker) for worker in range(4)]
        while not all(f.done() for f in futures):
            feed = ItemFeed(client, dataset.id, cursor=cursor, settle=1)
            seen += feed.poll(max_changes=5)
            cursor = feed.cursor
            time.sleep(0.05)
        written = [item.id for f in futures for item in f.result()]
    deadline = time.monotonic() + 30
    while {c.id for c in seen} != set(written) and time.monotonic() < deadline:  # the last writes settle
        time.sleep(0.2)
        feed = ItemFeed(client, dataset.id, cursor=cursor, settle=1)
        seen += feed.poll()
        cursor = feed.cursor

    assert {c.id for c in seen} == set(written)
    positions = [(c.at, c.id) for c in seen]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)  # in order, never repeated
    final = ItemFeed(client, dataset.id, settle=0)
    latest = {c.id: c.at for c in final.poll()}
    assert {c.id: c.at for c in seen} == latest  # every item's last change was reported


def test_unknown_dataset_and_bad_arguments(client, dataset):
    with pytest.raises(NotFound, match="Dataset not found"):
        ItemFeed(client, MISSING_ID).poll()
    bad = [
        (dict(dataset_id=""), ValueError, "dataset_id must be a non-empty string"),
        (dict(filters=42), TypeError, "filters must be a Filters or a dict"),
        (dict(filters=Filters(resource=FiltersResource.TASK)), ValueError, "FiltersResource.ITEM"),
        (dict(filters={"filter": {}, "sort": {"id": "ascending"}}), ValueError, "filters may not sort"),
        (dict(filters={"filter": {}, "resource": "annotations"}), ValueError, "not 'annotations'"),
        (dict(filters={"filter": {}, "update": {"a": 1}}), ValueError, "unknown DQL body keys: update"),
        (dict(filters={"filter": []}), TypeError, "DQL filter must be an object"),
        (dict(events=()), ValueError, "events must be a non-empty list of created and updated"),
        (dict(events="created"), ValueError, "events must be"),
        (dict(events=("deleted",)), ValueError, "events must be"),
        (dict(page_size=0), ValueError, "page_size must be an int from 1 to 1000"),
        (dict(page_size=1001), ValueError, "page_size must be an int from 1 to 1000"),
        (dict(settle=-1), ValueError, "settle must be a number of seconds"),
        (dict(since=datetime(2024, 1, 1)), ValueError, "since must be timezone-aware"),
        (dict(since="2024-01-01T00:00:00"), ValueError, "since must carry a timezone"),
        (dict(since="yesterday"), ValueError, "since must carry a timezone"),
        (dict(since="2024-13-01T00:00:00Z"), ValueError, "since is not an ISO-8601 timestamp"),
        (dict(since=1700000000), TypeError, "since must be a timezone-aware datetime or an ISO-8601 string"),
        (dict(since="2024-01-01", cursor=ItemFeed(client, dataset.id).cursor), ValueError, "since must carry"),
    ]
    for options, error, message in bad:
        options = {"dataset_id": dataset.id, **options}
        with pytest.raises(error, match=message):
            ItemFeed(client, **options)
    with pytest.raises(ValueError, match="max_changes must be an int >= 1"):
        ItemFeed(client, dataset.id).poll(max_changes=0)


def _forge(payload) -> str:
    return "dlfeed1." + base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_malformed_cursors_name_the_problem(client, dataset, project):
    good = ItemFeed(client, dataset.id, since="2024-01-01T00:00:00Z").cursor
    scope = json.loads(base64.urlsafe_b64decode(good[8:] + "=" * (-len(good[8:]) % 4)))[1]
    other = project.datasets.create(f"other-{uuid.uuid4().hex[:6]}")
    cases = [
        (12, "cursor must be a string from feed.cursor, got int"),
        ("page-2", "is not a dataloop_core.feed cursor"),
        ("dlfeed1.@@@", r"is corrupt \(not base64 JSON\)"),
        (_forge({"a": 1}), r"is corrupt \(unexpected content\)"),
        (TaskFeed(client, MISSING_ID).cursor, "belongs to a task feed, not to this item feed"),
        (ItemFeed(client, other.id).cursor, "cursor was made for another dataset"),
        (_forge(["item", scope, ["yesterday", ""]]), "cursor position timestamp is not an ISO-8601 timestamp"),
        (_forge(["item", scope, ["2024-01-01T00:00:00.000Z", "a b"]]), "cursor position id 'a b' is not a platform id"),
        (_forge(["item", scope, [1, 2]]), r"cursor position is corrupt: expected \[timestamp, id\]"),
        (_forge(["item", scope, None, None, None]), r"is corrupt \(unexpected content\)"),
    ]
    for cursor, message in cases:
        with pytest.raises(ValueError, match=message):
            ItemFeed(client, dataset.id, cursor=cursor)
    assert ItemFeed(client, dataset.id, cursor=good).cursor == good


# -- tasks -----------------------------------------------------------------------------------------------------------
def test_task_feed_fires_once_when_the_threshold_is_reached(client, dataset):
    items = upload(dataset, "/t", 4)
    task = dataset.tasks.create(f"label-{uuid.uuid4().hex[:6]}", filters=Filters("dir", "/t"),
                                assignee_ids=["anna@labelers.io"])
    feed = TaskFeed(client, task.id, min_percent=50)
    assert feed.poll() == []
    assert task.set_status("completed", "create", [items[0].id, items[1].id])

    changes = feed.poll()

    assert [(c.kind, c.id) for c in changes] == [("task_completed", task.id)]
    assert changes[0].data["percent"] == 50 and changes[0].data["itemStatus"] == {"completed": 2}
    assert changes[0].data["totalItems"] == 4 and changes[0].cursor == feed.cursor
    json.dumps(changes[0].to_dict())
    assert feed.poll() == [] and TaskFeed(client, task.id, min_percent=50, cursor=feed.cursor).poll() == []
    assert len(TaskFeed(client, task.id, min_percent=50).poll()) == 1  # a fresh feed sees it reached
    assert TaskFeed(client, task.id).poll() == []  # 100 % not reached

    fired = feed.cursor  # below the threshold again re-arms the feed, then it fires anew
    assert dataset.items.get(item_id=items[0].id).update_status("completed", clear=True, task_id=task.id)
    rearmed = TaskFeed(client, task.id, min_percent=50, cursor=fired)
    assert rearmed.poll() == [] and rearmed.cursor != fired
    assert task.set_status("discard", "create", [items[2].id])
    assert len(rearmed.poll()) == 1

    by_status = TaskFeed(client, task.id, statuses=["completed", "discard"])
    assert by_status.poll() == []
    assert task.set_status("completed", "create", [items[0].id, items[3].id])
    assert [c.kind for c in by_status.poll()] == ["task_completed"]


def test_task_feed_bad_input(client):
    with pytest.raises(NotFound):
        TaskFeed(client, MISSING_ID).poll()
    for value in (0, 101, "50", True):
        with pytest.raises(ValueError, match="min_percent must be a number in"):
            TaskFeed(client, MISSING_ID, min_percent=value)
    with pytest.raises(ValueError, match="task_id must be a non-empty string"):
        TaskFeed(client, " ")
    with pytest.raises(ValueError, match="cursor was made for another task"):
        TaskFeed(client, MISSING_ID, cursor=TaskFeed(client, "1" * 24).cursor)
    with pytest.raises(ValueError, match=r"corrupt \(unexpected content\)"):
        TaskFeed(client, MISSING_ID, cursor=_forge(["task", json.loads(base64.urlsafe_b64decode(
            TaskFeed(client, MISSING_ID).cursor[8:] + "==="))[1], "yes"]))


# -- runs ------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def service(package):
    return package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}")


def test_executions_finishing_each_once_in_order(client, service, tmp_path):
    flag = tmp_path / "release"
    blocked = service.executions.create(function_name="block", execution_input={"flag": str(flag)})
    ok = service.executions.create(function_name="echo", execution_input={"config": 1}).wait()
    failed = service.executions.create(function_name="fail").wait()
    feed = RunFeed(client, "execution", service_id=service.id, settle=0)

    changes = feed.poll()

    assert [(c.kind, c.id) for c in changes] == [("run_finished", ok.id), ("run_finished", failed.id)]
    assert changes[0].data == {"id": ok.id, "kind": "execution", "status": "success", "succeeded": True,
                               "serviceId": service.id, "functionName": "echo"}
    assert changes[1].data["status"] == "failed" and "boom from user code" in changes[1].data["message"]
    assert changes[0].at == ok.updated_at
    assert feed.poll() == []  # still running: not a change yet

    flag.write_text("go")
    blocked = blocked.wait()
    restarted = RunFeed(client, "execution", service_id=service.id, cursor=feed.cursor, settle=0)
    assert [c.id for c in restarted.poll()] == [blocked.id]
    assert restarted.poll() == []
    only = RunFeed(client, "execution", [failed.id, blocked.id], settle=0)
    assert [c.id for c in only.poll()] == [failed.id, blocked.id]


def test_pipeline_executions_finishing(client, project, dataset):
    item = dataset.items.upload(local_path=b"x", remote_path="/", remote_name="x.txt")
    pipeline = project.pipelines.create(name=f"pipe-{uuid.uuid4().hex[:6]}")
    pipeline.connect(DatasetNode("a", project.id, dataset.id), DatasetNode("b", project.id, dataset.id))
    pipeline = pipeline.update().install()
    runs = [pipeline.execute(execution_input={"item": item.id}).wait(timeout=60) for _ in range(2)]
    feed = RunFeed(client, "pipeline_execution", pipeline_id=pipeline.id, settle=0, page_size=1)

    changes, _ = drain(lambda cursor: RunFeed(client, "pipeline_execution", pipeline_id=pipeline.id,
                                              cursor=cursor, settle=0, page_size=1), max_changes=1)

    assert [c.id for c in changes] == [r.id for r in runs] == [c.id for c in feed.poll()]
    assert changes[0].data == {"id": runs[0].id, "kind": "pipeline_execution", "status": "success",
                               "succeeded": True, "pipelineId": pipeline.id}
    assert [c.id for c in RunFeed(client, "pipeline_execution", [runs[1].id], settle=0).poll()] == [runs[1].id]

    assert pipeline.pipeline_executions.rerun(method="startFromBeginning") is True  # finishing again is a change
    for run in runs:
        assert pipeline.pipeline_executions.wait(pipeline_execution_id=run.id, timeout=60).status == "success"
    assert sorted(c.id for c in feed.poll()) == sorted(r.id for r in runs)


def test_run_feed_bad_input(client, service):
    with pytest.raises(NotFound):
        RunFeed(client, "execution", service_id=MISSING_ID).poll()
    with pytest.raises(NotFound):
        RunFeed(client, "pipeline_execution", pipeline_id=MISSING_ID).poll()
    bad = [
        (("task",), {"run_ids": ["a"]}, "RunFeed follows kind 'execution' or 'pipeline_execution', got 'task'"),
        (("execution",), {}, "pass exactly one of run_ids, service_id, pipeline_id"),
        (("execution",), {"run_ids": ["a"], "service_id": "b"}, "pass exactly one of"),
        (("execution",), {"pipeline_id": "p"}, "pipeline_id does not select runs of kind 'execution'"),
        (("pipeline_execution",), {"service_id": "s"}, "service_id does not select runs"),
        (("execution",), {"run_ids": "abc"}, "run_ids must be a non-empty list"),
        (("execution",), {"run_ids": []}, "run_ids must be a non-empty list"),
        (("execution",), {"service_id": ""}, "service_id must be a non-empty string"),
        (("execution",), {"service_id": "s", "page_size": 101}, "page_size must be an int from 1 to 100"),
        (("execution",), {"service_id": "s", "cursor": RunFeed(client, "execution", ["x"]).cursor},
         "cursor was made for another set of runs"),
    ]
    for args, options, message in bad:
        with pytest.raises(ValueError, match=message):
            RunFeed(client, *args, **options)
