"""Tasks over real HTTP: create (command) from filters/items/query, workload split, statuses, progress, QA tasks,
add/remove items, update/delete, bad input leaving state intact."""
from __future__ import annotations

import json

import pytest

from dataloop_core import Filters, FiltersResource, PagedEntities
from dataloop_core.entities.command import Command
from dataloop_core.entities.task import ItemAction, Task
from dataloop_core.entities.workload import Workload, WorkloadUnit
from dataloop_core.exceptions import BadRequest, MissingEntity, NotFound

ANNA, BEN, CARL = "anna@labelers.io", "ben@labelers.io", "carl@labelers.io"
MISSING_ID = "0" * 24


def upload(dataset, tmp_path, folder: str, count: int) -> list:
    """``count`` small text files uploaded under ``/<folder>``; returns the items sorted by id."""
    source = tmp_path / folder
    source.mkdir()
    for i in range(count):
        (source / f"{folder}-{i}.txt").write_text(str(i))
    list(dataset.items.upload(local_path=str(source), remote_path="/") or [])
    return sorted(dataset.items.list(filters=Filters("dir", f"/{folder}")).all(), key=lambda i: i.id)


@pytest.fixture
def train(dataset, tmp_path):
    """Ten items under /train and three under /val, so a filter selects a strict subset."""
    upload(dataset, tmp_path, "val", 3)
    return upload(dataset, tmp_path, "train", 10)


def split(task) -> dict:
    return {a.annotator: a.total_items for a in task.assignments.list()}


def raw_create(client, dataset, **changes) -> dict:
    payload = {"name": "raw", "query": json.dumps(Filters().prepare()), "datasetId": dataset.id,
               "projectId": dataset.project_id, "spec": {"type": "annotation"},
               "workload": [{"assigneeId": ANNA, "load": 100}]}
    payload.update(changes)
    return client.transport.json("POST", "/annotationtasks", json=payload)


# -- the scenario ----------------------------------------------------------------------------------
def test_scenario__filtered_task_split_60_40_completes(dataset, train, unique, emulator):
    events = []
    emulator.emulator.events.subscribe(lambda resource, action, doc: events.append((resource, action, doc["id"])))
    workload = Workload.generate([ANNA, BEN], loads=[60, 40])

    task = dataset.tasks.create(unique("label"), filters=Filters("dir", "/train"), workload=workload)

    assert isinstance(task, Task) and task.status == "open" and task.progress == 0
    assert task.total_items == 10 and len(task.assignment_ids) == 2
    assert split(task) == {ANNA: 6, BEN: 4}
    items = list(task.get_items().all())
    assert sorted(i.id for i in items) == sorted(i.id for i in train)
    refs = items[0].system["refs"]
    assert {r["type"] for r in refs} == {"task", "assignment"} and task.id in {r["id"] for r in refs}

    anna, ben = sorted(task.assignments.list(), key=lambda a: a.annotator)
    assert task.set_status("completed", "create", [i.id for i in anna.get_items().all()])
    task = dataset.tasks.get(task_id=task.id)
    assert (task.progress, task.status, task.item_status) == (60, "open", {"completed": 6})
    assert task.assignments.get(assignment_id=anna.id).status == "completed"

    for item in ben.get_items().all():
        assert ben.set_status("discard", "create", item.id)
    task = dataset.tasks.get(task_id=task.id)
    assert (task.progress, task.status, task.item_status) == (100, "completed", {"completed": 6, "discard": 4})
    assert {a.status for a in task.assignments.list()} == {"completed"}
    done = dataset.items.get(item_id=train[0].id)
    assert done.status(task_id=task.id) in ("completed", "discard")
    assert done.system["taskStatusLog"][-1]["taskId"] == task.id
    assert sum(1 for r, a, _ in events if (r, a) == ("ItemStatus", "statusChanged")) == 10
    assert ("Task", "Created", task.id) in events


# -- create ----------------------------------------------------------------------------------------
def test_create__payload_query_is_a_json_string_and_defaults(dataset, train, unique, client):
    task = dataset.tasks.create(unique("t"), assignee_ids=[ANNA, BEN, CARL], items=train[:3])
    assert json.loads(task.query)["filter"] == {"$and": [{"id": {"$in": [i.id for i in train[:3]]}}]}
    assert task.task_owner == client.user_email and task.recipe_id == dataset.metadata["system"]["recipes"][0]
    assert task.task_type == "annotation" and task.priority == 2 and task.due_date > 0
    assert [a.action for a in task.available_actions] == ["completed", "discard"]
    assert sorted(split(task).values()) == [1, 1, 1]


def test_create__from_query_and_all_items_by_default(dataset, train, unique):
    by_query = dataset.tasks.create(unique("q"), assignee_ids=[ANNA],
                                    query={"filter": {"$and": [{"dir": "/val"}]}})
    everything = dataset.tasks.create(unique("all"), assignee_ids=[ANNA])
    assert (by_query.total_items, everything.total_items) == (3, 13)


