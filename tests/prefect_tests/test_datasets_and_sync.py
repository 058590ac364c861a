"""DataloopDataset methods and the sync tasks and flow, end to end against the emulator: plain-JSON results,
progress / table / markdown artifacts, sync events, a resumed re-run that sends nothing."""
from __future__ import annotations

import json

import pytest
from prefect import flow
from prefect.logging import disable_run_logger

from prefect_dataloop.flows import merge_summaries, sync_folder_to_dataset
from prefect_dataloop.tasks import (SyncIncomplete, export_annotations, list_items, sync_pull_shard, sync_push_shard,
                                    upload_to_dataset)

from .conftest import artifacts_of, run_flow


def files_under(root) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_sync_folder_to_dataset__shards_artifacts_and_event(dataset_block, dataset, folder, token, emitted):
    summary, run_id = run_flow(sync_folder_to_dataset, dataset_block, str(folder), shards=3, workers=4)

    assert (summary["transferred"], summary["skipped"], summary["failed_count"], summary["shards"]) == (12, 0, 0, 3)
    assert summary["ok"] is True and summary["dataset_id"] == dataset.id
    assert json.loads(json.dumps(summary)) == summary
    remote = sorted(i.filename for i in dataset.items.list().all())
    assert remote == sorted("/" + rel for rel in files_under(folder))

    found = artifacts_of(run_id)
    kinds = [a.type for a in found]
    assert kinds.count("progress") == 3 and all(a.data == 100.0 for a in found if a.type == "progress")
    tables = {a.key: {row["measure"]: row["value"] for row in json.loads(a.data)} for a in found if a.type == "table"}
    assert sorted(tables) == ["dataloop-sync-push", *(f"dataloop-sync-push-shard-{i}-of-3" for i in range(3))]
    assert tables["dataloop-sync-push"]["transferred"] == 12 and tables["dataloop-sync-push"]["shards"] == 3
    assert sum(tables[f"dataloop-sync-push-shard-{i}-of-3"]["transferred"] for i in range(3)) == 12
    markdown = next(a for a in found if a.type == "markdown")
    assert dataset.id in markdown.data and dataset.project_id in markdown.data

    assert token not in json.dumps(summary) + "".join(str(a.data) for a in found)
    [event] = emitted("dataloop.dataset.sync")
    assert event.event == "dataloop.dataset.sync.completed"
    assert event.resource.id == f"dataloop.dataset.{dataset.id}" and event.payload["transferred"] == 12
    assert token not in event.model_dump_json()

    again, _ = run_flow(sync_folder_to_dataset, dataset_block, str(folder), shards=3, workers=4)
    assert (again["transferred"], again["skipped"]) == (0, 12)


UPLOADS = "/api/v1/datasets/*/items"


def test_a_failed_file_fails_its_shard_which_prefect_retries(dataset_block, dataset, folder, faults):
    faults({"path": UPLOADS, "method": "POST", "status": 400, "times": 1})   # one upload rejected, once
    summary, run_id = run_flow(sync_folder_to_dataset, dataset_block, str(folder), shards=2, workers=2)
    assert summary["ok"] and summary["failed_count"] == 0
    assert summary["transferred"] + summary["skipped"] == 12     # the retried shard resumed, sending the rest
    assert len(list(dataset.items.list().all())) == 12
    shard_tables = [a for a in artifacts_of(run_id) if a.type == "table" and "shard" in a.key]
    assert len(shard_tables) == 3                                # two shards, one of them twice


def test_allow_failures_returns_them(dataset_block, folder, faults, emitted):
    faults({"path": UPLOADS, "method": "POST", "status": 400, "times": 1})
    summary, _ = run_flow(sync_folder_to_dataset, dataset_block, str(folder), shards=2, workers=2,
                          allow_failures=True)
    assert (summary["ok"], summary["failed_count"], summary["transferred"]) == (False, 1, 11)
    assert summary["failed"][0]["reason"].startswith("400")
    assert [e.event for e in emitted("dataloop.dataset.sync")] == ["dataloop.dataset.sync.failed"]


