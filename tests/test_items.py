"""Items repository and entity: list/get/update/delete/clone/move/make_dir/status, and emulator consistency."""
import pytest

from dataloop_core import Filters
from dataloop_core.entities.item import Item
from dataloop_core.exceptions import BadRequest, NotFound

ANNA, MISSING_ID = "anna@labelers.io", "0" * 24
EMPTY_PAGE = {"items": [], "totalItemsCount": 0, "totalPagesCount": 0, "hasNextPage": False}


@pytest.fixture
def files(dataset):
    return [dataset.items.upload(data, remote_name=name, remote_path=folder)
            for data, name, folder in [(b"aa", "a.txt", "/x"), (b"bbb", "b.txt", "/x/y"), (b"c", "c.txt", "/")]]


def test_list_get_and_get_all_items(dataset, files):
    pages = dataset.items.list()
    assert len(pages) == 3 and {i.filename for i in pages.all()} == {"/x/a.txt", "/x/y/b.txt", "/c.txt"}
    assert {i.filename for i in dataset.items.get_all_items(Filters(field="dir", values="/x"))} == {"/x/a.txt"}
    got = dataset.items.get(item_id=files[0].id)
    assert got.filename == "/x/a.txt" and got.dir == "/x" and got.name == "a.txt" and got.size == 2
    assert dataset.items.get(filepath="/x/y/b.txt").id == files[1].id
    folder = dataset.items.get(filepath="/x/y", is_dir=True)
    assert folder.is_dir and folder.type == "dir"
    assert [p.filename for p in dataset.items.list(page_size=1, page_offset=1)[1]] != []


def test_get_errors(client, dataset, files):
    with pytest.raises(NotFound, match="Item not found"):
        dataset.items.get(filepath="/nope.txt")
    with pytest.raises(NotFound, match="Item not found: 0000000000000000000000ff"):
        client.items.get(item_id="0000000000000000000000ff")
    with pytest.raises(BadRequest, match="invalid item id"):
        client.items.get(item_id="not-an-id")
    with pytest.raises(ValueError, match="exactly one"):
        dataset.items.get()


def test_item_update_diff_rename_and_system_guard(dataset, files):
    item = files[0]
    item.metadata.setdefault("user", {})["k"] = 1
    item.system["size"] = 999  # ignored without system_metadata
    item.name = "renamed.txt"
    updated = item.update()
    assert updated.filename == "/x/renamed.txt" and updated.metadata["user"] == {"k": 1} and updated.size == 2
    assert dataset.items.update(item=updated) is updated  # empty diff: no request


def test_set_description_move_and_delete(dataset, files):
    item = files[0].set_description("hello")
    assert dataset.items.get(item_id=item.id).description == "hello"
    moved = item.move("/new/place/")
    assert moved.filename == "/new/place/a.txt"
    assert dataset.items.get(filepath="/new/place", is_dir=True)
    assert item.delete() is True
    with pytest.raises(NotFound):
        dataset.items.get(item_id=item.id)


def test_rename_to_existing_path_is_rejected(dataset, files):
    files[0].filename = "/c.txt"
    with pytest.raises(BadRequest, match="already exists"):
        files[0].update(system_metadata=True)


def test_bulk_update_and_delete_by_filters(dataset, files):
    dataset.items.update(filters=Filters(field="filename", values="/x"), update_values={"tag": "v"})
    tagged = dataset.items.get_all_items(Filters(field="metadata.user.tag", values="v"))
    assert {i.filename for i in tagged} == {"/x/a.txt", "/x/y/b.txt"}
    dataset.items.update(filters=Filters(field="filename", values="/c.txt"), system_update_values={"s": 1},
                         system_metadata=True)
    assert dataset.items.get(filepath="/c.txt").system["s"] == 1
    with pytest.raises(ValueError):
        dataset.items.update(filters=Filters(), system_update_values={"s": 2})
    assert dataset.items.delete(filters=Filters(field="dir", values="/x/y")) is True
    assert {i.filename for i in dataset.items.list().all()} == {"/x/a.txt", "/c.txt"}
    assert dataset.items.delete(filename="/c.txt") is True
    assert [i.filename for i in dataset.items.list().all()] == ["/x/a.txt"]


def test_deleting_a_folder_removes_its_content(dataset, files):
    folder = dataset.items.get(filepath="/x", is_dir=True)
    folder.delete()
    assert [i.filename for i in dataset.items.list().all()] == ["/c.txt"]


def test_make_dir_and_move_items(dataset, files):
    folder = dataset.items.make_dir("/made/here")
    assert folder.is_dir and folder.filename == "/made/here"
    assert dataset.items.move_items("/made/here", items=[files[2]]) is True
    assert dataset.items.get(item_id=files[2].id).filename == "/made/here/c.txt"
    dataset.items.move_items("/fresh", filters=Filters(field="dir", values="/x/y"))
    assert dataset.items.get(item_id=files[1].id).filename == "/fresh/b.txt"
    with pytest.raises(ValueError):
        dataset.items.move_items("/z")


def test_clone_item_with_annotations(project, dataset, files, unique):
    from dataloop_core.entities.annotation_definitions import Point
    files[0].annotations.builder().add(Point(1, 2, label="p")).upload()
    target = project.datasets.create(unique("target"))
    clone = files[0].clone(dst_dataset_id=target.id, remote_filepath="/copy/a.txt")
    assert clone.dataset_id == target.id and clone.filename == "/copy/a.txt" and clone.size == 2
    assert clone.annotations_count == 1 and clone.src_item == files[0].id
    with pytest.raises(Exception, match="already exists"):
        files[0].clone(dst_dataset_id=target.id, remote_filepath="/copy/a.txt")


