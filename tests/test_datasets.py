"""Datasets against the emulator: CRUD, DQL listing, counters, unlock, tree, clone, merge, ML subsets."""
from __future__ import annotations

import warnings

import pytest

from dataloop_core import Filters, FiltersResource
from dataloop_core._transfer import upload_one
from dataloop_core.entities.command import Command
from dataloop_core.entities.dataset import Dataset, ExpirationOptions
from dataloop_core.entities.label import Label
from dataloop_core.exceptions import BadRequest, FailedDependency, Forbidden, NotFound

UNKNOWN_ID = "0123456789abcdef01234567"


def upload(client, dataset, remote_path, data=b"binary", metadata=None):
    return upload_one(client.transport, dataset.id, data, remote_path, item_metadata=metadata)[0]


def annotate(client, item_json, *labels):
    body = [{"type": "class", "label": label, "metadata": {"system": {}}} for label in labels]
    return client.transport.json("POST", f"/items/{item_json['id']}/annotations", json=body)


def items_of(client, dataset_id, **clauses):
    filters = Filters()
    for field, value in clauses.items():
        filters.add(field, value)
    return client.transport.json("POST", f"/datasets/{dataset_id}/query", json=filters.prepare())["items"]


# -- create / get / list -------------------------------------------------------------------------
def test_create_makes_default_recipe_and_ontology(project, unique):
    name = unique("ds")
    dataset = project.datasets.create(name)
    assert isinstance(dataset, Dataset) and dataset.name == name
    assert dataset.projects == [project.id] and dataset.project is project
    recipes = dataset.recipes.list()
    assert len(recipes) == 1 and recipes[0].title == f"{name} Default Recipe"
    assert dataset.ontology_ids == recipes[0].ontology_ids and dataset.labels == []


def test_create_with_labels_builds_own_recipe(project, unique):
    dataset = project.datasets.create(unique("ds"), labels=[Label("cat", color=(255, 0, 0)), Label("dog"),
                                                            Label("car", children=[Label("wheel")])])
    labels = dataset.labels_flat_dict
    assert set(labels) == {"cat", "dog", "car", "car.wheel"}
    assert labels["cat"].hex == "#ff0000"
    colors = [label.hex for label in labels.values()]
    assert len(set(colors)) == len(colors) and None not in colors
    assert dataset.instance_map == {"car": 1, "car.wheel": 2, "cat": 3, "dog": 4}


def test_create_with_label_dict_and_recipe_id(project, unique):
    first = project.datasets.create(unique("ds"), labels={"a": "#00ff00"})
    assert first.labels[0].rgb == (0, 255, 0)
    recipe_id = first.get_recipe_ids()[0]
    second = project.datasets.create(unique("ds"), recipe_id=recipe_id)
    assert second.get_recipe_ids() == [recipe_id]
    assert [label.tag for label in second.labels] == ["a"]


def test_create_options_are_sent(project, unique):
    dataset = project.datasets.create(unique("ds"), expiration_options=ExpirationOptions(item_max_days=7),
                                      index_driver="v2")
    fetched = project.datasets.get(dataset_id=dataset.id)
    assert fetched.expiration_options.item_max_days == 7 and fetched.index_driver == "v2"


def test_create_duplicate_name_is_rejected(project, dataset):
    with pytest.raises(BadRequest, match="already exists"):
        project.datasets.create(dataset.name)
    assert len(project.datasets.list(name=dataset.name)) == 1


def test_create_needs_a_project_and_a_name(client, project):
    with pytest.raises(ValueError):
        client.datasets.create("x")
    with pytest.raises(ValueError):
        project.datasets.create("  ")


def test_get_by_id_and_name(project, dataset):
    assert project.datasets.get(dataset_id=dataset.id).name == dataset.name
    assert project.datasets.get(dataset_name=dataset.name).id == dataset.id
    stub = project.datasets.get(dataset_id=dataset.id, fetch=False)
    assert stub.id == dataset.id and stub.items_count is None


