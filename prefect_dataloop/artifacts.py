"""What a run shows in the Prefect UI: a throttled progress artifact, a table of each sync summary, and markdown
links to the Dataloop objects it touched. Outside a flow or task run every function here does nothing.

Prefect's artifact functions return coroutines in async runs; ours are called from sync code (block methods,
worker threads), so they always ask for the sync form (``_sync=True``)."""
from __future__ import annotations

import contextvars
import re
import threading
import time
from typing import Iterable, Optional, Tuple

from prefect.artifacts import (create_markdown_artifact, create_progress_artifact, create_table_artifact,
                               update_progress_artifact)
from prefect.context import FlowRunContext, TaskRunContext

from .datasets import MAX_FAILURES


def in_run() -> bool:
    """True inside a Prefect flow or task run (where artifacts have somewhere to go)."""
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def artifact_key(*parts: str) -> str:
    """An artifact key from free text: lowercase letters, digits and dashes only (Prefect's rule)."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower())).strip("-")


class ProgressArtifact:
    """One progress artifact (0-100) updated at most every ``interval`` seconds, from any thread.

    Updates run in a copy of the Prefect context captured at creation, so a sync's worker thread or a wait's
    polling thread reports into the run that started it.
    """

    def __init__(self, description: str, interval: float = 2.0):
        self.interval, self._last, self._lock = interval, 0.0, threading.Lock()
        self._context = contextvars.copy_context()
        self._id = create_progress_artifact(progress=0.0, description=description, _sync=True) if in_run() \
            else None

    def update(self, percent: Optional[float], force: bool = False) -> None:
        if self._id is None or percent is None:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.interval:
                return
            self._last = now
            self._context.copy().run(update_progress_artifact, artifact_id=self._id,
                                     progress=max(0.0, min(100.0, float(percent))), _sync=True)

    def on_sync(self, snapshot) -> None:
        """A ``dataloop_core.sync`` progress callback."""
        done = snapshot.bytes_done / snapshot.bytes_total if snapshot.bytes_total else (
            snapshot.files_done / snapshot.files_total if snapshot.files_total else 0.0)
        self.update(100.0 * done, force=snapshot.files_total > 0 and snapshot.files_done >= snapshot.files_total)

    def on_status(self, status) -> None:
        """A ``client.runs.wait`` progress hook (``RunStatus``)."""
        percent = 100.0 if status.terminal else status.percent
        self.update(percent, force=status.terminal)


def sync_summary_table(summary: dict, title: str) -> None:
    """A table artifact of one sync summary (counts first, then up to 50 failures with their reasons), keyed
    ``dataloop-sync-<direction>`` (``...-shard-<i>-of-<n>`` for one shard)."""
    if not in_run():
        return
    rows = [{"measure": name, "value": summary.get(name)}
            for name in ("direction", "transferred", "skipped", "deleted", "failed_count", "bytes", "seconds",
                         "cancelled", "shards")
            if name in summary]
    rows += [{"measure": f"failed: {f['path']}", "value": f["reason"]}
             for f in summary.get("failed", [])[:MAX_FAILURES]]
    shard = summary.get("shard") if isinstance(summary.get("shard"), str) else None
    create_table_artifact(table=rows, description=title, _sync=True, key=artifact_key(
        "dataloop-sync", summary.get("direction", ""), *(("shard", shard.replace("/", "-of-")) if shard else ())))


def links(title: str, targets: Iterable[Tuple[str, str]]) -> None:
    """A markdown artifact listing ``(label, url)`` links to Dataloop objects."""
    if not in_run():
        return
    lines = [f"### {title}", ""] + [f"- [{label}]({url})" for label, url in targets]
    create_markdown_artifact(markdown="\n".join(lines), key=artifact_key("dataloop", title), description=title,
                             _sync=True)
