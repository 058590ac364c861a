"""Assignments over real HTTP: list/get/update, reassign and redistribute (commands), create, items, statuses."""
from __future__ import annotations

import pytest

from dataloop_core import Filters
from dataloop_core.entities.assignment import Assignment
from dataloop_core.entities.command import Command
from dataloop_core.entities.workload import Workload
from dataloop_core.exceptions import BadRequest, NotFound

ANNA, BEN, CARL = "anna@labelers.io", "ben@labelers.io", "carl@labelers.io"
MISSING_ID = "0" * 24


@pytest.fixture
def items(dataset, tmp_path):
    """Ten uploaded items, sorted by id."""
    for i in range(10):
        (tmp_path / f"img-{i}.txt").write_text(str(i))
    list(dataset.items.upload(local_path=str(tmp_path / "*"), remote_path="/work") or [])
    return sorted(dataset.items.list().all(), key=lambda i: i.id)


@pytest.fixture
def task(dataset, items, unique):
    """A task over the ten items, split 60/40 between Anna and Ben."""
    return dataset.tasks.create(unique("task"), workload=Workload.generate([ANNA, BEN], [60, 40]))


def by_annotator(task) -> dict:
    return {a.annotator: a for a in task.assignments.list()}


def counts(task) -> dict:
    return {a.annotator: a.total_items for a in task.assignments.list()}


# -- reads -----------------------------------------------------------------------------------------
def test_list__by_task_project_assignee_and_status(project, task, client):
    anna = by_annotator(task)[ANNA]
    assert {a.annotator for a in project.assignments.list(task_id=task.id)} == {ANNA, BEN}
    assert [a.id for a in client.assignments.list(project_ids=[project.id], assignee_id=ANNA)] == [anna.id]
    assert [a.id for a in task.assignments.list(pages_size=1)] and len(task.assignments.list(pages_size=1)) == 1
    task.set_status("completed", "create", [i.id for i in anna.get_items().all()])
    assert [a.id for a in task.assignments.list(status="completed")] == [anna.id]
    assert task.assignments.list(assignment_name=anna.name)[0].id == anna.id


def test_list__from_the_dataset(dataset, task):
    assert {a.annotator for a in dataset.assignments.list()} == {ANNA, BEN}


def test_list__page_envelope_and_missing_projects(project, task, client):
    page = client.transport.json("GET", "/assignments", params={"projects": project.id, "taskId": task.id})
    assert page["totalItemsCount"] == 2 and page["hasNextPage"] is False
    with pytest.raises(BadRequest, match="projects is required"):
        client.transport.json("GET", "/assignments")


def test_get__by_id_and_name_and_errors(task, client):
    anna = by_annotator(task)[ANNA]
    fetched = client.assignments.get(assignment_id=anna.id)
    assert isinstance(fetched, Assignment) and fetched.task_id == task.id and fetched.dataset_id == task.dataset_id
    assert fetched.total_items == 6 and fetched.status == "open" and fetched.task.id == task.id
    assert task.assignments.get(assignment_name=anna.name).id == anna.id
    with pytest.raises(NotFound, match=f"Assignment not found: {MISSING_ID}"):
        client.assignments.get(assignment_id=MISSING_ID)
    with pytest.raises(BadRequest, match="invalid assignment id"):
        client.assignments.get(assignment_id="zzz")
    with pytest.raises(NotFound):
        task.assignments.get(assignment_name="nobody's")


def test_update__rename_and_system_metadata(task):
    anna = by_annotator(task)[ANNA]
    anna.name = "anna's share"
    anna.metadata["user"] = {"shift": "night"}
    assert anna.update() is anna and anna.name == "anna's share"
    anna.metadata["system"]["note"] = "x"
    anna.metadata["system"]["taskId"] = MISSING_ID
    anna.update(system_metadata=True)
    fresh = task.assignments.get(assignment_id=anna.id)
    assert fresh.metadata["user"] == {"shift": "night"} and fresh.metadata["system"]["note"] == "x"
    assert fresh.task_id == task.id


def test_get_items(task, dataset):
    ben = by_annotator(task)[BEN]
    assert len(list(ben.get_items().all())) == 4
    narrowed = task.assignments.get_items(assignment_id=ben.id, dataset=dataset, filters=Filters("name", "img-*"))
    assert len(narrowed) == 4
    with pytest.raises(ValueError):
        task.assignments.get_items()


