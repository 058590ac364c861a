"""Results that cross process boundaries (plain JSON, secret-free pickles) and loud query failures."""
from __future__ import annotations

import json
import pickle

import pytest

from dataloop_core import Filters
from dataloop_core.exceptions import BadRequest, MissingEntity


@pytest.fixture
def items(dataset):
    return [dataset.items.upload(local_path=data, remote_path=folder, remote_name=name)
            for data, folder, name in ((b"a", "/raw", "a.txt"), (b"bb", "/raw", "b.txt"), (b"c", "/done", "c.txt"))]


def test_entities_are_plain_json_and_pickle_without_the_token(client, dataset, items):
    token = client.transport.token.encode()
    for entity in (dataset, items[0], dataset.project):
        data = entity.to_dict()
        assert json.loads(json.dumps(data)) == data == entity.to_json()
        dataset.items  # a cached repository holds the client: it must not travel either
        pickled = pickle.dumps(entity)
        assert token not in pickled
    restored = pickle.loads(pickle.dumps(items[0]))
    assert restored.id == items[0].id and restored.filename == "/raw/a.txt"
    with pytest.raises(MissingEntity, match=r"unpickled without a client: call entity.bind\(client\)"):
        restored.annotations.list()
    assert restored.bind(client).annotations.list().annotations == []


def test_a_rejected_query_raises_with_the_servers_message(dataset, items):
    with pytest.raises(BadRequest, match=r"\$regexx"):
        dataset.items.list(filters={"filename": {"$regexx": "a"}})


def test_a_dict_is_a_dql_filter_or_body(dataset, items):
    raw = sorted(i.name for i in dataset.items.list(filters={"dir": "/raw"}).all())
    assert raw == ["a.txt", "b.txt"]
    body = {"filter": {"$and": [{"dir": "/done"}, {"type": "file"}]}, "sort": {"filename": "descending"},
            "pageSize": 1}
    pages = dataset.items.list(filters=body)
    assert [i.name for i in pages.items] == ["c.txt"] and pages.page_size == 1
    assert body == {"filter": {"$and": [{"dir": "/done"}, {"type": "file"}]}, "sort": {"filename": "descending"},
                    "pageSize": 1}  # the caller's dict is never changed
    task = dataset.tasks.create(task_name="by-dict", assignee_ids=["a@dataloop.local"], filters={"dir": "/raw"})
    assert sorted(i.name for i in task.get_items().all()) == ["a.txt", "b.txt"]
    assert dataset.items.update(filters={"dir": "/done"}, update_values={"seen": 1})
    assert dataset.items.get(item_id=items[2].id).metadata["user"]["seen"] == 1


def test_wrong_filter_types_name_what_is_expected(client, dataset):
    with pytest.raises(TypeError, match="filters must be a Filters or a dict .* not list"):
        dataset.items.list(filters=["dir", "/raw"])
    with pytest.raises(TypeError, match="a DQL filter must be an object, got str"):
        dataset.items.list(filters={"filter": "dir=/raw"})
    with pytest.raises(ValueError, match="filters are for resource 'items', not 'datasets'"):
        dataset.items.update(filters={"filter": {}, "resource": "datasets"}, update_values={"a": 1})
    with pytest.raises(ValueError, match="unknown DQL body keys: pagesize"):
        Filters.from_dict({"filter": {}, "pagesize": 5})
    with pytest.raises(TypeError, match="filters must be a Filters or a dict"):
        client.executions.list(filters="status=failed")