def test_get_errors(client, project):
    with pytest.raises(NotFound, match=f"Dataset not found: {UNKNOWN_ID}"):
        client.datasets.get(dataset_id=UNKNOWN_ID)
    with pytest.raises(NotFound, match="Dataset not found: 'not-an-id'"):  # as the platform answers
        client.datasets.get(dataset_id="not-an-id")
    with pytest.raises(NotFound, match="Dataset not found"):
        project.datasets.get(dataset_name="missing-dataset")


def test_list_is_scoped_to_the_project(client, project, unique):
    names = {unique("ds") for _ in range(3)}
    for name in names:
        project.datasets.create(name)
    other = client.projects.create(unique("project"))
    other.datasets.create(unique("ds"))
    assert {d.name for d in project.datasets.list()} == names
    some = sorted(names)[0]
    assert [d.name for d in project.datasets.list(name=some)] == [some]
    assert len(project.datasets.list(creator="tester@dataloop.local")) == 3
    assert project.datasets.list(filters=Filters("name", "nothing*", resource="datasets")) == []


def test_get_counts_are_live(client, dataset):
    first = upload(client, dataset, "/a/one.png")
    upload(client, dataset, "/two.png")
    annotate(client, first, "cat", "dog")
    fresh = dataset.datasets.get(dataset_id=dataset.id)
    assert (fresh.items_count, fresh.annotated, fresh.annotations_count) == (2, 1, 2)


def test_counts_are_served_by_indexes(emulator):
    """A dataset's GET counts its items and annotated items by index lookups, never by a scan of its items."""
    from dataloop_core.emulator.resources import datasets
    store = emulator.emulator.store
    for index, sql in (("ix_item_list", datasets.OF_TYPE), ("ix_item_annotated", datasets.ANNOTATED)):
        plan = " ".join(row[-1] for row in store.execute("EXPLAIN QUERY PLAN " + sql.format("count(*)"), ("d", "f")))
        assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, plan
        assert "SCAN" not in plan, plan


# -- update / delete / unlock ----------------------------------------------------------------------
def test_update_renames_and_keeps_system_metadata(project, dataset, unique):
    recipes = dataset.get_recipe_ids()
    dataset.name = unique("renamed")
    dataset.metadata["system"]["recipes"] = []
    dataset.metadata["user"] = {"k": "v"}
    dataset.update()
    fetched = project.datasets.get(dataset_id=dataset.id)
    assert fetched.name == dataset.name and fetched.metadata["user"] == {"k": "v"}
    assert fetched.get_recipe_ids() == recipes


def test_update_duplicate_name_is_rejected(project, dataset, unique):
    other = project.datasets.create(unique("ds"))
    other.name = dataset.name
    with pytest.raises(BadRequest, match="already exists"):
        other.update()
    assert project.datasets.get(dataset_id=other.id).name != dataset.name


def test_update_with_patch(project, dataset):
    project.datasets.update(dataset, patch={"metadata": {"user": {"x": 1}, "system": dataset.metadata["system"]}})
    assert project.datasets.get(dataset_id=dataset.id).metadata["user"] == {"x": 1}


def test_delete_removes_items_annotations_and_binaries(client, emulator, project, dataset):
    item = upload(client, dataset, "/a.png")
    annotate(client, item, "cat")
    blob = emulator.emulator.blobs
    assert blob.exists(item["id"])
    with pytest.raises(Forbidden):
        dataset.delete()
    assert dataset.delete(sure=True, really=True) is True
    with pytest.raises(NotFound):
        project.datasets.get(dataset_id=dataset.id)
    store = emulator.emulator.store
    assert store.count("item", dataset.id) == 0 and store.count("annotation", dataset.id) == 0
    assert not blob.exists(item["id"])


def test_delete_by_name_and_unknown(project, dataset):
    assert project.datasets.delete(dataset_name=dataset.name, sure=True, really=True)
    with pytest.raises(NotFound):
        project.datasets.delete(dataset_id=UNKNOWN_ID, sure=True, really=True)
    with pytest.raises(ValueError):
        project.datasets.delete(sure=True, really=True)


