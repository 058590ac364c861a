"""Compatibility tier, platform fidelity (issue 13): what the platform does, seen through the unmodified official
SDK (dtlpy) against the emulator."""
import pytest

from test_dtlpy_compat import run_dtlpy

pytestmark = pytest.mark.dtlpy


@pytest.fixture(scope="module")
def report(emulator, tmp_path_factory):
    return run_dtlpy("fidelity.py", emulator, tmp_path_factory.mktemp("fidelity"))


def error(report, name) -> str:
    return report[name]["error"] if isinstance(report[name], dict) else f"no error: {report[name]!r}"


def test_tasks_and_assignments(report):
    assert report["same_name_tasks"] == [True, True]
    assert report["task_without_assignees"] == [3, 10]
    assert report["pulling_task"] == 3
    assert report["qualification_task"] == [30, 20]  # 10 originals + one copy per assignee; copies only
    assert report["consensus_task_50"] == 20  # 10 originals + 5 items copied for 2 assignees


def test_items_and_datasets(report):
    assert error(report, "malformed_dataset_id") == "NotFound"
    assert report["item_new_root_field"] is False
    assert report["item_description_cleared"] == ["", None]  # the SDK keeps "" locally; the platform stores none
    assert report["dataset_items_endpoint"] == [True, 11]
    assert report["dataset_json_fields"] == []


def test_export_lock_history_system_datasets_thumbnails_schema_clone(report):
    assert report["export_lock_unlock_rename"] == [[], True, False, "/pics/renamed.png"]
    assert report["export_history"] == [True, ["success"]]
    assert report["system_datasets"] == [1, 2]
    assert report["thumbnail"] == [True, True, True]
    assert report["unsearchable_paths"] == [True, False]


def test_clone_onto_a_taken_name_raises_424_naming_the_command(report):
    assert report["clone_onto_taken_name"] == [True, True]


def test_projects_ontologies_recipes_annotations(report):
    assert error(report, "project_illegal_name") == "BadRequest"
    assert report["project_duplicate"]["error"] == "BadRequest"
    assert "Failed to create project" in report["project_duplicate"]["message"]
    assert error(report, "ontology_unknown_project") == "Forbidden"
    assert report["ontology_in_use_deleted"] == [True, False]
    assert report["recipe_instruction"] is True
    assert report["annotation_description_removed"] is None
