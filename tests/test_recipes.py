"""Recipes against the emulator: create/get/list/update/delete/clone."""
from __future__ import annotations

import pytest

from dataloop_core import Filters
from dataloop_core.entities.label import Label
from dataloop_core.entities.recipe import Recipe
from dataloop_core.exceptions import BadRequest, NotFound

UNKNOWN_ID = "0123456789abcdef01234567"


def test_dataset_create_switches_the_dataset(dataset):
    recipe = dataset.recipes.create(recipe_name="mine", labels=[Label("cat")])
    assert isinstance(recipe, Recipe) and recipe.title == "mine"
    assert dataset.get_recipe_ids() == [recipe.id]
    assert dataset.datasets.get(dataset_id=dataset.id).get_recipe_ids() == [recipe.id]
    assert [label.tag for label in recipe.ontologies.list()[0].labels] == ["cat"]


def test_create_with_ontology_ids_and_default_title(client, project):
    ontology = project.ontologies.create(labels=["a"])
    recipe = project.recipes.create(ontology_ids=ontology.id)
    assert recipe.ontology_ids == [ontology.id] and recipe.title == "Default Recipe"
    assert recipe.project_ids == [project.id]
    with pytest.raises(NotFound, match="Ontology not found"):
        project.recipes.create(ontology_ids=[UNKNOWN_ID])
    with pytest.raises(ValueError):
        client.recipes.create(ontology_ids=[ontology.id])


def test_get_and_errors(client, dataset):
    recipe_id = dataset.get_recipe_ids()[0]
    assert client.recipes.get(recipe_id).id == recipe_id
    with pytest.raises(NotFound, match=f"Recipe not found: {UNKNOWN_ID}"):
        client.recipes.get(UNKNOWN_ID)
    with pytest.raises(BadRequest, match="invalid recipe id"):
        client.recipes.get("nope")


def test_list_by_dataset_and_by_project(client, project, unique):
    first, second = project.datasets.create(unique("a")), project.datasets.create(unique("b"))
    assert [r.id for r in first.recipes.list()] == first.get_recipe_ids()
    pages = project.recipes.list()
    ids = {r.id for r in pages.all()}
    assert ids == set(first.get_recipe_ids() + second.get_recipe_ids()) and len(pages) == 2
    title = f"{first.name} Default Recipe"
    assert [r.title for r in project.recipes.list(Filters("title", title, resource="recipe")).all()] == [title]
    with pytest.raises(ValueError):
        client.recipes.list()
    with pytest.raises(ValueError):
        project.recipes.list(Filters(resource="datasets"))


def test_update(client, dataset):
    recipe = dataset.recipes.list()[0]
    recipe.title = "renamed"
    recipe.metadata["system"] = {"ignored": True}
    assert recipe.update() is recipe and recipe.title == "renamed"
    fetched = client.recipes.get(recipe.id)
    assert fetched.title == "renamed" and "ignored" not in fetched.metadata["system"]
    recipe.metadata["system"] = {"kept": True}
    recipe.update(system_metadata=True)
    assert client.recipes.get(recipe.id).metadata["system"] == {"kept": True}
    recipe.ontology_ids = [UNKNOWN_ID]
    with pytest.raises(NotFound):
        recipe.update()


def test_delete_needs_force_while_in_use(client, project, dataset):
    recipe = dataset.recipes.list()[0]
    with pytest.raises(BadRequest, match="force"):
        recipe.delete()
    assert recipe.delete(force=True) is True
    assert project.datasets.get(dataset_id=dataset.id).get_recipe_ids() == []
    with pytest.raises(NotFound):
        client.recipes.get(recipe.id)


def test_clone_deep_and_shallow(client, dataset):
    recipe = dataset.recipes.list()[0]
    deep = recipe.clone()
    assert deep.id != recipe.id and deep.ontology_ids != recipe.ontology_ids and len(deep.ontology_ids) == 1
    shallow = client.recipes.clone(recipe_id=recipe.id, shallow=True)
    assert shallow.ontology_ids == recipe.ontology_ids
    with pytest.raises(ValueError):
        client.recipes.clone()
    with pytest.raises(NotFound):
        client.recipes.clone(recipe_id=UNKNOWN_ID)


def test_dataset_switch_recipe(client, project, dataset):
    other = project.recipes.create(labels=["x"])
    dataset.switch_recipe(recipe=other)
    assert project.datasets.get(dataset_id=dataset.id).get_recipe_ids() == [other.id]
    assert [label.tag for label in dataset.labels] == ["x"]
    with pytest.raises(ValueError):
        dataset.switch_recipe()
    with pytest.raises(BadRequest, match="unknown recipe"):
        dataset.switch_recipe(recipe_id=UNKNOWN_ID)


def test_create_with_instruction_pdf_links_binaries_item(client, project, tmp_path):
    pdf = tmp_path / "guide.pdf"
    pdf.write_bytes(b"%PDF-1.4 instructions")
    recipe = project.recipes.create(recipe_name="guided", annotation_instruction_file=str(pdf))
    document = recipe.instruction_document
    fresh = project.recipes.get(recipe_id=recipe.id)
    assert fresh.metadata["system"]["instructionDocument"] == document
    binaries = project.datasets._get_binaries_dataset()
    assert binaries.name == "Binaries" and document["datasetId"] == binaries.id
    item = binaries.items.get(item_id=document["itemId"])
    assert item.dir == f"/.dataloop/recipes/{recipe.id}/instructions" and item.name == document["name"]
    assert item.name.endswith(".pdf") and item.download(save_locally=False).getvalue() == pdf.read_bytes()
    assert "Binaries" not in [d.name for d in project.datasets.list()]


def test_instruction_file_must_be_an_existing_pdf(project, tmp_path):
    text = tmp_path / "guide.txt"
    text.write_text("x")
    before = len(list(project.recipes.list().all()))
    with pytest.raises(ValueError, match="pdf"):
        project.recipes.create(annotation_instruction_file=str(text))
    with pytest.raises(ValueError, match="not found"):
        project.recipes.create(annotation_instruction_file=str(tmp_path / "missing.pdf"))
    assert len(list(project.recipes.list().all())) == before


def test_open_in_web(project, dataset, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, **_: opened.append(url))
    recipe = dataset.recipes.list()[0]
    project.recipes.open_in_web(recipe=recipe)
    project.recipes.open_in_web(recipe_id=recipe.id)
    assert opened[0] == opened[1] and opened[0].endswith(f"/{recipe.id}")
    assert opened[0].startswith(project.recipes.platform_url)