def test_unlock(emulator, project, dataset):
    with pytest.raises(BadRequest, match="dataset is not locked"):
        dataset.unlock()
    emulator.emulator.store.patch("dataset", dataset.id, {"locked": True})  # a lock is held only mid-export
    assert project.datasets.get(dataset_id=dataset.id).to_json()["locked"] is True
    assert dataset.unlock() is dataset
    assert project.datasets.get(dataset_id=dataset.id).to_json()["locked"] is False


def test_set_readonly_is_a_deprecated_no_op(dataset):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset.set_readonly(True)
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)


def test_directory_tree(client, dataset):
    upload(client, dataset, "/a/b/one.png")
    upload(client, dataset, "/c/two.png")
    tree = dataset.directory_tree
    assert tree.filename == "/"
    assert set(tree.dir_names) == {"/", "/a", "/a/b", "/c"}


# -- commands --------------------------------------------------------------------------------------
def test_clone_copies_items_binaries_and_annotations(client, emulator, project, dataset, unique):
    item = upload(client, dataset, "/f/a.png", b"abc", metadata={"user": {"k": 1}})
    annotate(client, item, "cat")
    upload(client, dataset, "/g/b.png", b"defg")
    clone = dataset.clone(clone_name=unique("clone"))
    assert clone.id != dataset.id and clone.items_count == 2 and clone.annotations_count == 1
    assert clone.get_recipe_ids() == dataset.get_recipe_ids()
    copied = {i["filename"]: i for i in items_of(client, clone.id)}
    assert set(copied) == {"/f/a.png", "/g/b.png"}
    assert copied["/f/a.png"]["metadata"]["user"] == {"k": 1}
    with open(emulator.emulator.blobs.path(copied["/f/a.png"]["id"]), "rb") as handle:
        assert handle.read() == b"abc"


def test_clone_with_filters_without_annotations_and_metadata(client, dataset, unique):
    item = upload(client, dataset, "/keep/a.png", metadata={"user": {"k": 1}})
    annotate(client, item, "cat")
    upload(client, dataset, "/drop/b.png")
    clone = dataset.clone(clone_name=unique("clone"), filters=Filters("dir", "/keep"),
                          with_items_annotations=False, with_metadata=False)
    copied = items_of(client, clone.id)
    assert [i["filename"] for i in copied] == ["/keep/a.png"]
    assert "user" not in copied[0]["metadata"] and clone.annotations_count == 0


def test_clone_into_existing_dataset_and_directory(client, project, dataset, unique):
    upload(client, dataset, "/a.png")
    target = project.datasets.create(unique("target"))
    result = project.datasets.clone(dataset.id, dst_dataset_id=target.id, target_directory="copied")
    assert result.id == target.id
    assert [i["filename"] for i in items_of(client, target.id)] == ["/copied/a.png"]


def test_clone_errors(project, dataset):
    with pytest.raises(ValueError):
        dataset.clone()
    with pytest.raises(FailedDependency, match="Dataset with the same name already exists"):
        dataset.clone(clone_name=dataset.name)  # the platform's command fails (424), not the request
    with pytest.raises(NotFound):
        project.datasets.clone(UNKNOWN_ID, clone_name="x")


def test_clone_without_waiting_returns_its_command(client, dataset, unique):
    upload(client, dataset, "/a.png")
    name = unique("clone")
    command = client.datasets.clone(dataset.id, clone_name=name, wait=False)
    assert isinstance(command, Command) and command.type == "CloneDataset"
    status = client.runs.wait("command", command.id, timeout=60)
    clone = client.datasets.get(dataset_id=status.output["returnedModelId"])
    assert clone.name == name and clone.items_count == 1
    failed = dataset.clone(clone_name=name, wait=False)  # the entity's method passes wait on too
    status = client.runs.wait("command", failed.id, timeout=60, raise_on_failure=False)
    assert not status.succeeded and "Dataset with the same name already exists" in status.message


