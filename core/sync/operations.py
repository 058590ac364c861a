"""``push`` (local folder -> dataset folder) and ``pull`` (dataset, optionally filtered -> local folder).

A run: list the remote side into the journal (keyset pages), plan by streaming the other side against it,
execute the plan in chunks on a thread pool over one pooled HTTP session, optionally delete what vanished
(``delete=True``, mirror mode; skipped when the listing was incomplete), and return a :class:`SyncSummary`.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Optional, Union

from .._transfer import download_file, hash_file, remote_hash, safe_join, upload_one
from ..filters import Filters
from .engine import Engine, Outcome
from .journal import Entry, Journal, Task, journal_key, journal_path
from .planner import plan_pull, plan_push, scan
from .progress import ProgressCallback, ProgressTracker
from .remote import delete_item, list_files, normalize_root, remote_name
from .sharding import Shard, in_shard, parse_shard
from .summary import Failure, SyncSummary

logger = logging.getLogger("dataloop_core.sync")
DEFAULT_WORKERS = 16


def push(client, dataset, local_dir: str, remote_path: str = "/", *, workers: int = DEFAULT_WORKERS,
         delete: bool = False, dry_run: bool = False, checksum: bool = False, follow_symlinks: bool = False,
         shard: Union[None, str, Shard] = None, journal_dir: Optional[str] = None,
         progress: Optional[ProgressCallback] = None, progress_interval: float = 1.0,
         cancel_event: Optional[threading.Event] = None) -> SyncSummary:
    """Make ``remote_path`` in the dataset hold the files of ``local_dir`` (uploads only what differs).

    Symlinks are skipped unless ``follow_symlinks`` (then links to files and folders are followed, loops
    skipped). Empty folders are not created remotely: Dataloop folders exist through their files.
    ``progress`` is called from the calling thread, at most every ``progress_interval`` s and once at the end.
    When ``cancel_event`` is set, no new file starts, files in flight finish, finished files stay committed in
    the journal and the summary says ``cancelled`` (a next run resumes). A sign-in failure stops the run the
    same way and is raised (``Unauthorized``/``TokenExpired``) instead of failing every remaining file.
    """
    if not os.path.isdir(local_dir):
        raise ValueError(f"local folder does not exist: {local_dir!r}")
    with _run("push", client, dataset, local_dir, remote_path, shard, workers, dry_run, journal_dir,
              progress, progress_interval, cancel_event) as run:
        failures = []

        def on_error(rel: str, reason: str) -> None:
            failures.append(Failure(rel, reason))
        if not run.cancelled():
            run.summary.skipped += plan_push(run.journal, run.until_cancelled(scan(local_dir, follow_symlinks,
                                                                                    on_error)), run.shard, checksum)
        if delete and not run.cancelled():
            _plan_deletes(run, [(r.rel, r.item_id) for r in run.journal.iter_remote(unseen_only=True)], failures)
        run.execute(failures, lambda task, add_bytes: _push_one(run, local_dir, task, add_bytes))
        return run.summary


def pull(client, dataset, local_dir: str, remote_path: str = "/", *, filters: Union[None, dict, Filters] = None,
         workers: int = DEFAULT_WORKERS, delete: bool = False, dry_run: bool = False, checksum: bool = False,
         shard: Union[None, str, Shard] = None, journal_dir: Optional[str] = None,
         progress: Optional[ProgressCallback] = None, progress_interval: float = 1.0,
         cancel_event: Optional[threading.Event] = None) -> SyncSummary:
    """Make ``local_dir`` hold the dataset's files below ``remote_path`` (matching ``filters``).

    ``progress``, ``progress_interval``, ``cancel_event`` and sign-in failures as in :func:`push`; a cancelled
    run never leaves a partially written target file.
    """
    os.makedirs(local_dir, exist_ok=True)
    with _run("pull", client, dataset, local_dir, remote_path, shard, workers, dry_run, journal_dir, progress,
              progress_interval, cancel_event, filters) as run:
        failures = []

        def on_error(rel: str, reason: str) -> None:
            failures.append(Failure(rel, reason))
        if not run.cancelled():
            run.summary.skipped += plan_pull(run.journal, local_dir, checksum, on_error)
        if delete and not run.cancelled():
            vanished = [(f.rel, None) for f in scan(local_dir, False, on_error)
                        if in_shard(f.rel, run.shard) and run.journal.remote(f.rel) is None]
            _plan_deletes(run, vanished, failures)
        run.execute(failures, lambda task, add_bytes: _pull_one(run, local_dir, task, add_bytes))
        return run.summary


# -- one file ------------------------------------------------------------------------------------------
def _push_one(run: "_Run", local_dir: str, task: Task, add_bytes: Callable[[int], None]) -> Outcome:
    if task.action == "delete":
        if not run.dry_run:
            delete_item(run.transport, task.item_id)
        return Outcome(task, "planned" if run.dry_run else "deleted")
    file_path = os.path.join(local_dir, *task.rel.split("/"))
    info = os.stat(file_path)
    with open(file_path, "rb"):  # unreadable files fail here, permanently, before any request
        pass
    if task.reason == "verify":
        digest, _ = hash_file(file_path)
        if digest == task.hash:
            return Outcome(task, "identical", Entry(task.rel, info.st_size, info.st_mtime_ns, digest, task.item_id))
    if run.dry_run:
        return Outcome(task, "planned")
    item, _ = upload_one(run.transport, run.dataset_id, file_path, remote_name(run.root, task.rel),
                         mode="overwrite", with_md5=True, on_bytes=add_bytes)
    return Outcome(task, "transferred", Entry(task.rel, info.st_size, info.st_mtime_ns, remote_hash(item),
                                              item["id"]))


def _pull_one(run: "_Run", local_dir: str, task: Task, add_bytes: Callable[[int], None]) -> Outcome:
    target = safe_join(local_dir, task.rel)
    if task.action == "delete":
        if not run.dry_run:
            os.remove(target)
        return Outcome(task, "planned" if run.dry_run else "deleted")
    if task.reason == "verify":
        digest, _ = hash_file(target)
        if digest == task.hash:
            info = os.stat(target)
            return Outcome(task, "identical", Entry(task.rel, info.st_size, info.st_mtime_ns, digest, task.item_id))
    if run.dry_run:
        return Outcome(task, "planned")
    digest = download_file(run.transport, task.item_id, target, task.size, task.hash, add_bytes,
                           digest=task.digest)
    info = os.stat(target)
    return Outcome(task, "transferred", Entry(task.rel, info.st_size, info.st_mtime_ns, digest, task.item_id))


def _plan_deletes(run: "_Run", victims, failures) -> None:
    if failures:
        logger.warning("mirror deletes skipped: the local listing was incomplete (%d errors)", len(failures))
        return
    run.journal.add_plan((rel, "delete", "vanished", None, item_id, None, None) for rel, item_id in victims)


# -- a run's context ----------------------------------------------------------------------------------
class _Run:
    def __init__(self, direction, client, dataset_id, root, shard, dry_run, journal, tracker, workers, cancel_event):
        self.client, self.transport = client, client.transport
        self.dataset_id, self.root, self.shard, self.dry_run = dataset_id, root, shard, dry_run
        self.journal, self.tracker, self.workers, self.cancel_event = journal, tracker, workers, cancel_event
        self.summary = SyncSummary(direction, dry_run=dry_run)

    def cancelled(self) -> bool:
        """True (and the summary says so) once the cancel event is set before the transfers start."""
        if self.cancel_event is not None and self.cancel_event.is_set():
            self.summary.cancelled = True
        return self.summary.cancelled

    def until_cancelled(self, iterator: Iterable):
        """``iterator`` until the cancel event is set (a cancelled run plans nothing more)."""
        for value in iterator:
            if self.cancelled():
                return
            yield value

    def execute(self, failures, execute) -> None:
        for failure in failures:
            if not self.dry_run:
                self.journal.record_failure(failure.path, failure.reason)
            self.summary.failed.append(failure)
        if not self.cancelled():
            self.tracker.set_totals(*self.journal.plan_totals())
            Engine(self.journal, self.summary, self.tracker, self.workers, cancel_event=self.cancel_event).run(execute)
        if self.dry_run:
            self.journal.reset_plan()
        self.tracker.finish()


@contextmanager
def _run(direction, client, dataset, local_dir, remote_path, shard, workers, dry_run, journal_dir, progress,
         progress_interval, cancel_event, filters=None):
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if cancel_event is not None and not callable(getattr(cancel_event, "is_set", None)):
        raise TypeError(f"cancel_event must be a threading.Event or None, got {type(cancel_event).__name__}")
    tracker = ProgressTracker(progress, progress_interval)
    dataset_id = dataset if isinstance(dataset, str) else getattr(dataset, "id", None)
    if not dataset_id:
        raise ValueError("dataset must be a Dataset or a dataset id")
    root, shard = normalize_root(remote_path), parse_shard(shard)
    started = time.monotonic()
    pooled = client.with_options(pool_size=workers)
    key = journal_key(client.base_url, dataset_id, root, local_dir, shard)
    try:
        with Journal(journal_path(key, journal_dir), key) as journal:
            journal.reset_plan()
            journal.reset_remote()
            run = _Run(direction, pooled, dataset_id, root, shard, dry_run, journal, tracker, workers, cancel_event)
            for page in run.until_cancelled(list_files(pooled.transport, dataset_id, root, filters)):
                journal.add_remote(r for r in page if in_shard(r.rel, shard))
            yield run
            run.summary.seconds = round(time.monotonic() - started, 3)
    finally:
        if pooled.transport.options.pool_size != client.transport.options.pool_size:
            pooled.close()
