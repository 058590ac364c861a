"""Dataset export (wire §5.3, §5.4; v3 in :mod:`._dataset_export_v3`) and annotation download/upload, mixed
into ``Datasets``.

A v1 JSON export splits the items into id ranges of at most ``max_items`` (probing the first/last id,
counting each range, splitting at the numeric ObjectId midpoint), exports each range as a command and
merges the resulting JSON arrays. ``export(..., wait=False)`` returns the started commands and ``export_result``
writes their outputs later (an orchestrator waits in between); ``export()`` is the same writer after its wait.
"""
from __future__ import annotations

import copy
import json
import os
import zipfile
from typing import List, Optional, Union

from .._repository import exactly_one, path
from .._archive import safe_extract
from .._transfer import download_bytes, safe_join
from ..entities.command import Command
from ..entities.dataset import (Dataset, DatasetExportVersion, ExportMode, ExportType, ExportVersion,
                                OutputExportType)
from ..filters import Filters, FiltersOperations, FiltersOrderByDirection, FiltersResource
from ..paging import PagedEntities

MAX_ITEMS_PER_EXPORT = 50_000
ANNOTATION_KEYS = ("type", "label", "coordinates", "attributes", "metadata", "description", "source",
                   "labelSuggestions")


class DatasetExports:
    """Export, download_annotations and upload_annotations of ``Datasets``."""

    # -- export ----------------------------------------------------------------------------------
    def export(self, dataset: Optional[Dataset] = None, dataset_name: Optional[str] = None,
               dataset_id: Optional[str] = None, local_path: Optional[str] = None,
               filters: Union[Filters, dict, None] = None, annotation_filters: Optional[Filters] = None,
               include_annotations: bool = False, export_type: ExportType = ExportType.JSON, timeout: int = 0,
               dataset_lock: bool = False, lock_timeout_sec: Optional[int] = None, export_summary: bool = False,
               output_export_type: Optional[OutputExportType] = None,
               export_version: DatasetExportVersion = DatasetExportVersion.V1,
               export_mode: Optional[ExportMode] = None, from_version: Optional[int] = None,
               partition_count: Optional[int] = None, force: bool = False, parallel_downloads: int = 4,
               max_items: int = MAX_ITEMS_PER_EXPORT, wait: bool = True):
        """Export items (and annotations) as JSON; returns the path of ``<dataset id>.json`` (``.json.zip``
        for ``output_export_type='zip'``, the folder for ``'folders'``, the zip for ``export_type='zip'``).
        ``export_version='v3'`` runs a full or diff (``export_mode``, ``from_version``) partitioned NDJSON
        export and returns its ``ExportManifest`` with the files downloaded under ``local_path``.

        ``wait=False`` (v1 only; a v3 export is synchronous) starts the export commands and returns them (one
        per id range of at most ``max_items`` items, none when nothing matches; one for ``export_type='zip'``):
        wait for them (e.g. ``client.runs.wait("command", id)``), then ``export_result(...)`` writes these files.
        """
        version = DatasetExportVersion(getattr(export_version, "value", export_version))
        _check_local_path(local_path)
        if version == DatasetExportVersion.V3:
            if not wait:
                raise ValueError("wait=False needs export_version='v1': a v3 export is synchronous")
            from ._dataset_export_v3 import export_v3
            if dataset is None or dataset_id is not None or dataset_name is not None:
                dataset = self._resolve(dataset, dataset_name, dataset_id)
            return export_v3(self, dataset, local_path, filters, export_mode, from_version, partition_count, force,
                             timeout, parallel_downloads)
        if any(v is not None for v in (export_mode, from_version, partition_count)) or force:
            raise ValueError("export_mode, from_version, partition_count and force need export_version='v3'")
        export_type, output = _export_types(export_type, output_export_type)
        if dataset is None or dataset_id is not None or dataset_name is not None:
            dataset = self._resolve(dataset, dataset_name, dataset_id)
        options = {"annotations": {"include": include_annotations, "convertSemantic": False},
                   "itemsVectorQuery": {}}
        if annotation_filters is not None:
            options["annotationsQuery"] = annotation_filters.prepare()
        if dataset_lock:
            options["datasetLock"] = True
        if lock_timeout_sec:
            options["lockTimeoutSec"] = lock_timeout_sec
        if export_summary:
            options["summary"] = True
        parts = [filters] if export_type == ExportType.ZIP else self._split(dataset.id, filters, max_items)
        commands = [Command(self._client, self._start_export(dataset.id, {
                        "exportType": export_type.value, "itemsQuery": _items_query(part), **options}))
                    for part in parts]
        if not wait:
            return commands
        return self._write_export_result(dataset.id, commands, local_path, export_type, output, timeout)

    def export_result(self, dataset_id: str, command_ids: List[str], local_path: Optional[str] = None,
                      output_export_type: Optional[OutputExportType] = None,
                      export_type: ExportType = ExportType.JSON):
        """Write what ``export(...)`` writes (same files, same return value) from the commands that
        ``export(..., wait=False)`` started, once they ended; pass the same ``export_type`` and
        ``output_export_type``. Raises ``ValueError`` while a command is still running, ``FailedDependency``
        for a failed one (as ``export``), ``NotFound`` for an unknown id."""
        if not isinstance(dataset_id, str) or not dataset_id:
            raise ValueError(f"dataset_id must be a dataset id, got {dataset_id!r}")
        if isinstance(command_ids, str) or not isinstance(command_ids, (list, tuple)) or \
                not all(isinstance(c, str) and c for c in command_ids):
            raise ValueError(f"command_ids must be a list of export command ids, got {command_ids!r}")
        _check_local_path(local_path)
        export_type, output = _export_types(export_type, output_export_type)
        if export_type == ExportType.ZIP and len(command_ids) != 1:
            raise ValueError(f"export_type 'zip' has exactly one export command, got {len(command_ids)}")
        commands = [self._client.commands.get(command_id=command_id) for command_id in command_ids]
        running = [c for c in commands if c.in_progress()]
        if running:
            raise ValueError("export command(s) still running: "
                             + ", ".join(f"{c.id} ({c.status}, {c.progress}%)" for c in running)
                             + "; wait for them to end before export_result")
        return self._write_export_result(dataset_id, commands, local_path, export_type, output, 0)

    def _write_export_result(self, dataset_id: str, commands: List[Command], local_path: Optional[str],
                             export_type: ExportType, output: OutputExportType, timeout: float):
        """Wait for each export command (no request once it ended), download its output and write the files."""
        local_path = local_path or os.path.join(self._client.state_dir, "exports", dataset_id)
        os.makedirs(local_path, exist_ok=True)
        if export_type == ExportType.ZIP:
            target = os.path.join(local_path, f"{dataset_id}.zip")
            with open(target, "wb") as handle:
                handle.write(self._export_output(commands[0].to_json(), timeout))
            if output != OutputExportType.ZIP:
                with zipfile.ZipFile(target) as archive:
                    safe_extract(archive, local_path)
                os.remove(target)
                return local_path
            return target
        items: List[dict] = []
        for command in commands:
            items.extend(json.loads(self._export_output(command.to_json(), timeout)))
        return _write_export(items, local_path, dataset_id, output)

    def _start_export(self, dataset_id: str, body: dict) -> dict:
        return self._request("POST", path("/datasets/{}/export", dataset_id), json=body)

    def _export_output(self, answer: dict, timeout: float) -> bytes:
        from .datasets import command_spec
        item_id = command_spec(self._client, answer, "outputItemId", timeout)["outputItemId"]
        item_json = self._request("GET", path("/items/{}", item_id))
        return download_bytes(self._transport, item_json).getvalue()

    def _run_export(self, dataset_id: str, body: dict, timeout: float) -> bytes:
        return self._export_output(self._start_export(dataset_id, body), timeout)

    def _count(self, dataset_id: str, filters: Filters, sort: Optional[str] = None) -> dict:
        probe = copy.deepcopy(filters)
        probe.page, probe.page_size = 0, 1 if sort else 0
        if sort:
            probe.sort = {"id": sort}
        return self._request("POST", path("/datasets/{}/query", dataset_id), json=probe.prepare(),
                             retry_safe=True) or {}

    def _split(self, dataset_id: str, filters, max_items: int) -> list:
        """Item filters covering id ranges of at most ``max_items`` items each (raw dicts are not split)."""
        if isinstance(filters, dict):
            return [filters]
        filters = copy.deepcopy(filters) if filters is not None else Filters()
        first = self._count(dataset_id, filters, FiltersOrderByDirection.ASCENDING.value)
        total = first.get("totalItemsCount", 0)
        if total <= max_items:
            return [filters] if total else []
        last = self._count(dataset_id, filters, FiltersOrderByDirection.DESCENDING.value)
        pending = [(first["items"][0]["id"], last["items"][0]["id"], True)]
        parts = []
        while pending:
            low, high, inclusive = pending.pop()
            part = copy.deepcopy(filters)
            part.add("id", low, FiltersOperations.GREATER_THAN_OR_EQUAL if inclusive else
                     FiltersOperations.GREATER_THAN)
            part.add("id", high, FiltersOperations.LESS_THAN_OR_EQUAL)
            count = self._count(dataset_id, part).get("totalItemsCount", 0)
            if count <= max_items and count:
                parts.append(part)
            elif count:
                middle = f"{(int(low, 16) + int(high, 16)) // 2:024x}"
                pending += [(middle, high, False), (low, middle, inclusive)]
        return parts

    # -- annotations -----------------------------------------------------------------------------
    def download_annotations(self, dataset: Dataset, local_path: Optional[str] = None,
                             filters: Optional[Filters] = None, annotation_options=None,
                             annotation_filters: Optional[Filters] = None, overwrite: bool = False,
                             thickness: int = 1, with_text: bool = False, remote_path: Optional[str] = None,
                             include_annotations_in_output: bool = True, export_png_files: bool = False,
                             filter_output_annotations: bool = False, alpha: Optional[float] = None,
                             export_version: ExportVersion = ExportVersion.V1) -> str:
        """Write one JSON per item (with its ``annotations``) under ``<local_path>/json`` and render the other
        ``annotation_options`` (mask, instance, img_mask, object_id, vtt) under ``<local_path>/<option>``;
        return local_path. ``remote_path`` narrows the items to that folder (and below)."""
        from ._annotation_render import parse_options, render
        options = parse_options(annotation_options)
        version = ExportVersion(getattr(export_version, "value", export_version))
        filters = copy.deepcopy(filters) if filters is not None else Filters()
        if remote_path is not None:
            folder = "/" + remote_path.strip("/")
            filters.add(field="filename", values=folder.rstrip("/") + "/**")
        local_path = local_path or os.path.join(self._client.state_dir, "annotations", dataset.id)
        target = os.path.join(local_path, "json")
        if overwrite or not (os.path.isdir(target) and os.listdir(target)):
            annotations = {"include": include_annotations_in_output, "convertSemantic": export_png_files}
            if filter_output_annotations:
                annotations["filter"] = True
            body = {"itemsQuery": filters.prepare(), "annotations": annotations, "exportVersion": version.value}
            if annotation_filters is not None:
                body["annotationsQuery"] = annotation_filters.prepare()
            data = self._run_export(dataset.id, body, 0)
            os.makedirs(target, exist_ok=True)
            archive_path = os.path.join(local_path, f"{dataset.id}-annotations.zip")
            with open(archive_path, "wb") as handle:
                handle.write(data)
            with zipfile.ZipFile(archive_path) as archive:
                safe_extract(archive, target)
            os.remove(archive_path)
        render(dataset, local_path, filters, options, overwrite, thickness, with_text, alpha, version)
        return local_path

    def upload_annotations(self, dataset: Dataset, local_path: str, filters: Optional[Filters] = None,
                           clean: bool = False, remote_root_path: str = "/",
                           export_version: ExportVersion = ExportVersion.V1) -> int:
        """Upload ``<local_path>/<remote path>.json`` annotation files onto the matching items; returns how
        many annotations were uploaded. ``clean=True`` first deletes each matched item's annotations."""
        exactly_one(dataset=dataset)
        if not os.path.isdir(local_path):
            raise ValueError(f"local_path must be an existing folder: {local_path}")
        version = ExportVersion(getattr(export_version, "value", export_version))
        filters = filters or Filters()
        if filters.resource != FiltersResource.ITEM:
            raise ValueError("filters must be item filters")
        fetch = lambda body: self._request("POST", path("/datasets/{}/query", dataset.id), json=body,  # noqa: E731
                                           retry_safe=True)
        uploaded = 0
        for item in PagedEntities(fetch, filters, lambda j: j).all():
            json_path = _annotation_file(local_path, item.get("filename", ""), remote_root_path, version)
            if json_path is None or not os.path.isfile(json_path):
                continue
            with open(json_path, encoding="utf-8") as handle:
                annotations = (json.load(handle) or {}).get("annotations") or []
            if clean:
                self._request("POST", path("/datasets/{}/query", dataset.id),
                              json={"filter": {"$and": [{"itemId": item["id"]}]}, "resource": "annotations",
                                    "delete": True, "page": 0, "pageSize": 1000})
            body = [{k: a[k] for k in ANNOTATION_KEYS if k in a} for a in annotations]
            if body:
                self._request("POST", path("/items/{}/annotations", item["id"]), json=body)
                uploaded += len(body)
        return uploaded


