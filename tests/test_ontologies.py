"""Ontologies against the emulator: create/get/list/update/delete, label upserts, attributes."""
from __future__ import annotations

import pytest

from dataloop_core.entities.label import Label
from dataloop_core.entities.ontology import AttributesRange, AttributesTypes, Ontology
from dataloop_core.exceptions import BadRequest, NotFound
from dataloop_core.repositories.ontologies import Ontologies

UNKNOWN_ID = "0123456789abcdef01234567"


@pytest.fixture
def ontology(dataset):
    return dataset.recipes.list()[0].ontologies.list()[0]


def test_create_get_list(client, project, unique):
    title = unique("onto")
    created = project.ontologies.create(labels=[Label("a", color="#010203"), "b"], title=title)
    assert isinstance(created, Ontology) and created.title == title
    assert [label.tag for label in created.labels] == ["a", "b"] and created.labels[0].hex == "#010203"
    assert created.project_ids == [project.id]
    assert client.ontologies.get(ontology_id=created.id).title == title
    assert created.id in [o.id for o in project.ontologies.list()]
    assert created.id in [o.id for o in client.ontologies.list(project_ids=[project.id])]


def test_labels_to_roots():
    roots = Ontologies.labels_to_roots({"cat": (255, 0, 0)})
    assert roots == [{"value": {"tag": "cat", "attributes": [], "displayLabel": None, "displayData": {},
                                "color": "#ff0000"}, "children": []}]


def test_create_from_recipe_appends_to_it(dataset):
    recipe = dataset.recipes.list()[0]
    created = recipe.ontologies.create(labels=["x"])
    assert dataset.recipes.get(recipe.id).ontology_ids[-1] == created.id
    assert [o.id for o in recipe.ontologies.list()] == recipe.ontology_ids


def test_get_errors(client):
    with pytest.raises(NotFound, match=f"Ontology not found: {UNKNOWN_ID}"):
        client.ontologies.get(UNKNOWN_ID)
    with pytest.raises(BadRequest, match="invalid ontology id"):
        client.ontologies.get("bad")
    with pytest.raises(ValueError):
        client.ontologies.list()


def test_add_labels_nested_and_colors(dataset, ontology):
    added = ontology.add_label("vehicle", color=(1, 2, 3), children=[Label("car")])
    assert added.tag == "vehicle" and added.children[0].tag == "car"
    ontology.add_labels(["person", Label("vehicle.truck")])
    flat = dataset.labels_flat_dict
    assert set(flat) == {"vehicle", "vehicle.car", "vehicle.truck", "person"}
    assert flat["vehicle"].rgb == (1, 2, 3)
    colors = [label.hex for label in flat.values()]
    assert len(set(colors)) == len(colors)


def test_dataset_label_helpers(dataset):
    dataset.add_label("cat", color="#ff0000")
    dataset.add_labels([Label("dog"), "bird"])
    dataset.update_label("cat", color=(0, 0, 255))
    assert dataset.labels_flat_dict["cat"].hex == "#0000ff"
    dataset.update_labels([Label("dog", display_label="Doggo")])
    assert dataset.labels_flat_dict["dog"].display_label == "Doggo"
    with pytest.raises(NotFound, match="Label not found: fish"):
        dataset.update_label("fish", color=(1, 1, 1))
    assert dataset.update_label("fish", color=(1, 1, 1), upsert=True).tag == "fish"
    dataset.delete_labels(["bird", "fish"])
    assert [label.tag for label in dataset.labels] == ["cat", "dog"]


def test_delete_labels_nested_and_unknown(ontology):
    ontology.add_label("a", children=[Label("b"), Label("c")])
    ontology.delete_labels("a.b")
    assert list(ontology.labels_flat_dict) == ["a", "a.c"]
    with pytest.raises(ValueError, match="not in the ontology"):
        ontology.delete_labels("zzz")


def test_update_puts_full_ontology(client, ontology):
    ontology.labels.append(Label("new", color=(5, 5, 5)))
    ontology.title = "renamed"
    ontology.update()
    fetched = client.ontologies.get(ontology.id)
    assert fetched.title == "renamed" and fetched.labels_flat_dict["new"].rgb == (5, 5, 5)


def test_update_rejects_bad_roots(client, ontology):
    ontology._json["roots"] = [{"value": {"tag": "a.b"}}]
    with pytest.raises(BadRequest, match="must not contain"):
        client.ontologies.update(ontology)
    assert client.ontologies.get(ontology.id).labels == []


