"""Zip extraction (codebases, dataset exports, the emulator's FaaS codebases) stays inside its folder."""
import io
import os
import zipfile

import pytest

from dataloop_core._archive import safe_extract


def _zip(**members) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("member", ["../escape.txt", "a/../../escape.txt", "/tmp/absolute.txt"])
def test_members_outside_the_target_are_refused_before_writing(tmp_path, member):
    target = tmp_path / "target"
    with pytest.raises(ValueError, match="unsafe path in zip archive"):
        safe_extract(_zip(**{"ok.txt": "fine", member: "x"}), str(target))
    assert os.listdir(target) == []  # nothing written, not even the safe member
    assert not (tmp_path / "escape.txt").exists()


def test_a_symlinked_folder_inside_the_target_cannot_lead_outside(tmp_path):
    target, outside = tmp_path / "target", tmp_path / "outside"
    target.mkdir()
    outside.mkdir()
    os.symlink(outside, target / "link")
    with pytest.raises(ValueError, match="link/evil.txt"):
        safe_extract(_zip(**{"link/evil.txt": "x"}), str(target))
    assert os.listdir(outside) == []


def test_nested_members_are_extracted(tmp_path):
    safe_extract(_zip(**{"a/b/c.txt": "deep", "top.txt": "top"}), str(tmp_path / "t"))
    assert (tmp_path / "t" / "a" / "b" / "c.txt").read_text() == "deep"
    assert (tmp_path / "t" / "top.txt").read_text() == "top"