def test_sync_task_failure_names_the_files(dataset_block, folder, faults):
    faults({"path": UPLOADS, "method": "POST", "status": 400, "times": 1})
    with pytest.raises(SyncIncomplete, match=r"push shard all: 1 file\(s\) failed \(.*400"):
        with disable_run_logger():
            sync_push_shard.fn(dataset_block, str(folder), workers=1)


def test_sync_pull_shard_and_push_shard_tasks(dataset_block, folder, tmp_path):
    @flow
    def round_trip():
        pushed = [sync_push_shard(dataset_block, str(folder), shard=f"{i}/2", workers=2) for i in range(2)]
        pulled = sync_pull_shard(dataset_block, str(tmp_path / "copy"), filters={"dir": "/a"}, workers=2)
        return pushed, pulled

    (pushed, pulled), _ = run_flow(round_trip)
    assert sum(s["transferred"] for s in pushed) == 12 and {s["shard"] for s in pushed} == {"0/2", "1/2"}
    assert pulled["transferred"] == 6 and pulled["shard"] is None
    assert files_under(tmp_path / "copy") == {k: v for k, v in files_under(folder).items() if k.startswith("a/")}


def test_upload_list_and_export_tasks(dataset_block, dataset, folder, tmp_path):
    item = dataset.items.upload(local_path=b"x", remote_path="/labelled", remote_name="one.txt")
    builder = item.annotations.builder()
    from dataloop_core import Classification
    builder.add(annotation_definition=Classification(label="cat"))
    item.annotations.upload(builder)

    @flow
    def work():
        uploaded = upload_to_dataset(dataset_block, str(folder / "a"), remote_path="/raw")
        again = upload_to_dataset(dataset_block, str(folder / "a"), remote_path="/raw")
        listed = list_items(dataset_block, {"dir": "/raw/a"})
        exported = export_annotations(dataset_block, str(tmp_path / "export"), {"dir": "/labelled"})
        return uploaded, again, listed, exported

    (uploaded, again, listed, exported), _ = run_flow(work)
    assert uploaded["uploaded"] == 6 and len(uploaded["item_ids"]) == 6
    assert sorted(again["item_ids"]) == sorted(uploaded["item_ids"])   # existing items are skipped, not duplicated
    assert sorted(i["id"] for i in listed) == sorted(uploaded["item_ids"])
    assert all(i["dir"] == "/raw/a" for i in listed)
    assert exported["items"] == 1 and exported["annotations"] == 1


def test_dataset_block_bad_input(dataset_block, tmp_path):
    with pytest.raises(ValueError, match="local_path does not exist"):
        dataset_block.upload(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="local folder does not exist"):
        dataset_block.push_folder(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="limit must be >= 1"):
        dataset_block.list_items(limit=0)
    with pytest.raises(TypeError, match="filters must be a dict"):
        dataset_block.list_items(filters="dir=/a")
    with pytest.raises(ValueError, match="shard must look like"):
        dataset_block.push_folder(str(tmp_path), shard="first")


def test_merge_summaries():
    shard = {"direction": "push", "dataset_id": "d", "dataset_name": "n", "transferred": 2, "skipped": 1,
             "deleted": 0, "bytes": 10, "failed_count": 1, "failed": [{"path": "x", "reason": "r"}],
             "seconds": 1.5, "ok": False, "cancelled": False}
    merged = merge_summaries([shard, {**shard, "failed": [], "failed_count": 0, "ok": True, "seconds": 2.0}])
    assert (merged["transferred"], merged["failed_count"], merged["seconds"], merged["ok"]) == (4, 1, 2.0, False)
    with pytest.raises(ValueError, match="no shard summaries"):
        merge_summaries([])
