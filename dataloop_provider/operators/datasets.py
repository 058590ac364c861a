"""Dataset-level work: external-storage sync, annotation export and clone, each a platform command (or a few)
waited on like any run: blocking or deferred, resumable, fire-and-forget."""
from __future__ import annotations

import os
from typing import Optional

from dataloop_core import Filters
from dataloop_core.runs import RunKind
from dataloop_provider.links.dataloop import DataloopDatasetLink
from dataloop_provider.operators.base import DataloopRunOperator, capped, template_fields


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


class _NothingToExport(Exception):
    """Raised by the export operator's ``start`` when no item matches: no command to wait for."""


class DataloopExportAnnotationsOperator(DataloopRunOperator):
    """Export a dataset's items and annotations (optionally filtered) to ``local_path``: one JSON file
    (``output_type="json"``), a zip archive (``"zip"``) or per-item JSON files (``"folders"``).

    The platform's export commands (one per id range of at most 50,000 items) are waited on like any run, blocking
    or deferred; then the worker downloads their outputs. Returns ``{"dataset_id", "path", "bytes"}`` (with
    ``wait_for_completion=False``, ``{"dataset_id", "command_ids", "statuses"}`` unless they had already ended).
    """

    kind = RunKind.COMMAND.value
    template_fields = template_fields("dataset_id", "local_path", "filters")
    operator_extra_links = (DataloopDatasetLink(),)

    def __init__(self, *, dataset_id: str, local_path: str, filters: Optional[dict] = None,
                 include_annotations: bool = True, output_type: str = "json", **kwargs):
        super().__init__(**kwargs)
        if output_type not in ("json", "zip", "folders"):
            raise ValueError(f"{type(self).__name__}: output_type must be 'json', 'zip' or 'folders', got "
                             f"{output_type!r}")
        self.dataset_id, self.local_path, self.filters = dataset_id, local_path, filters
        self.include_annotations, self.output_type = include_annotations, output_type

    def execute(self, context):
        try:
            return super().execute(context)
        except _NothingToExport:
            self.log.info("no item matches: the export is empty")
            return self.result(context, [])

    def start(self, context) -> list:
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        DataloopDatasetLink.persist(context, dataset.platform_url)
        commands = dataset.export(local_path=self.local_path, include_annotations=self.include_annotations,
                                  filters=Filters.from_dict(self.filters) if self.filters else None,
                                  output_export_type=self.output_type, wait=False)
        if not commands:
            raise _NothingToExport()
        self.log.info("export of dataset %s: %d command(s), first %s", dataset.name, len(commands), commands[0].id)
        return [command.id for command in commands]

    def result(self, context, statuses: list) -> dict:
        if not all(s.succeeded for s in statuses):  # not waited for (wait_for_completion=False)
            return {"dataset_id": self.dataset_id, "command_ids": capped(self.run_ids),
                    "statuses": capped(s.status for s in statuses)}
        path = self.client.datasets.export_result(self.dataset_id, list(self.run_ids), local_path=self.local_path,
                                                  output_export_type=self.output_type)
        size = (os.path.getsize(path) if os.path.isfile(path) else
                sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files))
        self.log.info("exported dataset %s to %s (%d bytes)", self.dataset_id, path, size)
        return {"dataset_id": self.dataset_id, "path": path, "bytes": size}


class DataloopCloneDatasetOperator(DataloopRunOperator):
    """Clone a dataset (optionally only the items matching ``filters``) into a new dataset ``clone_name`` or
    into ``dst_dataset_id``; the platform's clone command is waited on like any run, blocking or deferred.
    Returns ``{"dataset_id", "name", "source_dataset_id"}`` (with ``wait_for_completion=False``,
    ``{"command_id", "status", "source_dataset_id"}`` unless the clone had already ended)."""

    kind = RunKind.COMMAND.value
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

    def start(self, context) -> list:
        command = self.client.datasets.clone(
            self.dataset_id, clone_name=self.clone_name, dst_dataset_id=self.dst_dataset_id,
            filters=Filters.from_dict(self.filters) if self.filters else None,
            with_items_annotations=self.with_items_annotations, with_metadata=self.with_metadata, wait=False)
        self.log.info("clone of dataset %s: command %s", self.dataset_id, command.id)
        return [command.id]

    def result(self, context, statuses: list) -> dict:
        [status] = statuses
        if not status.succeeded:  # not waited for (wait_for_completion=False)
            return {"command_id": status.id, "status": status.status, "source_dataset_id": self.dataset_id}
        clone = self.client.datasets.get(dataset_id=status.output["returnedModelId"])
        DataloopDatasetLink.persist(context, clone.platform_url)
        self.log.info("cloned dataset %s into %s (%s)", self.dataset_id, clone.name, clone.id)
        return {"dataset_id": clone.id, "name": clone.name, "source_dataset_id": self.dataset_id}
