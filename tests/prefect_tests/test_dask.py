"""sync_folder_to_dataset, unchanged, on prefect-dask's DaskTaskRunner over a real LocalCluster with 2 worker
processes: exactly the same dataset (nothing missing, no duplicates) and summary as the thread runner."""
from __future__ import annotations


import pytest
from flows_examples.common import local_dask_runner
from prefect_dataloop import DataloopCredentials, DataloopDataset
from prefect_dataloop.flows import sync_folder_to_dataset

from .conftest import run_flow

VOLATILE = {"seconds", "dataset_id", "dataset_name"}


def remote_files(dataset) -> list:
    return sorted((i.filename, i.metadata["system"].get("size")) for i in dataset.items.list().all())


@pytest.fixture
def more_files(folder):
    for i in range(28):
        (folder / "c" / f"extra-{i:02d}.bin").parent.mkdir(exist_ok=True)
        (folder / "c" / f"extra-{i:02d}.bin").write_bytes(bytes([i]) * (1000 + 37 * i))
    return folder


def test_dask_runner_gives_the_same_dataset_and_summary(emulator, token, project, unique, more_files,
                                                        monkeypatch):
    # Dask workers sign in from their own environment: the block they receive holds no secret at all
    monkeypatch.setenv("DATALOOP_TOKEN", token)
    credentials = DataloopCredentials(base_url=emulator.url)
    assert credentials.token is None
    threaded_ds, dask_ds = (project.datasets.create(unique(name)) for name in ("threads", "dask"))
    block = lambda ds: DataloopDataset(credentials=credentials, project_name=project.name,  # noqa: E731
                                       dataset_name=ds.name)

    threaded, _ = run_flow(sync_folder_to_dataset, block(threaded_ds), str(more_files), shards=4, workers=4)
    on_dask = sync_folder_to_dataset.with_options(task_runner=local_dask_runner())
    distributed, _ = run_flow(on_dask, block(dask_ds), str(more_files), shards=4, workers=4)

    assert threaded["transferred"] == 40 and threaded["ok"]
    assert {k: v for k, v in distributed.items() if k not in VOLATILE} == \
        {k: v for k, v in threaded.items() if k not in VOLATILE}
    assert remote_files(dask_ds) == remote_files(threaded_ds)
    assert len(remote_files(dask_ds)) == 40
