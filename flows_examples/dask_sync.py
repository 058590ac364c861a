"""sync_folder_to_dataset, unchanged, on prefect-dask's DaskTaskRunner over a LocalCluster of 2 worker processes.

Uses DATALOOP_BASE_URL/DATALOOP_TOKEN when set, else an embedded emulator. The credentials block carries no
secret: the Dask workers sign in from the DATALOOP_* environment they inherit (on a real cluster, give the
workers that environment, or save the block and it travels by name). Run: ``python -m flows_examples.dask_sync``.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from flows_examples.common import dataloop, local_dask_runner, prefect_api, prefect_home


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="prefect-dask-") as work, prefect_home(Path(work)), \
            dataloop(Path(work)) as (base_url, token), prefect_api():
        from dags_examples.seed import make_images
        from dataloop_core import DataloopClient
        from prefect_dataloop import DataloopCredentials, DataloopDataset
        from prefect_dataloop.flows import sync_folder_to_dataset

        os.environ.update(DATALOOP_BASE_URL=base_url, DATALOOP_TOKEN=token)
        client = DataloopClient(base_url=base_url, token=token)
        project = client.projects.create(f"prefect-dask-{os.getpid()}")
        dataset = project.datasets.create("images")
        folder = Path(work) / "images"
        make_images(folder, 60)
        block = DataloopDataset(credentials=DataloopCredentials(), project_name=project.name,
                                dataset_name=dataset.name)
        summary = sync_folder_to_dataset.with_options(task_runner=local_dask_runner())(block, str(folder), shards=4)
        print(f"Dask (2 worker processes): {summary['transferred']} transferred, {summary['failed_count']} failed "
              f"over {summary['shards']} shards; the dataset now holds {len(list(dataset.items.list().all()))} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
