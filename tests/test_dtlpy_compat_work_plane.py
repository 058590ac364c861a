"""Compatibility tier, work plane: tasks, FaaS and pipelines driven by the unmodified official SDK."""
import pytest
from test_dtlpy_compat import run_dtlpy

pytestmark = pytest.mark.dtlpy


def test_work_plane(emulator, tmp_path):
    report = run_dtlpy("work_plane.py", emulator, tmp_path)
    assert report == {}, report
