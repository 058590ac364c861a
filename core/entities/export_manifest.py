"""ExportManifest: the result of a v3 dataset export (wire §5.5) — partitioned gzip'd NDJSON files, their
checksums and statistics, plus the local files once downloaded."""
from __future__ import annotations

import gzip
import json
import os
import shutil
from typing import Iterator, List, Optional

from .base import Entity, Field


class ExportFile(Entity):
    """One gzip'd NDJSON file of an export (``checksum`` = base64 MD5 of its bytes)."""
    size = Field("size", default=0)
    format = Field("format", default="ndjson")
    compression = Field("compression", default="gzip")
    checksum = Field("checksum", default="")
    filename = Field("filename", default="")
    path = Field("path", default="")


class ExportPartition(Entity):
    index = Field("index", default=0)
    hash = Field("hash", default="")
    item_count = Field("itemCount", default=0)
    file_path = Field("filePath", default="")
    file_size = Field("fileSize", default=0)


class ExportStatistics(Entity):
    total_records = Field("totalRecords", default=0)
    total_bytes = Field("totalBytes", default=0)
    file_count = Field("fileCount", default=0)
    processing_time_ms = Field("processingTimeMs", default=0)


class ExportManifest(Entity):
    """``dataset.export(export_version='v3')``: iterate ``iter_records()`` or ``decompress()`` the files."""
    manifest_version = Field("manifestVersion", default="1.0")
    export_id = Field("exportId", default="")
    dataset_id = Field("datasetId", default="")
    exported_at = Field("exportedAt", default="")
    format = Field("format", default="ndjson")
    filters = Field("filters", default=dict)
    metadata = Field("metadata", default=dict)
    mode = Field("mode", default="full")
    from_version = Field("fromVersion")
    to_version = Field("toVersion")
    local_path = Field("localPath")
    deleted_items = Field("deletedItems", default=list)

    def __init__(self, client, json: Optional[dict] = None, **context):
        super().__init__(client, json, **context)
        self.downloaded_files: List[str] = []

    @classmethod
    def from_json(cls, client, json: dict, export_result: Optional[dict] = None, **context) -> "ExportManifest":
        """The manifest, with the versions and mode of the command's ``exportResult`` when given."""
        json = dict(json)
        if export_result:
            json.update(fromVersion=export_result.get("fromVersion"), toVersion=export_result.get("toVersion"),
                        mode=export_result.get("mode", "full"))
        return cls(client, json, **context)

    @property
    def files(self) -> List[ExportFile]:
        return [ExportFile(self._client, f) for f in self._json.get("files") or []]

    @property
    def partitions(self) -> List[ExportPartition]:
        return [ExportPartition(self._client, p) for p in (self._json.get("partitioning") or {}).get("partitions")
                or []]

    @property
    def partition_count(self) -> int:
        return (self._json.get("partitioning") or {}).get("partitionCount") or len(self.partitions)

    @property
    def statistics(self) -> ExportStatistics:
        return ExportStatistics(self._client, self._json.get("statistics") or {})

    @property
    def total_records(self) -> int:
        return self.statistics.total_records

    @property
    def total_bytes(self) -> int:
        return self.statistics.total_bytes

    def get_file_paths(self) -> List[str]:
        return [f.path for f in self.files]

    def _require_downloads(self) -> List[str]:
        if not self.downloaded_files:
            raise ValueError("no downloaded files: run the export with a local_path first")
        return sorted(self.downloaded_files)

    def decompress(self, output_path: Optional[str] = None) -> List[str]:
        """Un-gzip the downloaded files (next to them, or into ``output_path``); returns the NDJSON paths."""
        result = []
        for gz_path in self._require_downloads():
            if not gz_path.endswith(".gz"):
                result.append(gz_path)
                continue
            target = gz_path[:-3]
            if output_path is not None:
                os.makedirs(output_path, exist_ok=True)
                target = os.path.join(output_path, os.path.basename(target))
            with gzip.open(gz_path, "rb") as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            result.append(target)
        return sorted(result)

    def iter_records(self) -> Iterator[dict]:
        """Every exported item JSON (with ``annotations``) across the downloaded files."""
        for file_path in self._require_downloads():
            opener = gzip.open if file_path.endswith(".gz") else open
            with opener(file_path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        yield json.loads(line)

    def __repr__(self) -> str:
        return (f"ExportManifest(export_id={self.export_id!r}, mode={self.mode!r}, records={self.total_records}, "
                f"files={len(self.files)})")