def test_create__limit_caps_the_items(dataset, train, unique, client):
    task = dataset.tasks.create(unique("lim"), assignee_ids=[ANNA, BEN], filters=Filters("dir", "/train"), limit=4)
    assert task.total_items == 4 and split(task) == {ANNA: 2, BEN: 2}
    with pytest.raises(BadRequest, match="limit"):
        raw_create(client, dataset, limit=-1)


def test_create__check_if_exist_returns_the_existing_task(dataset, train, unique):
    name = unique("exists")
    first = dataset.tasks.create(name, assignee_ids=[ANNA])
    again = dataset.tasks.create(name, assignee_ids=[BEN],
                                 check_if_exist=Filters("name", name, resource=FiltersResource.TASK))
    assert again.id == first.id


def test_create__wait_false_returns_the_command(dataset, train, unique):
    command = dataset.tasks.create(unique("nowait"), assignee_ids=[ANNA], wait=False)
    assert isinstance(command, Command)
    command.wait()
    assert dataset.tasks.get(task_id=command.spec["createdTaskId"]).total_items == 13


def test_create__no_matching_items_is_bad_request_and_creates_nothing(dataset, train, unique):
    name = unique("empty")
    with pytest.raises(BadRequest, match="no items match the task query"):
        dataset.tasks.create(name, assignee_ids=[ANNA], filters=Filters("dir", "/nowhere"))
    assert dataset.tasks.list(task_name=name) == []


@pytest.mark.parametrize("workload, message", [
    ("anna", "must be a list"),
    ([{"assigneeId": ANNA, "load": 60}, {"assigneeId": BEN, "load": 30}], "sum to 100"),
    ([{"assigneeId": "not-an-email", "load": 100}], "invalid email"),
    ([{"assigneeId": ANNA, "load": 50}, {"assigneeId": ANNA, "load": 50}], "twice"),
    ([{"assigneeId": ANNA, "load": 130}], "between 0 and 100"),
])
def test_create__bad_workload_is_rejected_by_the_server(client, dataset, train, workload, message):
    with pytest.raises(BadRequest, match=message):
        raw_create(client, dataset, workload=workload)
    assert dataset.tasks.list() == []
    assert all(not i.system.get("refs") for i in dataset.items.list().all())


@pytest.mark.parametrize("changes, error, message", [
    ({"query": "{not json"}, BadRequest, "not valid JSON"),
    ({"query": None}, BadRequest, "query is required"),
    ({"datasetId": "bad"}, NotFound, "Dataset not found"),
    ({"datasetId": None}, BadRequest, "datasetId is required"),
    ({"datasetId": MISSING_ID}, NotFound, "Dataset not found"),
    ({"spec": {"type": "review"}}, BadRequest, "spec.type"),
    ({"name": ""}, BadRequest, "name"),
])
def test_create__bad_payload(client, dataset, train, changes, error, message):
    with pytest.raises(error, match=message):
        raw_create(client, dataset, **changes)


def test_create__tasks_may_share_a_name(dataset, train, unique):
    name = unique("dup")
    first = dataset.tasks.create(name, assignee_ids=[ANNA])
    second = dataset.tasks.create(name, assignee_ids=[BEN])
    assert first.id != second.id and len(dataset.tasks.list(task_name=name)) == 2


def test_create__without_assignees(dataset, train, unique):
    task = dataset.tasks.create(unique("open"), priority=3)
    assert task.assignment_ids == [] and task.total_items == 13 and task.priority == 3


def test_create__client_side_errors(project, dataset, train, unique):
    with pytest.raises(MissingEntity):
        project.tasks.create(unique("t"), assignee_ids=[ANNA])
    with pytest.raises(ValueError, match="only one of"):
        dataset.tasks.create(unique("t"), assignee_ids=[ANNA], items=train, filters=Filters())
    with pytest.raises(ValueError, match="task_type"):
        dataset.tasks.create(unique("t"), assignee_ids=[ANNA], task_type="review")
    with pytest.raises(ValueError, match="non-empty"):
        dataset.tasks.create(" ", assignee_ids=[ANNA])
    with pytest.raises(ValueError, match="email"):
        dataset.tasks.create(unique("t"), assignee_ids=["nobody"])


def test_create_qa_task__covers_items_with_a_status(dataset, train, unique):
    parent = dataset.tasks.create(unique("parent"), assignee_ids=[ANNA], filters=Filters("dir", "/train"))
    parent.set_status("completed", "create", [i.id for i in train[:4]])
    qa = parent.create_qa_task(assignee_ids=[BEN])
    assert qa.name == f"{parent.name}_qa" and qa.task_type == "qa" and qa.parent_task_id == parent.id
    assert [a.action for a in qa.available_actions] == ["approved", "discard"]
    assert sorted(i.id for i in qa.get_items().all()) == sorted(i.id for i in train[:4])
    assert split(qa) == {BEN: 4}


