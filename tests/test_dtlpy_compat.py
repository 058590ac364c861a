"""Compatibility tier: the unmodified official SDK (dtlpy, in its own venv) against the emulator.

`./dev test` creates `.venv-dtlpy` (dtlpy pins old dependencies, so it cannot share `.venv`).
"""
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DTLPY_PYTHON = ROOT / ".venv-dtlpy" / "bin" / "python"
SCRIPTS = Path(__file__).resolve().parent / "dtlpy_scripts"

pytestmark = pytest.mark.dtlpy


def run_dtlpy(script: str, emulator, tmp_path) -> dict:
    if not DTLPY_PYTHON.exists():
        pytest.fail(f"{DTLPY_PYTHON.relative_to(ROOT)} is missing: run the tests with ./dev test, which creates it")
    env = {**os.environ, "EMULATOR_URL": emulator.url, "EMULATOR_TOKEN": emulator.token("sdk-user@dataloop.local"),
           "DATALOOP_PATH": str(tmp_path / "dataloop-home"), "NAME": f"compat-{uuid.uuid4().hex[:8]}",
           "PYTHONPATH": str(SCRIPTS)}
    proc = subprocess.run([str(DTLPY_PYTHON), str(SCRIPTS / script), str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"dtlpy script failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_data_plane(emulator, tmp_path):
    report = run_dtlpy("data_plane.py", emulator, tmp_path)
    assert report["project"] and report["project_by_name"]
    assert report["dataset_labels"] == ["cat", "dog"]
    assert report["uploaded_folder"] == 6
    assert report["single_meta"] == "v" and report["single_size"]
    assert report["buffer"] == "hello.txt"
    assert report["array_wh"] == [9, 8]
    assert report["list_count"] == 9
    assert report["filter_dir"] == ["img1.png", "img3.png", "img5.png"]
    assert report["filter_recursive"] == 6
    assert report["filter_metadata"] == ["/single/img0.png"]
    assert report["get_by_path"]
    assert report["keyset_pages"] == 9
    assert report["updated_meta"] == {"k": "v", "k2": "v2"}
    assert report["annotation_types"] == ["binary", "box", "class", "point", "segment"]
    assert report["box"] == [2, 3, 10, 12]
    assert report["box_label_after_update"] == "dog"
    assert report["mask_pixels"] == 36
    assert report["annotation_filter"] == 2
    assert report["join_items"] == ["img0.png"]
    assert report["after_delete"] == 4
    assert len(report["downloaded"]) == 9 and "items/single/img0.png" in report["downloaded"]
    assert report["download_identical"]
    assert report["to_array_shape"] == [24, 32, 3]
    assert report["after_item_delete"] == 8
