"""Sync push (folder -> dataset) and pull (dataset -> folder) over ``dataloop_core.sync``, mappable over
shards: ``DataloopSyncPushOperator.partial(...).expand(shard=["0/4", "1/4", "2/4", "3/4"])``."""
from __future__ import annotations

import threading
from typing import Optional

from airflow.providers.common.compat.sdk import AirflowException

from dataloop_core import sync
from dataloop_provider.links.dataloop import DataloopDatasetLink
from dataloop_provider.triggers.items import newest_created_at
from dataloop_provider.operators.base import LOG_EVERY, MAX_LIST, DataloopBaseOperator, Throttle, template_fields


class DataloopSyncOperator(DataloopBaseOperator):
    """Shared by push and pull: run ``sync.<direction>``, log progress every ``progress_interval`` s, return
    the summary (failures capped at 100) and fail listing the failed files.

    :param shard: ``"i/n"`` to sync one shard of n (map over shards with ``.expand(shard=[...])``).
    :param journal_dir: where the resumable journal lives (a persistent disk on long-lived workers).
    """

    direction: str
    template_fields = template_fields("dataset_id", "local_dir", "remote_path", "shard", "journal_dir")
    operator_extra_links = (DataloopDatasetLink(),)

    def __init__(self, *, dataset_id: str, local_dir: str, remote_path: str = "/", shard: Optional[str] = None,
                 journal_dir: Optional[str] = None, workers: int = sync.DEFAULT_WORKERS, delete: bool = False,
                 checksum: bool = False, progress_interval: float = LOG_EVERY, **kwargs):
        super().__init__(**kwargs)
        self.dataset_id, self.local_dir, self.remote_path = dataset_id, local_dir, remote_path
        self.shard, self.journal_dir, self.workers = shard, journal_dir, workers
        self.delete, self.checksum, self.progress_interval = delete, checksum, progress_interval
        self._cancel = None

    def options(self) -> dict:
        """Direction-specific keyword arguments of the sync call."""
        return {}

    def before(self, dataset) -> dict:
        """Direction-specific facts read before the sync, added to the XCom result."""
        return {}

    def execute(self, context) -> dict:
        self._cancel = threading.Event()
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        DataloopDatasetLink.persist(context, dataset.platform_url)
        log = Throttle(self.log.info, self.progress_interval)
        facts = self.before(dataset)

        def progress(snapshot) -> None:
            log(f"{self.direction}: {snapshot.files_done}/{snapshot.files_total} files, "
                f"{snapshot.bytes_done / 1e6:.1f}/{snapshot.bytes_total / 1e6:.1f} MB, {snapshot.failed} failed")

        run = getattr(sync, self.direction)
        summary = run(self.client, dataset.id, self.local_dir, self.remote_path, shard=self.shard,
                      workers=self.workers, delete=self.delete, checksum=self.checksum,
                      journal_dir=self.journal_dir, progress=progress, cancel_event=self._cancel, **self.options())
        self.log.info("%s%s", summary, f" (shard {self.shard})" if self.shard else "")
        if summary.cancelled:
            raise AirflowException(f"{self.direction} cancelled: {summary}")
        if not summary.ok:
            failed = sorted(summary.failed, key=lambda failure: failure.path)
            shown = "; ".join(f"{f.path}: {f.reason}" for f in failed[:20])
            more = len(summary.failed) - 20
            raise AirflowException(f"{self.direction} failed for {len(summary.failed)} file(s): {shown}"
                                   + (f"; and {more} more" if more > 0 else ""))
        result = summary.to_dict()
        result["failed"] = result["failed"][:MAX_LIST]
        result.update(dataset_id=dataset.id, shard=self.shard, **facts)
        return result

    def on_kill(self) -> None:
        """Cooperative cancel: no new file starts, the journal is committed (a rerun resumes)."""
        if self._cancel is not None:
            self._cancel.set()


class DataloopSyncPushOperator(DataloopSyncOperator):
    """Make ``remote_path`` of the dataset hold the files of ``local_dir`` (uploads only what changed).

    The result's ``created_after`` is the platform's ``createdAt`` of the newest file before this push (None for
    an empty dataset): the files this push created are those created after it, by the platform's own clock
    (``{"createdAt": {"$gt": created_after}}``; with shards, take the oldest of them).
    """

    direction = "push"

    def before(self, dataset) -> dict:
        return {"created_after": newest_created_at(self.client, dataset.id)}


class DataloopSyncPullOperator(DataloopSyncOperator):
    """Make ``local_dir`` hold the dataset's files under ``remote_path`` (matching ``filters``)."""

    direction = "pull"
    template_fields = (*DataloopSyncOperator.template_fields, "filters")

    def __init__(self, *, filters: Optional[dict] = None, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters

    def options(self) -> dict:
        return {"filters": self.filters}
