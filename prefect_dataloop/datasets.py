"""``DataloopDataset``: one dataset of one project, with the resumable sync, uploads, queries and exports."""
from __future__ import annotations

import json
import os
from typing import Callable, List, Optional, Union

from prefect.blocks.core import Block
from pydantic import Field

from dataloop_core import Filters, FiltersOperations
from dataloop_core import sync as dataloop_sync

from .credentials import DOCS_URL, LOGO_URL, DataloopCredentials

MAX_LISTED = 1000       # items returned by list_items (plain JSON results stay small)
MAX_IDS = 1000          # item ids returned by upload
MAX_FAILURES = 100      # failures (path, reason) listed in a sync summary


def as_filters(filters: Union[None, dict, Filters]) -> Optional[Filters]:
    """Item filters from a ``Filters`` or its plain-JSON form (a DQL ``{"filter": ...}`` body or a field map)."""
    if filters is None or isinstance(filters, Filters):
        return filters
    if not isinstance(filters, dict):
        raise TypeError(f"filters must be a dict or dataloop_core.Filters, got {type(filters).__name__}")
    if "filter" in filters:
        return Filters(custom_filter=filters["filter"])
    result = Filters()
    for field, value in filters.items():
        result.add(field=field, values=value, operator=FiltersOperations.IN if isinstance(value, list) else None)
    return result


def item_json(item) -> dict:
    """The few fields of an item a flow passes on (plain JSON)."""
    return {"id": item.id, "filename": item.filename, "name": item.name, "dir": item.dir,
            "annotated": bool(getattr(item, "annotated", False))}


class DataloopDataset(Block):
    """A Dataloop dataset: push or pull a folder with the resumable sync engine, upload, list and export.

    Every method returns plain JSON (ids, counts, statuses), never client objects.

    Attributes:
        credentials: How to sign in.
        project_name: The project that holds the dataset.
        dataset_name: The dataset.
        remote_path: The dataset folder the sync methods work on.

    Example:
        Push a folder into the dataset:
        ```python
        from prefect import flow
        from prefect_dataloop import DataloopDataset

        @flow
        def push():
            dataloop_dataset = DataloopDataset.load("BLOCK_NAME")
            return dataloop_dataset.push_folder("./images")
        ```
    """

    _block_type_name = "Dataloop Dataset"
    _logo_url = LOGO_URL
    _documentation_url = DOCS_URL

    credentials: DataloopCredentials = Field(description="How to sign in to Dataloop.")
    project_name: str = Field(description="The project that holds the dataset.")
    dataset_name: str = Field(description="The dataset's name.")
    remote_path: str = Field(default="/", description="The dataset folder that push_folder and pull_folder sync.")

    def get_dataset(self):
        """The ``dataloop_core`` Dataset entity (raises ``NotFound`` naming the missing project or dataset)."""
        client = self.credentials.get_client()
        return client.projects.get(project_name=self.project_name).datasets.get(dataset_name=self.dataset_name)

    # -- sync ---------------------------------------------------------------------------------------
    def push_folder(self, local_dir: str, *, shard=None, workers: int = dataloop_sync.DEFAULT_WORKERS,
                    delete: bool = False, progress: Optional[Callable] = None, **options) -> dict:
        """Make ``remote_path`` hold the files of ``local_dir`` (only what differs is sent); the summary as JSON.

        ``shard`` (``"i/n"`` or ``(i, n)``) syncs one of n disjoint slices; ``progress`` gets each
        ``ProgressSnapshot``; other ``options`` (``cancel_event``, ``checksum``, ...) go to ``sync.push``.
        """
        dataset = self.get_dataset()
        summary = dataloop_sync.push(self.credentials.get_client(), dataset, local_dir, self.remote_path,
                                     workers=workers, shard=shard, delete=delete, progress=progress, **options)
        return self._result(summary, dataset, shard)

    def pull_folder(self, local_dir: str, *, filters: Union[None, dict, Filters] = None, shard=None,
                    workers: int = dataloop_sync.DEFAULT_WORKERS, delete: bool = False,
                    progress: Optional[Callable] = None, **options) -> dict:
        """Make ``local_dir`` hold the dataset's files below ``remote_path`` (matching ``filters``); JSON summary."""
        dataset = self.get_dataset()
        summary = dataloop_sync.pull(self.credentials.get_client(), dataset, local_dir, self.remote_path,
                                     filters=as_filters(filters), workers=workers, shard=shard, delete=delete,
                                     progress=progress, **options)
        return self._result(summary, dataset, shard)

    @staticmethod
    def _result(summary, dataset, shard) -> dict:
        data = summary.to_dict()
        data.setdefault("cancelled", False)
        data["failed"] = data["failed"][:MAX_FAILURES]      # failed_count keeps the full count
        parsed = dataloop_sync.parse_shard(shard)
        data.update(dataset_id=dataset.id, dataset_name=dataset.name,
                    shard=None if parsed is None else f"{parsed[0]}/{parsed[1]}")
        return json.loads(json.dumps(data))

    # -- items --------------------------------------------------------------------------------------
    def upload(self, local_path: str, remote_path: Optional[str] = None, overwrite: bool = False) -> dict:
        """Upload a file or a folder's files under ``remote_path`` (default: the block's); ids and counts."""
        if not os.path.exists(local_path):
            raise ValueError(f"local_path does not exist: {local_path!r}")
        items = self.get_dataset().items.upload(local_path=local_path, remote_path=remote_path or self.remote_path,
                                                overwrite=overwrite, return_as_list=True) or []
        ids = [item.id for item in items]
        return {"uploaded": len(ids), "item_ids": ids[:MAX_IDS], "truncated": len(ids) > MAX_IDS}

    def list_items(self, filters: Union[None, dict, Filters] = None, limit: int = MAX_LISTED) -> List[dict]:
        """Items matching ``filters`` (a ``Filters`` or its JSON: ``{"dir": "/raw"}``), at most ``limit``."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        found = []
        for item in self.get_dataset().items.list(filters=as_filters(filters)).all():
            found.append(item_json(item))
            if len(found) >= limit:
                break
        return found

    def export_annotations(self, local_path: str, filters: Union[None, dict, Filters] = None) -> dict:
        """Export the items matching ``filters`` with their annotations as JSON under ``local_path``."""
        os.makedirs(local_path, exist_ok=True)
        path = self.get_dataset().export(local_path=local_path, filters=as_filters(filters),
                                         include_annotations=True)
        with open(path, encoding="utf-8") as handle:
            exported = json.load(handle)
        items = exported if isinstance(exported, list) else exported.get("items", [])
        return {"path": str(path), "items": len(items),
                "annotations": sum(len(item.get("annotations") or []) for item in items)}
