"""The two-step v1 export over HTTP: ``export(..., wait=False)`` starts the commands, ``export_result`` writes
exactly what the one-step ``export`` writes; bad, unfinished and failed commands give clear errors."""
from __future__ import annotations

import io
import os
import zipfile

import pytest

from dataloop_core._transfer import upload_one
from dataloop_core.entities.command import Command
from dataloop_core.exceptions import BadRequest, FailedDependency, NotFound
from held_commands import hold_commands

UNKNOWN_ID = "0123456789abcdef01234567"
VARIANTS = [  # (export_type, output_export_type)
    ("json", None), ("json", "zip"), ("json", "folders"), ("zip", "zip"), ("zip", "folders")]


@pytest.fixture
def filled(client, dataset):
    """A dataset of five files in two folders, one of them annotated."""
    for index in range(5):
        item = upload_one(client.transport, dataset.id, f"binary {index}".encode(), f"/d{index % 2}/{index}.png")[0]
    client.transport.json("POST", f"/items/{item['id']}/annotations",
                          json=[{"type": "class", "label": "cat", "metadata": {"system": {}}}])
    return dataset


@pytest.fixture
def held(emulator, monkeypatch):
    release = hold_commands(emulator, monkeypatch)
    yield release
    release.set()


def contents(root, result) -> dict:
    """What an export wrote: its result path (relative) and every file's content (zip members unpacked)."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as handle:
                data = handle.read()
            if name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    data = {member: archive.read(member) for member in sorted(archive.namelist())}
            files[os.path.relpath(full, root)] = data
    return {"result": os.path.relpath(result, root), "files": files}


@pytest.mark.parametrize("export_type, output", VARIANTS)
def test_two_step_export_writes_what_export_writes(client, filled, tmp_path, export_type, output):
    options = {"export_type": export_type, "output_export_type": output}
    one_step = filled.export(local_path=str(tmp_path / "one"), max_items=2, include_annotations=True, **options)
    commands = filled.datasets.export(dataset=filled, max_items=2, include_annotations=True, wait=False, **options)
    assert all(isinstance(c, Command) for c in commands)
    if export_type == "zip":
        assert len(commands) == 1
    else:
        assert len(commands) >= 3  # five items in id ranges of at most two
    for command in commands:
        assert client.runs.wait("command", command.id, timeout=60).succeeded
    two_step = client.datasets.export_result(filled.id, [c.id for c in commands], local_path=str(tmp_path / "two"),
                                             **options)
    assert contents(tmp_path / "two", two_step) == contents(tmp_path / "one", one_step)
    assert contents(tmp_path / "one", one_step)["files"]


def test_nothing_to_export_starts_no_command(client, dataset, tmp_path):
    assert dataset.export(wait=False) == []
    path = client.datasets.export_result(dataset.id, [], local_path=str(tmp_path / "two"))
    one_step = dataset.export(local_path=str(tmp_path / "one"))
    assert contents(tmp_path / "two", path) == contents(tmp_path / "one", one_step) == \
        {"result": f"{dataset.id}.json", "files": {f"{dataset.id}.json": b"[]"}}


def test_export_result_of_unfinished_commands_names_them(client, filled, tmp_path, held):
    [command] = filled.export(wait=False, export_type="zip", output_export_type="zip")
    with pytest.raises(ValueError, match=f"export command\\(s\\) still running: {command.id} "
                                         f"\\((created|in-progress), 0%\\).*wait for them"):
        client.datasets.export_result(filled.id, [command.id], local_path=str(tmp_path), export_type="zip",
                                      output_export_type="zip")
    assert not os.listdir(tmp_path)  # nothing written
    held.set()
    client.runs.wait("command", command.id, timeout=60)
    path = client.datasets.export_result(filled.id, [command.id], local_path=str(tmp_path), export_type="zip",
                                         output_export_type="zip")
    assert path == str(tmp_path / f"{filled.id}.zip") and zipfile.is_zipfile(path)


def test_export_result_errors(client, filled, tmp_path):
    with pytest.raises(ValueError, match="command_ids must be a list of export command ids, got 'abc'"):
        client.datasets.export_result(filled.id, "abc")
    with pytest.raises(ValueError, match="command_ids must be a list"):
        client.datasets.export_result(filled.id, [None])
    with pytest.raises(ValueError, match="dataset_id must be a dataset id"):
        client.datasets.export_result("", [UNKNOWN_ID])
    with pytest.raises(ValueError, match="export_type 'zip' has exactly one export command, got 2"):
        client.datasets.export_result(filled.id, [UNKNOWN_ID, UNKNOWN_ID], export_type="zip")
    with pytest.raises(ValueError, match="cannot produce output_export_type 'json'"):
        client.datasets.export_result(filled.id, [UNKNOWN_ID], export_type="zip", output_export_type="json")
    with pytest.raises(NotFound, match=UNKNOWN_ID):
        client.datasets.export_result(filled.id, [UNKNOWN_ID])
    with pytest.raises(ValueError, match="a v3 export is synchronous"):
        filled.export(export_version="v3", wait=False)


def test_export_result_of_failed_and_foreign_commands(client, filled, unique):
    failed = client.datasets.clone(filled.id, clone_name=filled.name, wait=False)  # the name is taken
    client.runs.wait("command", failed.id, timeout=60, raise_on_failure=False)
    with pytest.raises(FailedDependency, match=f"Command {failed.id} failed.*same name already exists"):
        client.datasets.export_result(filled.id, [failed.id])
    cloned = client.datasets.clone(filled.id, clone_name=unique("clone"), wait=False)
    client.runs.wait("command", cloned.id, timeout=60)
    with pytest.raises(BadRequest, match=f"outputItemId key is missing in command response \\(command {cloned.id}"):
        client.datasets.export_result(filled.id, [cloned.id])
