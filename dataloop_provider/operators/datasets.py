"""Dataset-level work: external-storage sync (a command, waited on), annotation export, clone."""
from __future__ import annotations

import os
from typing import Optional

from dataloop_core import Filters
from dataloop_core.runs import RunKind
from dataloop_provider.links.dataloop import DataloopDatasetLink
from dataloop_provider.operators.base import DataloopBaseOperator, DataloopRunOperator, template_fields


class DataloopExternalStorageSyncOperator(DataloopRunOperator):
    """Sync a driver-backed dataset with its bucket (``POST /datasets/{id}/sync``) and wait for the command.

    Returns ``{"dataset_id", "command_id", "status", "counts"}`` (the command's ``*Count`` numbers).
    """

    kind = RunKind.COMMAND.value
    template_fields = template_fields("dataset_id")
    operator_extra_links = (DataloopDatasetLink(),)

    def __init__(self, *, dataset_id: str, **kwargs):
        super().__init__(**kwargs)
        self.dataset_id = dataset_id

    def start(self, context) -> list:
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        DataloopDatasetLink.persist(context, dataset.platform_url)
        command = self.client.datasets.sync(dataset.id, wait=False)
        self.log.info("external storage sync of dataset %s: command %s", dataset.name, command.id)
        return [command.id]

    def result(self, context, statuses: list) -> dict:
        spec = self.client.commands.get(command_id=self.run_ids[0]).spec or {}
        return {"dataset_id": self.dataset_id, "command_id": self.run_ids[0],
                "status": statuses[0].status if statuses else None,
                "counts": {k: v for k, v in spec.items() if k.endswith("Count") and isinstance(v, int)}}


class DataloopExportAnnotationsOperator(DataloopBaseOperator):
    """Export a dataset's items and annotations (optionally filtered) to ``local_path``: one JSON file
    (``output_type="json"``), a zip archive (``"zip"``) or per-item JSON files (``"folders"``).

    The platform's export command is waited on inside the client, on the worker that downloads the result.
    Returns ``{"dataset_id", "path", "bytes"}``.
    """

    template_fields = template_fields("dataset_id", "local_path", "filters")
    operator_extra_links = (DataloopDatasetLink(),)

    def __init__(self, *, dataset_id: str, local_path: str, filters: Optional[dict] = None,
                 include_annotations: bool = True, output_type: str = "json", timeout: float = 3600.0, **kwargs):
        super().__init__(**kwargs)
        if output_type not in ("json", "zip", "folders"):
            raise ValueError(f"{type(self).__name__}: output_type must be 'json', 'zip' or 'folders', got "
                             f"{output_type!r}")
        self.dataset_id, self.local_path, self.filters = dataset_id, local_path, filters
        self.include_annotations, self.output_type, self.timeout = include_annotations, output_type, timeout

    def execute(self, context) -> dict:
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        DataloopDatasetLink.persist(context, dataset.platform_url)
        path = dataset.export(local_path=self.local_path, include_annotations=self.include_annotations,
                              filters=Filters.from_dict(self.filters) if self.filters else None,
                              output_export_type=self.output_type, timeout=self.timeout)
        size = (os.path.getsize(path) if os.path.isfile(path) else
                sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files))
        self.log.info("exported dataset %s to %s (%d bytes)", dataset.name, path, size)
        return {"dataset_id": dataset.id, "path": path, "bytes": size}


class DataloopCloneDatasetOperator(DataloopBaseOperator):
    """Clone a dataset (optionally only the items matching ``filters``) into a new dataset ``clone_name`` or
    into ``dst_dataset_id``. Returns ``{"dataset_id", "name", "source_dataset_id"}``."""

    template_fields = template_fields("dataset_id", "clone_name", "filters", "dst_dataset_id")
    operator_extra_links = (DataloopDatasetLink(),)

    def __init__(self, *, dataset_id: str, clone_name: Optional[str] = None, filters: Optional[dict] = None,
                 dst_dataset_id: Optional[str] = None, with_items_annotations: bool = True,
                 with_metadata: bool = True, **kwargs):
        super().__init__(**kwargs)
        if clone_name is None and dst_dataset_id is None:
            raise ValueError(f"{type(self).__name__}: pass clone_name or dst_dataset_id")
        self.dataset_id, self.clone_name, self.filters = dataset_id, clone_name, filters
        self.dst_dataset_id = dst_dataset_id
        self.with_items_annotations, self.with_metadata = with_items_annotations, with_metadata

    def execute(self, context) -> dict:
        clone = self.client.datasets.clone(
            self.dataset_id, clone_name=self.clone_name, dst_dataset_id=self.dst_dataset_id,
            filters=Filters.from_dict(self.filters) if self.filters else None,
            with_items_annotations=self.with_items_annotations, with_metadata=self.with_metadata)
        DataloopDatasetLink.persist(context, clone.platform_url)
        self.log.info("cloned dataset %s into %s (%s)", self.dataset_id, clone.name, clone.id)
        return {"dataset_id": clone.id, "name": clone.name, "source_dataset_id": self.dataset_id}