def test_attributes(client, ontology):
    assert ontology.update_attributes(title="Size", key="size", attribute_type=AttributesTypes.RADIO_BUTTON,
                                      values=["s", "m"]) is True
    client.ontologies.update_attributes(ontology.id, title="Level", key="level",
                                        attribute_type=AttributesTypes.SLIDER,
                                        attribute_range=AttributesRange(0, 10, 1), scope=["cat"])
    attributes = {a["key"]: a for a in client.ontologies.get(ontology.id).attributes}
    assert attributes["size"]["type"] == "options" and attributes["size"]["multi"] is False
    assert attributes["level"]["range"] == {"min": 0, "max": 10, "step": 1}
    assert attributes["level"]["scope"] == ["cat"]
    assert ontology.delete_attributes(["size"]) is True
    assert [a["key"] for a in client.ontologies.get(ontology.id).attributes] == ["level"]
    with pytest.raises(NotFound, match="Attribute not found"):
        ontology.delete_attributes(["size"])


def test_attribute_validation(ontology):
    with pytest.raises(ValueError, match="unknown attribute_type"):
        ontology.update_attributes(title="x", key="x", attribute_type="colour")
    with pytest.raises(ValueError, match="needs values"):
        ontology.update_attributes(title="x", key="x", attribute_type=AttributesTypes.CHECKBOX)
    with pytest.raises(ValueError, match="attribute_range"):
        ontology.update_attributes(title="x", key="x", attribute_type=AttributesTypes.SLIDER)
    with pytest.raises(ValueError):
        AttributesRange(5, 1, 1)


def test_delete(client, project, dataset):
    spare = project.ontologies.create(labels=[])
    assert spare.delete() is True
    with pytest.raises(NotFound):
        client.ontologies.get(spare.id)
    recipe = dataset.recipes.list()[0]
    in_use = recipe.ontology_ids[0]
    assert client.ontologies.delete(in_use) is True  # the platform deletes an ontology a recipe uses
    assert in_use not in client.recipes.get(recipe.id).ontology_ids


def test_label_entity_colors():
    assert Label("a", color="rgb(1,2,3)").hex == "#010203"
    assert Label.from_root({"value": {"tag": "x", "color": "#0a0b0c"}, "children": []}).rgb == (10, 11, 12)
    with pytest.raises(ValueError):
        Label("a", color="blue")
    with pytest.raises(ValueError):
        Label("")


def test_emulator_rejects_bad_label_requests(client, ontology):
    url = f"/ontologies/{ontology.id}/labels"
    with pytest.raises(BadRequest, match="labelsNode"):
        client.transport.json("PATCH", url, json={"labelsNode": "cat"})
    with pytest.raises(BadRequest, match="tag"):
        client.transport.json("PATCH", url, json={"labelsNode": [{"tag": "a..b"}], "upsert": True})
    with pytest.raises(BadRequest, match="color"):
        client.transport.json("PATCH", url, json={"labelsNode": [{"tag": "a", "color": "red"}], "upsert": True})
    assert client.ontologies.get(ontology.id).labels == []


def test_list_pages(client, project):
    created = {project.ontologies.create(labels=[]).id for _ in range(3)}
    page = client.transport.json("GET", "/ontologies", params={"projects": project.id, "pageSize": 2})
    assert page["totalItemsCount"] == 3 and page["hasNextPage"] is True and len(page["items"]) == 2
    assert {o.id for o in project.ontologies.list()} == created


def test_label_icons_go_to_binaries(project, dataset, tmp_path):
    icon = tmp_path / "cat.png"
    icon.write_bytes(b"\x89PNG icon")
    label = dataset.add_label(label_name="cat", icon_path=str(icon))
    image = label.display_data["displayImage"]
    binaries = project.datasets._get_binaries_dataset()
    assert image["datasetId"] == binaries.id
    item = binaries.items.get(item_id=image["itemId"])
    ontology_id = dataset.ontology_ids[0]
    assert item.dir == f"/.dataloop/ontologies/{ontology_id}/labelDisplayImages" and item.name.endswith("-cat.png")
    assert dataset.labels_flat_dict["cat"].display_data == {"displayImage": image}
    updated = dataset.update_label(label_name="cat", color="#00ff00", icon_path=str(icon))
    assert updated.display_data["displayImage"]["itemId"] != image["itemId"] and updated.hex == "#00ff00"
    with pytest.raises(ValueError, match="icon_path"):
        dataset.add_label(label_name="dog", icon_path=str(tmp_path / "missing.png"))
    assert "dog" not in dataset.labels_flat_dict
