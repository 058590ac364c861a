"""Annotations repository, entity and emulator: upload batches, list, diff update, status, delete variants."""
import json

import pytest

from dataloop_core import Filters, FiltersResource
from dataloop_core.entities.annotation import Annotation, AnnotationStatus
from dataloop_core.entities.annotation_collection import AnnotationCollection
from dataloop_core.entities.annotation_definitions import Box, Classification, Point, Polygon
from dataloop_core.exceptions import BadRequest, NotFound


@pytest.fixture
def item(dataset):
    return dataset.items.upload(b"x" * 10, remote_name="a.bin")


def _count(client, item):
    return client.items.get(item_id=item.id).annotations_count


def test_builder_upload_returns_created_annotations(client, item):
    builder = item.annotations.builder()
    builder.add(Box(left=1, top=2, right=30, bottom=40, label="car"), object_id=7, frame_num=0)
    builder.add(Classification(label="day"), model_info={"name": "m", "confidence": 0.5})
    created = builder.upload()
    assert isinstance(created, AnnotationCollection) and len(created) == 2
    box = created[0]
    assert box.id and box.item_id == item.id and box.type == "box" and box.creator == "tester@dataloop.local"
    assert (box.left, box.top, box.right, box.bottom) == (1, 2, 30, 40) and box.object_id == "7"
    assert box.coordinates == [{"x": 1, "y": 2, "z": 0}, {"x": 30, "y": 40, "z": 0}]
    assert created[1].metadata["user"]["model"]["confidence"] == 0.5 and "coordinates" not in created[1].to_json()
    item_now = client.items.get(item_id=item.id)
    assert item_now.annotated is True and item_now.annotations_count == 2


def test_upload_accepts_dicts_strings_files_and_batches(client, item, tmp_path):
    point = {"type": "point", "label": "p", "coordinates": {"x": 1, "y": 2, "z": 0}}
    assert len(item.annotations.upload(point)) == 1
    assert len(item.annotations.upload(json.dumps(point))) == 1
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"annotations": [point] * 3}))
    assert len(item.annotations.upload(str(path))) == 3
    many = item.annotations.upload([point] * 250)  # three POSTs of <= 100
    assert len(many) == 250 and _count(client, item) == 255
    assert len(item.annotations.list()) == 255


def test_get_list_and_dataset_pages(client, dataset, item):
    item.annotations.builder().add(Point(3, 4, label="a")).add(Point(5, 6, label="b")).upload()
    collection = item.annotations.list()
    got = client.annotations.get(collection[0].id)
    assert got.label == "a" and got.x.tolist() == [3.0]
    pages = dataset.annotations.list(filters=Filters(field="label", values="b", resource=FiltersResource.ANNOTATION))
    assert [a.label for a in pages.all()] == ["b"]
    assert len(dataset.items.list(filters=Filters(resource=FiltersResource.ANNOTATION))) == 2


def test_annotation_errors(client, item):
    with pytest.raises(BadRequest, match="invalid annotation id"):
        client.annotations.get("bad")
    with pytest.raises(NotFound, match="Annotation not found"):
        client.annotations.get("0000000000000000000000aa")
    with pytest.raises(BadRequest, match="type"):
        item.annotations.upload({"label": "no type"})
    assert _count(client, item) == 0  # nothing half-written
    with pytest.raises(ValueError, match="needs a item"):
        client.annotations.builder()
    with pytest.raises(ValueError, match="Box, Point"):
        item.annotations.builder().add("not a definition")


def test_update_sends_diff_and_status(client, item):
    annotation = item.annotations.builder().add(Polygon([[0, 0], [4, 0], [4, 4]], label="x")).upload()[0]
    annotation.label = "y"
    annotation.metadata["user"] = {"note": 1}
    updated = annotation.update()
    assert updated.label == "y" and client.annotations.get(annotation.id).metadata["user"] == {"note": 1}
    annotation.system["status"] = "hacked"
    annotation.update()  # without system_metadata the server ignores metadata.system
    assert client.annotations.get(annotation.id).status is None
    assert annotation.update_status(AnnotationStatus.APPROVED).status == "approved"
    cleared = item.annotations.update_status(annotation_id=annotation.id, status=AnnotationStatus.CLEAR)
    assert cleared.status is None


def test_delete_variants_keep_item_counts(client, dataset, item):
    made = item.annotations.upload([{"type": "point", "label": str(i), "coordinates": {"x": i, "y": i}}
                                    for i in range(6)])
    assert made[0].delete() is True and _count(client, item) == 5
    item.annotations.delete(annotation=made[1])
    dataset.annotations.delete(annotation_id=[made[2].id, made[3].id])
    assert _count(client, item) == 2
    dataset.annotations.delete(filters=Filters(field="label", values="4", resource=FiltersResource.ANNOTATION))
    assert [a.label for a in item.annotations.list()] == ["5"]
    item.annotations.delete(annotation="all")
    refreshed = client.items.get(item_id=item.id)
    assert refreshed.annotations_count == 0 and refreshed.annotated is False
    with pytest.raises(ValueError):
        item.annotations.delete()


def test_deleting_item_removes_its_annotations(client, item):
    annotation = item.annotations.upload({"type": "class", "label": "c"})[0]
    item.delete()
    with pytest.raises(NotFound):
        client.annotations.get(annotation.id)


def test_task_scores(dataset, item, unique):
    annotation = item.annotations.upload({"type": "class", "label": "c"})[0]
    task = dataset.tasks.create(unique("scores"), assignee_ids=["anna@labelers.io"], items=[item])
    assert item.annotations.task_scores(annotation_id=annotation.id, task_id=task.id, page_size=5) == {
        "items": [], "totalItemsCount": 0, "totalPagesCount": 0, "hasNextPage": False}
    missing = "0" * 24
    with pytest.raises(NotFound, match=f"Annotation not found: {missing}"):
        item.annotations.task_scores(annotation_id=missing, task_id=task.id)
    with pytest.raises(NotFound, match=f"Task not found: {missing}"):
        item.annotations.task_scores(annotation_id=annotation.id, task_id=missing)
    with pytest.raises(BadRequest, match="invalid annotation id"):
        item.annotations.task_scores(annotation_id="a1", task_id=task.id)
    with pytest.raises(BadRequest, match="invalid task id"):
        item.annotations.task_scores(annotation_id=annotation.id, task_id="t1")


def test_annotation_entity_from_json_keeps_unknown_keys(client):
    annotation = Annotation(client, {"id": "1", "type": "weird", "coordinates": {"q": 1}, "extra": True})
    assert annotation.annotation_definition.to_coordinates() == {"q": 1} and annotation.to_json()["extra"]