# -- reads -----------------------------------------------------------------------------------------
def test_get__by_id_and_name_and_errors(dataset, train, unique, client):
    task = dataset.tasks.create(unique("get"), assignee_ids=[ANNA])
    assert client.tasks.get(task_id=task.id).name == task.name
    assert dataset.tasks.get(task_name=task.name).id == task.id
    with pytest.raises(NotFound, match=f"Task not found: {MISSING_ID}"):
        client.tasks.get(task_id=MISSING_ID)
    with pytest.raises(BadRequest, match="invalid task id"):
        client.tasks.get(task_id="nope")
    with pytest.raises(NotFound, match="not found"):
        dataset.tasks.get(task_name=unique("missing"))
    with pytest.raises(ValueError):
        dataset.tasks.get()


def test_list_and_query(project, dataset, train, unique):
    done = dataset.tasks.create(unique("done"), assignee_ids=[ANNA], items=train[:1])
    other = dataset.tasks.create(unique("other"), assignee_ids=[BEN], items=train[1:2])
    done.set_status("completed", "create", [train[0].id])
    assert {t.id for t in project.tasks.list()} == {done.id, other.id}
    assert [t.id for t in dataset.tasks.list(status="completed")] == [done.id]
    assert [t.id for t in dataset.tasks.list(task_name=other.name)] == [other.id]
    assert [t.id for t in dataset.tasks.list(assignments=other.assignment_ids)] == [other.id]
    assert len(dataset.tasks.list(pages_size=1)) == 1
    pages = dataset.tasks.list(filters=Filters("name", done.name, resource=FiltersResource.TASK))
    assert isinstance(pages, PagedEntities) and [t.id for t in pages.all()] == [done.id]
    assert len(project.tasks.query()) == 2
    with pytest.raises(ValueError, match="TASK"):
        project.tasks.query(filters=Filters())


def test_task_scores_is_an_empty_page(dataset, train, unique, client):
    task = dataset.tasks.create(unique("scores"), assignee_ids=[ANNA])
    assert client.tasks.task_scores(task_id=task.id) == {"items": [], "totalItemsCount": 0, "totalPagesCount": 0,
                                                          "hasNextPage": False}
    with pytest.raises(NotFound, match=f"Task not found: {MISSING_ID}"):
        client.tasks.task_scores(task_id=MISSING_ID)
    with pytest.raises(BadRequest, match="invalid task id"):
        client.tasks.task_scores(task_id="t1")


# -- update / delete -------------------------------------------------------------------------------
def test_update__name_priority_actions_description_user_metadata(dataset, train, unique):
    task = dataset.tasks.create(unique("upd"), assignee_ids=[ANNA])
    task.name = unique("renamed")
    task.priority = 3
    task.description = "label every cat"
    task.available_actions = [ItemAction("completed"), ItemAction("to-check", "To check")]
    task.metadata["user"] = {"batch": 7}
    updated = task.update()
    fresh = dataset.tasks.get(task_id=task.id)
    assert updated is task and fresh.name == task.name and fresh.priority == 3
    assert fresh.description == {"content": "label every cat"} and fresh.metadata["user"] == {"batch": 7}
    assert [a.action for a in fresh.available_actions] == ["completed", "to-check"]
    assert fresh.set_status("to-check", "create", [fresh.get_items().items[0].id])


def test_update__to_the_name_of_another_task(dataset, train, unique):
    first = dataset.tasks.create(unique("a"), assignee_ids=[ANNA], items=train[:1])
    second = dataset.tasks.create(unique("b"), assignee_ids=[ANNA], items=train[1:2])
    second.name = first.name
    second.update()
    assert dataset.tasks.get(task_id=second.id).name == first.name


def test_delete__removes_task_assignments_and_item_refs(dataset, train, unique, client):
    task = dataset.tasks.create(unique("del"), assignee_ids=[ANNA, BEN])
    assert task.delete() is True
    with pytest.raises(NotFound):
        client.tasks.get(task_id=task.id)
    with pytest.raises(NotFound):
        client.assignments.get(assignment_id=task.assignment_ids[0])
    assert all(not i.system.get("refs") for i in dataset.items.list().all())


def test_delete__by_name_and_errors(dataset, train, unique, client):
    task = dataset.tasks.create(unique("byname"), assignee_ids=[ANNA])
    assert dataset.tasks.delete(task_name=task.name) is True
    with pytest.raises(NotFound):
        client.tasks.delete(task_id=MISSING_ID)
    with pytest.raises(ValueError):
        client.tasks.delete()