def test_merge(client, project, unique):
    first, second = project.datasets.create(unique("a")), project.datasets.create(unique("b"))
    upload(client, first, "/one.png")
    upload(client, second, "/two.png")
    name = unique("merged")
    assert project.datasets.merge(name, [first.id, second.id], [project.id]) is True
    merged = project.datasets.get(dataset_name=name)
    assert merged.items_count == 2
    with pytest.raises(ValueError):
        project.datasets.merge(unique("m"), [first.id], [project.id])


def test_split_ml_subsets_and_bulk_update(client, dataset):
    for index in range(10):
        upload(client, dataset, f"/{index}.png")
    assert dataset.split_ml_subsets(percentages={"train": 60, "validation": 20, "test": 20}) is True
    tags = [next(iter(i["metadata"]["system"]["tags"])) for i in items_of(client, dataset.id)]
    assert (tags.count("train"), tags.count("validation"), tags.count("test")) == (6, 2, 2)
    assert dataset.assign_subset_to_items("test", items_query=Filters("name", "0.png")) is True
    first = items_of(client, dataset.id, name="0.png")[0]
    assert first["metadata"]["system"]["tags"] == {"test": True}
    assert dataset.remove_subset_from_items(items_query=Filters("name", "0.png")) is True
    assert items_of(client, dataset.id, name="0.png")[0]["metadata"]["system"]["tags"] == {}


def test_split_and_subset_validation(dataset):
    with pytest.raises(ValueError, match="add up to 100"):
        dataset.split_ml_subsets(percentages={"train": 60, "validation": 20, "test": 10})
    with pytest.raises(ValueError, match="exactly the keys"):
        dataset.split_ml_subsets(percentages={"train": 100})
    with pytest.raises(ValueError, match="subset must be"):
        dataset.assign_subset_to_items("holdout")


# -- local -----------------------------------------------------------------------------------------
def test_checkout_and_get_without_arguments(client, tmp_path, project, dataset):
    local = client.with_options()
    local.state_dir = str(tmp_path)
    repository = type(project.datasets)(local, project=project)
    repository.checkout(dataset=dataset)
    assert repository.get().id == dataset.id
    repository.checkout(identifier=dataset.name)
    assert repository.get().name == dataset.name


def test_open_in_web(monkeypatch, project, dataset):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, **_: opened.append(url))
    dataset.open_in_web()
    project.datasets.open_in_web()
    assert opened[0].endswith(f"projects/{project.id}/datasets/{dataset.id}/items")
    assert opened[1].endswith(f"projects/{project.id}/datasets")


# -- export and annotation files -------------------------------------------------------------------
def test_export_json_with_annotations(client, dataset, tmp_path):
    first = upload(client, dataset, "/a/one.png")
    annotate(client, first, "cat")
    upload(client, dataset, "/two.png")
    result = dataset.export(local_path=str(tmp_path), include_annotations=True)
    assert result == str(tmp_path / f"{dataset.id}.json")
    import json
    with open(result) as handle:
        exported = {i["filename"]: i for i in json.load(handle)}
    assert set(exported) == {"/a/one.png", "/two.png"}
    assert [a["label"] for a in exported["/a/one.png"]["annotations"]] == ["cat"]
    assert exported["/two.png"]["annotations"] == []
    assert dataset.datasets.get(dataset_id=dataset.id).items_count == 2  # the hidden output is not counted


def test_export_splits_id_ranges(client, dataset, tmp_path):
    for index in range(7):
        upload(client, dataset, f"/{index}.png")
    parts = dataset.datasets._split(dataset.id, Filters(), max_items=2)
    assert len(parts) >= 4
    result = dataset.datasets.export(dataset=dataset, local_path=str(tmp_path), max_items=2)
    import json
    with open(result) as handle:
        assert sorted(i["name"] for i in json.load(handle)) == [f"{i}.png" for i in range(7)]


