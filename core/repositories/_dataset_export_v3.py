"""``Datasets.export(export_version='v3')`` (wire §5.5): start the export command, fetch the manifest, download
its gzip'd NDJSON files in parallel (MD5-verified, atomic), record the export in the dataset's
``metadata.export_v3`` and append it to the dataset's ``/.dataloop/all_exports.json`` history."""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Optional
from urllib.parse import urlparse

from .._repository import path
from .._transfer import download_bytes, safe_join, upload_one
from ..entities.command import Command
from ..entities.dataset import Dataset, ExportMode
from ..entities.export_manifest import ExportFile, ExportManifest
from ..exceptions import BadRequest, FailedDependency, NotFound
from ..filters import Filters

logger = logging.getLogger("dataloop_core.datasets.export_v3")
HISTORY_PATH = "/.dataloop/all_exports.json"
SYNC_COMMAND = "syncdatasettolancedb"
CHUNK = 1 << 20


def api_path(url: str) -> str:
    """``https://host/api/v1/datasets/x/manifest`` → ``/datasets/x/manifest``."""
    parsed = urlparse(url).path
    index = parsed.find("/api/v1/")
    return parsed[index + len("/api/v1"):] if index != -1 else parsed


def build_body(export_mode, from_version: Optional[int], partition_count: Optional[int], force: bool,
               filters) -> dict:
    body = {"mode": ExportMode(getattr(export_mode, "value", export_mode)).value, "format": "ndjson",
            "force": bool(force)}
    if partition_count is not None:
        if isinstance(partition_count, bool) or not isinstance(partition_count, int) or partition_count < 1:
            raise ValueError(f"partition_count must be a positive integer, got {partition_count!r}")
        body["partitionCount"] = partition_count
    if from_version is not None:
        if isinstance(from_version, bool) or not isinstance(from_version, int) or from_version < 0:
            raise ValueError(f"from_version must be an integer >= 0, got {from_version!r}")
        body["fromVersion"] = from_version
    if isinstance(filters, Filters):
        body["filters"] = {"itemsQuery": {"filter": filters.prepare().get("filter", {})}}
    elif isinstance(filters, dict):
        body["filters"] = filters
    elif filters is not None:
        raise ValueError(f"filters must be Filters or a dict, got {type(filters).__name__}")
    return body


def export_v3(repo, dataset: Dataset, local_path: Optional[str], filters, export_mode, from_version: Optional[int],
              partition_count: Optional[int], force: bool, timeout: float, parallel_downloads: int) -> ExportManifest:
    """Run a v3 export of ``dataset`` and download it under ``local_path``; returns the manifest."""
    mode = ExportMode(getattr(export_mode, "value", export_mode or ExportMode.FULL))
    if mode == ExportMode.DIFF and from_version is None:
        from_version = ((dataset.metadata or {}).get("export_v3") or {}).get("last_to_version")
        if from_version is None:
            logger.warning("no previous v3 export of dataset %s: running a full export", dataset.id)
            mode = ExportMode.FULL
    if parallel_downloads < 1:
        raise ValueError(f"parallel_downloads must be >= 1, got {parallel_downloads!r}")
    body = build_body(mode, from_version, partition_count, force, filters)
    command = _start(repo, dataset.id, body, timeout)
    result = (command.spec or {}).get("exportResult") or {}
    if not result.get("manifestUrl"):
        raise BadRequest("400", f"export command {command.id} answered no manifestUrl "
                                f"(totalRecords={result.get('totalRecords')})")
    manifest = ExportManifest.from_json(repo._client, repo._request("GET", api_path(result["manifestUrl"])),
                                        export_result=result)
    local_path = local_path or os.path.join(repo._client.state_dir, "exports", dataset.id, manifest.export_id)
    os.makedirs(local_path, exist_ok=True)
    manifest.local_path = local_path
    files = manifest.files
    if files:
        with ThreadPoolExecutor(min(parallel_downloads, len(files))) as pool:
            manifest.downloaded_files = sorted(pool.map(lambda f: _download(repo, f, local_path), files))
    _record(repo, dataset, manifest)
    return manifest


