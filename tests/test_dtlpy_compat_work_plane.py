"""Compatibility tier, work plane: tasks, FaaS and pipelines driven by the unmodified official SDK (dtlpy)."""
import pytest

from test_dtlpy_compat import run_dtlpy

pytestmark = pytest.mark.dtlpy


def test_work_plane(emulator, tmp_path):
    report = run_dtlpy("work_plane.py", emulator, tmp_path)
    # tasks: a filtered item set, a 60/40 workload, statuses, completion
    assert report["task_items"] == 10 and report["split"] == [4, 6]
    assert report["task_status"] == "completed" and report["task_progress"] == 100
    assert report["other_untouched"]
    # FaaS: push from a folder, deploy, execute with a sync wait, output and logs; a failing function
    assert report["package_modules"] == ["run", "fail"] and report["service_package"]
    assert report["execution_status"] == "success" and report["execution_output"] and report["sync_output"]
    assert report["item_seen"] is True and report["log_has_print"]
    assert report["failed_status"] == "failed"
    assert report["failed_message"] == "ValueError: deliberate failure on f00.txt"
    # an event trigger fires on upload
    assert report["trigger_resource"] == "Item" and report["trigger_fired"]
    # a pipeline (code node -> function node): install, execute, wait; and its root-node trigger on upload
    assert report["pipeline_status"] == "success" and report["pipeline_marks"] == [True, True]
    assert report["pipeline_trigger"]