# -- moves -----------------------------------------------------------------------------------------
def test_reassign__moves_unfinished_items_and_keeps_finished_ones(task):
    anna = by_annotator(task)[ANNA]
    finished = anna.get_items().items[0]
    anna.set_status("completed", "create", finished.id)
    carl = anna.reassign(CARL)
    assert isinstance(carl, Assignment) and carl.annotator == CARL and carl.total_items == 5
    assert counts(task) == {ANNA: 1, BEN: 4, CARL: 5}
    assert [i.id for i in task.assignments.get(assignment_id=anna.id).get_items().all()] == [finished.id]


def test_reassign__to_an_existing_assignee_merges_and_drops_the_empty_assignment(task, client):
    anna, ben = by_annotator(task)[ANNA], by_annotator(task)[BEN]
    merged = task.assignments.reassign(BEN, assignment=anna)
    assert merged.id == ben.id and merged.total_items == 10
    assert counts(task) == {BEN: 10}
    assert client.tasks.get(task_id=task.id).assignment_ids == [ben.id]
    with pytest.raises(NotFound):
        client.assignments.get(assignment_id=anna.id)


def test_reassign__bad_input(task, client, unique, dataset):
    anna = by_annotator(task)[ANNA]
    other = dataset.tasks.create(unique("other"), assignee_ids=[CARL])
    with pytest.raises(BadRequest, match="belongs to task"):
        client.assignments.reassign(CARL, assignment_id=anna.id, task_id=other.id)
    with pytest.raises(BadRequest, match="invalid email"):
        anna.reassign("carl")
    with pytest.raises(BadRequest, match="already assigned"):
        anna.reassign(ANNA)
    with pytest.raises(NotFound):
        client.assignments.reassign(CARL, assignment_id=MISSING_ID, task_id=task.id)
    with pytest.raises(ValueError):
        client.assignments.reassign(CARL)
    assert counts(task) == {ANNA: 6, BEN: 4}


def test_redistribute__splits_by_the_new_loads(task):
    anna = by_annotator(task)[ANNA]
    result = anna.redistribute(Workload.generate([ANNA, CARL], [50, 50]))
    assert {a.annotator for a in result} == {ANNA, CARL}
    assert counts(task) == {ANNA: 3, BEN: 4, CARL: 3}


def test_redistribute__bad_workload_and_wait_false(task):
    ben = by_annotator(task)[BEN]
    with pytest.raises(BadRequest, match="sum to 100"):
        task.assignments.redistribute([{"assigneeId": CARL, "load": 40}], assignment=ben)
    with pytest.raises(ValueError):
        task.assignments.redistribute(Workload(), assignment=ben)
    command = task.assignments.redistribute(Workload.generate([CARL]), assignment=ben, wait=False)
    assert isinstance(command, Command)
    command.wait()
    assert counts(task) == {ANNA: 6, CARL: 4}


def test_create__adds_items_for_a_new_assignee(dataset, items, unique):
    task = dataset.tasks.create(unique("t"), assignee_ids=[ANNA], items=items[:5])
    carl = task.assignments.create(assignee_id=CARL, items=items[5:8])
    assert carl.annotator == CARL and carl.total_items == 3
    named = task.create_assignment("ben's", BEN, items=items[8:])
    assert named.name == "ben's" and named.total_items == 2
    with pytest.raises(ValueError):
        task.assignments.create(assignee_id=CARL)


# -- statuses ----------------------------------------------------------------------------------------
def test_set_status__sets_clears_and_rejects(task, items, client):
    ben = by_annotator(task)[BEN]
    item = ben.get_items().items[0]
    assert ben.set_status("discard", "create", item.id) is True
    assert client.items.get(item_id=item.id).status(assignment_id=ben.id) == "discard"
    assert client.assignments.get(assignment_id=ben.id).progress == 25
    assert ben.set_status("discard", "delete", item.id) is True
    assert client.items.get(item_id=item.id).status(task_id=task.id) is None
    outsider = next(i for i in items if i.id not in {x.id for x in ben.get_items().all()})
    with pytest.raises(NotFound, match="not in assignment"):
        ben.set_status("completed", "create", outsider.id)
    with pytest.raises(BadRequest, match="not an action"):
        ben.set_status("approved", "create", item.id)
    with pytest.raises(NotFound, match="Item not found"):
        ben.set_status("completed", "create", MISSING_ID)
    assert client.assignments.get(assignment_id=ben.id).progress == 0


def test_open_in_web(task, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, **_: opened.append(url))
    anna = by_annotator(task)[ANNA]
    task.assignments.open_in_web(assignment=anna)
    task.assignments.open_in_web()
    assert opened[0].endswith(f"projects/{task.project_id}/assignments/{anna.id}")
    assert opened[1].endswith(f"projects/{task.project_id}/tasks/{task.id}/assignments")
