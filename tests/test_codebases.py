"""Codebases over HTTP: zip versions in the hidden Binaries dataset, get by name/version/id, unpack, git."""
from __future__ import annotations

import os
import subprocess

import pytest

from dataloop_core.entities.codebase import GitCodebase, ItemCodebase, LocalCodebase, codebase_from_json
from dataloop_core.exceptions import NotFound
from dataloop_core.repositories.codebases import Codebases, unzip_to, zip_directory


@pytest.fixture
def binaries(client, project):
    """Binaries datasets are created by the emulator on FaaS name validation (what a push does first)."""
    client.transport.json("GET", "/piper-misc/naming/packages/warm-up")
    return project


@pytest.fixture
def code_dir(tmp_path):
    folder = tmp_path / "code"
    (folder / "pkg").mkdir(parents=True)
    (folder / "main.py").write_text("print('v1')\n")
    (folder / "pkg" / "util.py").write_text("X = 1\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    return folder


def test_pack_versions_and_get(binaries, code_dir, unique):
    codebases = binaries.codebases
    name = unique("cb")
    first = codebases.pack(directory=str(code_dir), name=name, description="first")
    assert isinstance(first, ItemCodebase) and first.version == 1 and first.description == "first"
    assert codebases.pack(directory=str(code_dir), name=name).item_id == first.item_id  # same md5
    (code_dir / "main.py").write_text("print('v2')\n")
    second = codebases.pack(directory=str(code_dir), name=name)
    assert second.version == 2 and second.md5 != first.md5
    assert codebases.list_versions(name).items_count == 2
    assert name in [d.name for d in codebases.list().all()]
    assert codebases.get(codebase_name=name).item_id == second.item_id
    assert codebases.get(codebase_name=name, version="1").item_id == first.item_id
    assert [c.version for c in codebases.get(codebase_name=name, version="all")] == [1, 2]
    assert codebases.get(codebase_id=first.item_id).name == name
    assert Codebases.get_current_version(codebases.get(codebase_name=name, version="all"), first.md5)[0] == 3
    with pytest.raises(NotFound, match="No codebase version 7"):
        codebases.get(codebase_name=name, version="7")
    with pytest.raises(NotFound, match="No codebase was found"):
        codebases.get(codebase_name=unique("ghost"))
    with pytest.raises(ValueError, match="codebase_name or codebase_id"):
        codebases.get()
    with pytest.raises(ValueError, match="not a directory"):
        codebases.pack(directory=str(code_dir / "main.py"), name=name)


def test_binaries_dataset_is_hidden(binaries):
    assert "Binaries" not in [d.name for d in binaries.datasets.list()]
    assert binaries.codebases.dataset.name == "Binaries"


def test_unpack_latest_and_all(binaries, code_dir, unique, tmp_path):
    name = unique("cb")
    binaries.codebases.pack(directory=str(code_dir), name=name)
    folder = binaries.codebases.unpack(codebase_name=name, local_path=str(tmp_path / "out"))
    assert sorted(os.listdir(folder)) == ["main.py", "pkg"]  # caches left out
    assert open(os.path.join(folder, "pkg", "util.py")).read() == "X = 1\n"
    every = binaries.codebases.unpack(codebase_name=name, version="all", local_path=str(tmp_path / "all"))
    assert os.listdir(every) == ["v.1"]


def test_zip_helpers_are_stable_and_safe(code_dir, tmp_path):
    assert zip_directory(str(code_dir)) == zip_directory(str(code_dir))
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.txt", "x")
    with pytest.raises(ValueError, match="unsafe path"):
        unzip_to(buffer.getvalue(), str(tmp_path / "target"))


def test_git_clone_and_pull(binaries, tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    run = lambda *args, cwd=origin: subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)
    run("init", "-q", "-b", "main")
    (origin / "main.py").write_text("A = 1\n")
    run("add", ".")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "one")
    codebase = GitCodebase(git_url=str(origin), git_tag="main")
    assert codebase.git_repo_name == "origin"
    clone = binaries.codebases.clone_git(codebase, str(tmp_path / "clone"))
    assert open(os.path.join(clone, "main.py")).read() == "A = 1\n"
    (origin / "main.py").write_text("A = 2\n")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "two")
    pulled = binaries.codebases.unpack(codebase=codebase, local_path=clone)
    assert open(os.path.join(pulled, "main.py")).read() == "A = 2\n"


def test_codebase_entities_round_trip(client):
    assert codebase_from_json(client, {"type": "git", "gitUrl": "u", "gitTag": "t"}).git_tag == "t"
    assert isinstance(codebase_from_json(client, {"type": "local", "localPath": "/x"}), LocalCodebase)
    assert codebase_from_json(client, {"type": "item", "itemId": "a" * 24}).to_json() == {"type": "item",
                                                                                          "itemId": "a" * 24}
    with pytest.raises(ValueError, match="unknown codebase type"):
        codebase_from_json(client, {"type": "ftp"})


@pytest.mark.parametrize("git_url", ["https://example.com/..", "https://example.com/.git"])
def test_pull_git_refuses_a_repo_name_that_leaves_local_path(binaries, tmp_path, git_url):
    codebase = GitCodebase(git_url=git_url, git_tag="main")
    with pytest.raises(ValueError, match="unsafe remote path"):
        binaries.codebases.pull_git(codebase, str(tmp_path))