def _start(repo, dataset_id: str, body: dict, timeout: float) -> Command:
    """POST the export (once more after a LanceDB pre-sync command) and wait for it to succeed."""
    command = Command(repo._client, repo._request("POST", path("/datasets/{}/export/v3", dataset_id), json=body))
    if (command.type or "").lower() == SYNC_COMMAND:
        command.wait(timeout=timeout)
        command = Command(repo._client, repo._request("POST", path("/datasets/{}/export/v3", dataset_id),
                                                      json=body))
        if (command.type or "").lower() == SYNC_COMMAND:
            raise FailedDependency("424", f"dataset {dataset_id} still needs a sync after command {command.id}")
    return command.wait(timeout=timeout)  # raises FailedDependency unless it succeeded


def _download(repo, file: ExportFile, local_path: str) -> str:
    """Stream one export file to ``<local_path>/<filename>`` (via a temp name), verifying its MD5."""
    name = os.path.basename(file.filename or "")
    if not name:
        raise BadRequest("400", f"export file without a filename: {file.path}")
    target = safe_join(local_path, "/" + name)
    temp = target + ".download"
    digest = hashlib.md5()
    try:
        with repo._transport.request("GET", api_path(file.path), stream=True) as response, \
                open(temp, "wb") as handle:
            for chunk in response.iter_content(CHUNK):
                handle.write(chunk)
                digest.update(chunk)
        actual = base64.b64encode(digest.digest()).decode("ascii")
        if file.checksum and actual != file.checksum:
            raise BadRequest("400", f"checksum mismatch for {name}: expected {file.checksum}, got {actual}")
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return target


def _record(repo, dataset: Dataset, manifest: ExportManifest) -> None:
    """``metadata.export_v3`` on the dataset (PATCH ?system=true) and the export history item."""
    export_by = repo._transport.token_claims.get("email") or "unknown"
    dataset.metadata["export_v3"] = {
        "last_export_id": manifest.export_id, "last_export_time": manifest.exported_at,
        "last_export_mode": manifest.mode, "last_from_version": manifest.from_version,
        "last_to_version": manifest.to_version, "last_total_records": manifest.total_records,
        "last_total_bytes": manifest.total_bytes, "last_partition_count": manifest.partition_count,
        "last_local_path": manifest.local_path, "last_export_by": export_by}
    repo.update(dataset=dataset, system_metadata=True)
    entry = {"export_id": manifest.export_id, "dataset_id": dataset.id, "exported_at": manifest.exported_at,
             "mode": manifest.mode, "from_version": manifest.from_version, "to_version": manifest.to_version,
             "total_records": manifest.total_records, "total_bytes": manifest.total_bytes,
             "partition_count": manifest.partition_count, "file_count": manifest.statistics.file_count,
             "format": manifest.format, "local_path": manifest.local_path,
             "downloaded_files": manifest.downloaded_files,
             "last_updated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    history = {"exports": []}
    try:
        current = dataset.items.get(filepath=HISTORY_PATH)
        history = json.loads(download_bytes(repo._transport, current.to_json()).getvalue())
    except NotFound:
        pass
    except ValueError:
        logger.warning("%s of dataset %s is not valid JSON: starting a new history", HISTORY_PATH, dataset.id)
    if not isinstance(history, dict) or not isinstance(history.get("exports"), list):
        history = {"exports": []}
    history["exports"].append(entry)
    item, _ = upload_one(repo._transport, dataset.id, json.dumps(history, indent=2).encode("utf-8"), HISTORY_PATH,
                         mode="overwrite")
    if not item.get("hidden"):
        repo._request("PATCH", path("/items/{}", item["id"]), json={"hidden": True}, params={"system": "true"})
