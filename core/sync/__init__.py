"""Resumable, chunked, incremental dataset sync (push: folder -> dataset, pull: dataset -> folder).

Modules: ``planner`` (streamed local scan + change detection), ``journal`` (SQLite state in a user cache dir),
``engine`` (thread pool, retries, per-file commits) over the transfers of ``core/_transfer.py``,
``remote`` (keyset listing), ``progress``, ``summary``, ``sharding``; ``operations`` ties them together.
Orchestrators pass ``cancel_event`` (cooperative cancel: nothing new starts, finished files stay committed) and
``progress``/``progress_interval`` (called from the calling thread only), and keep ``SyncSummary.to_dict()``.
"""
from .journal import JournalBusy, cache_dir
from .operations import DEFAULT_WORKERS, pull, push
from .progress import ProgressSnapshot, TqdmProgress
from .sharding import parse_shard, shard_of, shards
from .summary import Failure, SyncSummary

__all__ = ["push", "pull", "SyncSummary", "Failure", "ProgressSnapshot", "TqdmProgress", "shard_of", "shards",
           "parse_shard", "cache_dir", "JournalBusy", "DEFAULT_WORKERS"]
