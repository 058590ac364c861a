"""The Prefect main job: sync a folder of images into a dataset, then annotate the new items, end to end.

Uses DATALOOP_BASE_URL/DATALOOP_TOKEN when set, else starts an embedded emulator; Prefect runs on a throw-away
temporary API (its own PREFECT_HOME). Steps: seed a project, images and a pre-annotation FaaS service; run
``sync_folder_to_dataset`` (4 shards); run ``annotate_new_items`` (pre-annotation per item, an annotation task,
wait, export). Where people would annotate, a background "annotator" completes the task through the API.
Run: ``python -m flows_examples.main_job``.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from flows_examples.common import Annotator, dataloop, prefect_home


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="prefect-main-job-") as work, prefect_home(Path(work)), \
            dataloop(Path(work)) as (base_url, token):
        # imported here: Prefect reads its settings (PREFECT_HOME...) at import
        from dags_examples.seed import seed
        from dataloop_core import DataloopClient
        from prefect_dataloop import DataloopCredentials, DataloopDataset, DataloopFunction
        from prefect_dataloop.flows import annotate_new_items, sync_folder_to_dataset

        client = DataloopClient(base_url=base_url, token=token)
        seeded = seed(client, work, images=24, project_name="prefect-demo", dataset_name="prefect-images")
        project = client.projects.get(project_id=seeded["project_id"])
        dataset = client.datasets.get(dataset_id=seeded["dataset_id"])
        print(f"1. seeded project {project.name!r}: 24 images in {seeded['images_dir']}, "
              f"dataset {dataset.name!r}, pre-annotation service 'demo-model'")

        credentials = DataloopCredentials(base_url=base_url, token=token)
        dataset_block = DataloopDataset(credentials=credentials, project_name=project.name,
                                        dataset_name=dataset.name, remote_path="/incoming")
        summary = sync_folder_to_dataset(dataset_block, seeded["images_dir"], shards=4, workers=4)
        print(f"2. sync_folder_to_dataset: {summary['transferred']} transferred, {summary['skipped']} skipped, "
              f"{summary['failed_count']} failed over {summary['shards']} shards in {summary['seconds']:.1f} s "
              "(progress, table and link artifacts; a dataloop.dataset.sync.completed event)")

        model = DataloopFunction(credentials=credentials, project_name=project.name, service_name="demo-model",
                                 function_name="pre_annotate", timeout_seconds=300)
        annotator = Annotator(client, dataset.id)
        annotator.start()
        try:
            result = annotate_new_items(dataset_block, [client.user_email], f"review-{int(time.time())}",
                                        str(Path(work) / "export"), filters={"dir": "/incoming"},
                                        pre_annotation=model, timeout=300)
        finally:
            annotator.stop.set()
        task = result["task"]
        print(f"3. annotate_new_items: {result['items']} new items; pre-annotation ran "
              f"{sum(p['status'] == 'success' for p in result['pre_annotation'])} executions; task {task['name']!r} "
              f"reached {task['progress']:g}% (the annotator thread completed its {task['total_items']} items "
              f"through the API); exported {result['export']['items']} items with "
              f"{result['export']['annotations']} annotations")
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