def _check_local_path(local_path: Optional[str]) -> None:
    if local_path is not None and os.path.isfile(local_path):
        raise ValueError(f"local_path must be a directory, not a file: {local_path}")


def _export_types(export_type, output_export_type) -> tuple:
    """``(ExportType, OutputExportType)`` of a v1 export (output defaults to 'json'); a zip export cannot be
    merged into one JSON file."""
    export_type = ExportType(getattr(export_type, "value", export_type))
    output = OutputExportType(getattr(output_export_type, "value", output_export_type or "json"))
    if export_type == ExportType.ZIP and output == OutputExportType.JSON and output_export_type is not None:
        raise ValueError("export_type 'zip' cannot produce output_export_type 'json'; use export_type 'json'")
    return export_type, output


def _items_query(filters) -> dict:
    if isinstance(filters, dict):
        return filters
    prepared = (filters if filters is not None else Filters()).prepare()
    return {"filter": prepared["filter"], "join": prepared.get("join") or {}}


def _json_name(filename: str, version: Optional[ExportVersion]) -> str:
    relative = filename.lstrip("/")
    return relative + ".json" if version == ExportVersion.V2 else os.path.splitext(relative)[0] + ".json"


def _annotation_file(local_path: str, filename: str, remote_root_path: str, version: ExportVersion):
    root = "/" + remote_root_path.strip("/")
    if root != "/" and not (filename == root or filename.startswith(root + "/")):
        return None
    relative = filename[len(root):] if root != "/" else filename
    return safe_join(local_path, _json_name(relative, version))


def _write_export(items: List[dict], local_path: str, dataset_id: str, output: OutputExportType) -> Optional[str]:
    if output == OutputExportType.FOLDERS:
        for item in items:
            target = safe_join(local_path, _json_name(item.get("filename") or item["id"], None))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as handle:
                json.dump(item, handle, indent=2)
        return local_path
    result = os.path.join(local_path, f"{dataset_id}.json")
    with open(result, "w", encoding="utf-8") as handle:
        json.dump(items, handle)
    if output == OutputExportType.ZIP:
        with zipfile.ZipFile(result + ".zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(result, arcname=os.path.basename(result))
        os.remove(result)
        return result + ".zip"
    return result