# -- items -----------------------------------------------------------------------------------------
def test_add_items__new_assignee_gets_a_new_assignment(dataset, train, unique):
    task = dataset.tasks.create(unique("add"), assignee_ids=[ANNA], filters=Filters("dir", "/train"))
    same = task.add_items(filters=Filters("dir", "/val"), assignee_ids=[CARL])
    assert same is task and task.total_items == 13
    assert split(task) == {ANNA: 10, CARL: 3}


def test_add_items__without_workload_splits_among_current_assignees(dataset, train, unique):
    task = dataset.tasks.create(unique("even"), assignee_ids=[ANNA, BEN], filters=Filters("dir", "/train"))
    task.add_items(filters=Filters("dir", "/val"))
    assert split(task) == {ANNA: 5 + 2, BEN: 5 + 1}


def test_add_items__nothing_new_is_bad_request(dataset, train, unique):
    task = dataset.tasks.create(unique("nonew"), assignee_ids=[ANNA], filters=Filters("dir", "/train"))
    with pytest.raises(BadRequest, match="already in the task"):
        task.add_items(items=train[:2])
    with pytest.raises(ValueError, match="pass filters, items or query"):
        task.add_items()
    assert dataset.tasks.get(task_id=task.id).total_items == 10


def test_remove_items__keeps_items_that_have_a_status(dataset, train, unique):
    task = dataset.tasks.create(unique("rm"), assignee_ids=[ANNA], filters=Filters("dir", "/train"))
    task.set_status("completed", "create", [train[0].id])
    assert task.remove_items(items=train[:3]) is True
    task = dataset.tasks.get(task_id=task.id)
    assert task.total_items == 8 and task.item_status == {"completed": 1}
    assert not dataset.items.get(item_id=train[1].id).system.get("refs")


# -- statuses ----------------------------------------------------------------------------------------
def test_set_status__clear_and_errors(dataset, train, unique, client):
    task = dataset.tasks.create(unique("st"), assignee_ids=[ANNA], items=train[:2])
    ids = [i.id for i in train[:2]]
    task.set_status("completed", "create", ids)
    assert dataset.tasks.get(task_id=task.id).status == "completed"
    task.set_status("completed", "delete", ids[:1])
    fresh = dataset.tasks.get(task_id=task.id)
    assert (fresh.status, fresh.progress) == ("open", 50)
    assert dataset.items.get(item_id=ids[0]).status(task_id=task.id) is None
    with pytest.raises(BadRequest, match="not an action"):
        task.set_status("bogus", "create", ids)
    with pytest.raises(BadRequest, match="operation"):
        task.set_status("completed", "upsert", ids)
    with pytest.raises(BadRequest, match="invalid item id"):
        task.set_status("completed", "create", ["x"])
    with pytest.raises(NotFound):
        client.tasks.set_status("completed", "create", MISSING_ID, ids)
    assert task.set_status("completed", "create", [train[5].id]) is True  # not in the task: skipped
    assert dataset.tasks.get(task_id=task.id).progress == 50


def test_item_update_status_uses_the_refs(dataset, train, unique):
    task = dataset.tasks.create(unique("item"), assignee_ids=[ANNA], items=train[:1])
    item = dataset.items.get(item_id=train[0].id)
    item.update_status("completed")
    assert dataset.tasks.get(task_id=task.id).status == "completed"


# -- workload and local helpers --------------------------------------------------------------------
def test_workload_generate_and_json():
    assert [u.load for u in Workload.generate([ANNA, BEN, CARL])] == [34, 33, 33]
    workload = Workload.generate([ANNA, BEN], loads=[60, 40])
    assert workload.to_json() == [{"assigneeId": ANNA, "load": 60}, {"assigneeId": BEN, "load": 40}]
    assert Workload.from_json(workload.to_json()).workload == workload.workload
    workload.add(CARL)
    assert [u.load for u in workload] == [60, 40, 0]
    partial = Workload([WorkloadUnit(ANNA, 30)])
    partial.add(BEN)
    assert [u.load for u in partial] == [50, 50]
    with pytest.raises(ValueError, match="sum to 100"):
        Workload.generate([ANNA, BEN], loads=[50, 40])
    with pytest.raises(ValueError, match="loads"):
        Workload.generate([ANNA], loads=[50, 50])
    with pytest.raises(ValueError, match="between 0 and 100"):
        WorkloadUnit(ANNA, 101)


def test_open_in_web(dataset, train, unique, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, **_: opened.append(url))
    task = dataset.tasks.create(unique("web"), assignee_ids=[ANNA])
    task.open_in_web()
    dataset.tasks.open_in_web(task_id="abc")
    assert opened[0].endswith(f"projects/{task.project_id}/tasks/{task.id}")
    assert opened[1].endswith(f"projects/{task.project_id}/tasks/abc")