def test_export_output_variants(client, dataset, tmp_path):
    upload(client, dataset, "/d/one.png")
    zipped = dataset.export(local_path=str(tmp_path / "z"), output_export_type="zip")
    assert zipped.endswith(".json.zip")
    folders = dataset.export(local_path=str(tmp_path / "f"), output_export_type="folders")
    assert (tmp_path / "f" / "d" / "one.json").is_file() and folders == str(tmp_path / "f")
    archive = dataset.export(local_path=str(tmp_path / "a"), export_type="zip", output_export_type="zip")
    assert archive.endswith(".zip")
    unpacked = dataset.export(local_path=str(tmp_path / "u"), export_type="zip", output_export_type="folders")
    assert (tmp_path / "u" / "d" / "one.json").is_file() and unpacked == str(tmp_path / "u")


def test_export_errors(dataset, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ValueError, match="directory"):
        dataset.export(local_path=str(target))
    with pytest.raises(ValueError):
        dataset.export(export_type="xml")
    with pytest.raises(ValueError, match="v3"):
        dataset.export(force=True)
    with pytest.raises(ValueError, match="v3"):
        dataset.export(export_mode="diff")


def test_export_with_lock_releases_it(project, dataset, tmp_path):
    dataset.export(local_path=str(tmp_path), dataset_lock=True)
    assert project.datasets.get(dataset_id=dataset.id).to_json()["locked"] is False


def test_download_and_upload_annotations(client, project, dataset, unique, tmp_path):
    item = upload(client, dataset, "/f/one.png")
    annotate(client, item, "cat", "dog")
    upload(client, dataset, "/two.png")
    path = project.datasets.download_annotations(dataset=dataset, local_path=str(tmp_path))
    import json
    with open(tmp_path / "json" / "f" / "one.json") as handle:
        assert sorted(a["label"] for a in json.load(handle)["annotations"]) == ["cat", "dog"]
    assert path == str(tmp_path)
    target = dataset.clone(clone_name=unique("copy"), with_items_annotations=False)
    assert target.upload_annotations(local_path=str(tmp_path / "json")) == 2
    assert target.datasets.get(dataset_id=target.id).annotations_count == 2
    assert target.upload_annotations(local_path=str(tmp_path / "json"), clean=True) == 2
    assert target.datasets.get(dataset_id=target.id).annotations_count == 2


def test_download_annotations_v2_names_and_bad_options(client, dataset, tmp_path):
    upload(client, dataset, "/one.png")
    dataset.download_annotations(local_path=str(tmp_path), export_version="V2")
    assert (tmp_path / "json" / "one.png.json").is_file()
    with pytest.raises(ValueError, match="choose from"):
        dataset.datasets.download_annotations(dataset, local_path=str(tmp_path), annotation_options=["png"])
    with pytest.raises(ValueError):
        dataset.upload_annotations(local_path=str(tmp_path / "missing"))


def test_download_annotations_renders_options(client, dataset, tmp_path):
    import io

    import numpy as np
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 20, 30)).save(buffer, format="PNG")
    item = upload(client, dataset, "/f/pic.png", buffer.getvalue())
    dataset.add_label(label_name="cat", color=(255, 0, 0))
    box = {"type": "box", "label": "cat", "coordinates": [{"x": 1, "y": 1}, {"x": 4, "y": 3}],
           "metadata": {"system": {"objectId": "7"}}}
    client.transport.json("POST", f"/items/{item['id']}/annotations", json=[box])
    upload(client, dataset, "/other/skip.png", buffer.getvalue())
    options = ["json", "mask", "instance", "img_mask", "object_id"]
    result = dataset.download_annotations(local_path=str(tmp_path), annotation_options=options, remote_path="/f")
    assert result == str(tmp_path)
    assert (tmp_path / "json" / "f" / "pic.json").is_file() and not (tmp_path / "json" / "other").exists()
    mask = np.array(Image.open(tmp_path / "mask" / "f" / "pic.png"))
    assert mask.shape == (6, 8, 4) and tuple(mask[1, 2]) == (255, 0, 0, 255) and mask[5, 7, 3] == 0
    instance = np.array(Image.open(tmp_path / "instance" / "f" / "pic.png"))
    assert instance[1, 2] == 1 and instance[5, 7] == 0
    assert np.array(Image.open(tmp_path / "object_id" / "f" / "pic.png"))[1, 2] == 7
    on_image = np.array(Image.open(tmp_path / "img_mask" / "f" / "pic.png"))
    assert tuple(on_image[5, 7][:3]) == (10, 20, 30) and tuple(on_image[1, 2][:3]) == (255, 0, 0)
    assert not (tmp_path / "mask" / "other").exists()