def _refs(dataset, item, ref_type):
    """``{ref id: status}`` of the item's task or assignment refs, read back from the server."""
    refs = dataset.items.get(item_id=item.id).system["refs"]
    return {r["id"]: r["metadata"].get("status") for r in refs if r["type"] == ref_type}


def test_update_status_by_task_and_by_assignment(dataset, files, unique):
    with pytest.raises(ValueError, match="no task or assignment"):
        dataset.items.update_status("completed", items=[files[0]])
    task = dataset.tasks.create(unique("status"), assignee_ids=[ANNA], items=files)
    assignment_id = task.assignment_ids[0]
    with pytest.raises(ValueError, match="unknown item status .bogus.; expected one of: completed"):
        dataset.items.update_status("bogus", items=[files[0]], task_id=task.id)

    assert dataset.items.update_status("completed", items=files[:2], task_id=task.id) is True
    assert [_refs(dataset, f, "task") for f in files[:2]] == [{task.id: "completed"}] * 2
    assert _refs(dataset, files[0], "assignment") == {assignment_id: "completed"}
    assert _refs(dataset, files[2], "task") == {task.id: None}
    fresh = dataset.tasks.get(task_id=task.id)
    assert (fresh.progress, fresh.item_status, fresh.status) == (67, {"completed": 2}, "open")

    assert dataset.items.update_status("discard", items=[files[2]], assignment_id=assignment_id) is True
    assert dataset.items.get(item_id=files[2].id).status(task_id=task.id) == "discard"
    fresh = dataset.tasks.get(task_id=task.id)
    assert (fresh.progress, fresh.item_status, fresh.status) == (100, {"completed": 2, "discard": 1}, "completed")

    dataset.items.update_status("discard", items=[files[2]], assignment_id=assignment_id, clear=True)
    assert _refs(dataset, files[2], "assignment") == {assignment_id: None}
    dataset.items.update_status("completed", item_ids=[files[0].id], clear=True)  # ids taken from the refs
    assert _refs(dataset, files[0], "task") == {task.id: None}
    fresh = dataset.tasks.get(task_id=task.id)
    assert (fresh.progress, fresh.item_status, fresh.status) == (33, {"completed": 1}, "open")
    assert fresh.assignments.get(assignment_id=assignment_id).item_status == {"completed": 1}


def test_update_status_errors_leave_statuses_unchanged(dataset, files, unique):
    task = dataset.tasks.create(unique("status-err"), assignee_ids=[ANNA], items=files[:1])
    with pytest.raises(NotFound, match=f"Task not found: {MISSING_ID}"):
        dataset.items.update_status("completed", items=[files[0]], task_id=MISSING_ID)
    with pytest.raises(NotFound, match=f"Assignment not found: {MISSING_ID}"):
        dataset.items.update_status("completed", items=[files[0]], assignment_id=MISSING_ID)
    with pytest.raises(BadRequest, match="invalid task id"):
        dataset.items.update_status("completed", items=[files[0]], task_id="not-an-id")
    with pytest.raises(BadRequest, match="not an action"):
        dataset.items.update_status("approved", items=[files[0]], task_id=task.id)
    with pytest.raises(NotFound, match="is not in assignment"):
        dataset.items.update_status("completed", items=[files[1]], assignment_id=task.assignment_ids[0])
    assert _refs(dataset, files[0], "task") == {task.id: None}
    assert dataset.tasks.get(task_id=task.id).progress == 0


def test_task_scores_and_local_helpers(client, dataset, files, unique, monkeypatch):
    task = dataset.tasks.create(unique("scores"), assignee_ids=[ANNA], items=files[:1])
    assert dataset.items.task_scores(item_id=files[0].id, task_id=task.id, page_size=5) == EMPTY_PAGE
    with pytest.raises(NotFound, match=f"Item not found: {MISSING_ID}"):
        dataset.items.task_scores(item_id=MISSING_ID, task_id=task.id)
    with pytest.raises(NotFound, match=f"Task not found: {MISSING_ID}"):
        dataset.items.task_scores(item_id=files[0].id, task_id=MISSING_ID)
    with pytest.raises(BadRequest, match="invalid item id"):
        dataset.items.task_scores(item_id="i1", task_id=task.id)
    with pytest.raises(BadRequest, match="page and pageSize"):
        dataset.items.task_scores(item_id=files[0].id, task_id=task.id, page_size="many")
    opened = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    dataset.items.open_in_web(item=files[0])
    assert opened[0].endswith(f"/datasets/{dataset.id}/items/{files[0].id}")

    class Custom(Item):
        pass
    dataset.items.set_items_entity(Custom)
    assert isinstance(dataset.items.get(item_id=files[0].id), Custom)
    with pytest.raises(ValueError):
        dataset.items.set_items_entity(dict)


def test_item_status_reads_refs(dataset, files):
    item = files[0]
    item.system["refs"] = [{"type": "task", "id": "t9", "metadata": {"status": "completed"}}]
    assert item.status(task_id="t9") == "completed" and item.status(task_id="other") is None