def test_sync_without_driver_is_rejected(project, dataset):
    with pytest.raises(BadRequest, match="has no driver"):
        dataset.sync()
    with pytest.raises(BadRequest, match="has no driver"):
        project.datasets.sync(dataset.id, wait=False)


# -- entity conveniences ---------------------------------------------------------------------------
def test_project_is_fetched_when_not_in_context(client, project, dataset):
    unscoped = client.datasets.get(dataset_id=dataset.id)
    assert unscoped.project.id == project.id and unscoped.project.name == project.name


def test_scoped_repositories(client, dataset):
    upload(client, dataset, "/x/one.png")
    assert [item.name for item in dataset.items.list().all()] == ["one.png"]
    assert dataset.recipes.list()[0].id == dataset.get_recipe_ids()[0]
    assert dataset.ontologies.list()[0].id in dataset.ontology_ids


def test_download_and_download_folder(client, dataset, tmp_path):
    upload(client, dataset, "/a/one.png", b"1")
    upload(client, dataset, "/b/two.png", b"22")
    dataset.download(local_path=str(tmp_path / "all"))
    assert (tmp_path / "all" / "items" / "b" / "two.png").read_bytes() == b"22"
    dataset.download_folder("/a", local_path=str(tmp_path / "a"))
    assert (tmp_path / "a" / "items" / "a" / "one.png").is_file()
    assert not (tmp_path / "a" / "items" / "b").exists()


def test_emulator_rejects_bad_dataset_requests(client, project, dataset):
    with pytest.raises(BadRequest, match="projects"):
        client.transport.json("POST", "/datasets", json={"name": "x"})
    with pytest.raises(NotFound, match="Dataset not found"):
        client.transport.json("PATCH", "/datasets/bad-id", json={"name": "x"})
    with pytest.raises(NotFound, match="Dataset not found"):
        client.transport.json("DELETE", f"/datasets/{UNKNOWN_ID}")
    with pytest.raises(BadRequest, match="exportType"):
        client.transport.json("POST", f"/datasets/{dataset.id}/export", json={"exportType": "xml"})
    with pytest.raises(BadRequest, match="MLSplitList"):
        client.transport.json("POST", f"/datasets/{dataset.id}/split", json={"MLSplitList": {"train": 1}})
    assert project.datasets.get(dataset_id=dataset.id).name == dataset.name


def test_binaries_dataset_only_in_system_space(client, project, dataset):
    body = {"filter": {"$and": [{"name": "Binaries"}]}, "resource": "datasets", "page": 0, "pageSize": 10,
            "context": {"projects": [project.id]}}
    assert client.transport.json("POST", "/datasets/query", json=body)["items"] == []
    found = client.transport.json("POST", "/datasets/query", json={**body, "systemSpace": True})["items"]
    assert [d["name"] for d in found] == ["Binaries"] and found[0]["projects"] == [project.id]
    binaries = project.datasets._get_binaries_dataset()
    assert binaries.id == found[0]["id"] and project.datasets._get_binaries_dataset().id == binaries.id
    assert [d.name for d in project.datasets.list()] == [dataset.name]


def test_list_never_changes_the_callers_filters(project, dataset):
    filters = Filters(resource=FiltersResource.DATASET)
    before = filters.prepare()
    assert [d.id for d in project.datasets.list(name=dataset.name, filters=filters)] == [dataset.id]
    assert filters.prepare() == before  # the repository extended a copy
    with pytest.raises(ValueError, match=r"Filters\(resource=FiltersResource.DATASET\), got 'items'"):
        project.datasets.list(filters=Filters())
