"""Execution: the plan in chunks over a bounded thread pool, per-file retries, one journal commit per file.

Workers only transfer and return an :class:`Outcome`; the calling thread owns the journal, the summary and the
progress callback, so SQLite is written from one thread, every finished file is committed before the next
result is handled, and the callback is never called by two threads at once.

Stopping early: on the cancel event no new file starts and a file waiting for a retry is abandoned; files in
flight finish. A sign-in failure (``Unauthorized``, ``TokenExpired``: every remaining file would fail the same
way) stops the run the same way, then :meth:`Engine.run` raises it once, after the finished files are committed.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Callable, Iterable, List, NamedTuple, Optional, Set

from .._transfer import is_transient
from ..exceptions import PlatformException, TokenExpired, Unauthorized
from .journal import Entry, Journal, Task
from .progress import ProgressTracker
from .summary import Failure, PlannedAction, SyncSummary

logger = logging.getLogger("dataloop_core.sync")
MIN_TICK = 0.05  # seconds: the shortest wait between two progress checks of the driving thread


class Outcome(NamedTuple):
    task: Task
    kind: str                      # transferred | identical | deleted | planned | failed | abandoned | fatal
    entry: Optional[Entry] = None
    reason: str = ""
    error: Optional[BaseException] = None   # the sign-in failure of a ``fatal`` outcome


def describe(exc: BaseException) -> str:
    if isinstance(exc, PlatformException):
        return f"{exc.status} {exc.message}" if exc.status else exc.message
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def is_sign_in_failure(exc: BaseException) -> bool:
    """The client cannot authenticate any more: no point in trying the other files."""
    return isinstance(exc, (Unauthorized, TokenExpired))


class Engine:
    """Runs ``execute(task, add_bytes) -> Outcome`` over the plan with ``workers`` threads."""

    def __init__(self, journal: Journal, summary: SyncSummary, tracker: ProgressTracker, workers: int,
                 attempts: int = 4, backoff: float = 0.5, backoff_cap: float = 10.0, chunk_size: int = 1000,
                 cancel_event: Optional[threading.Event] = None):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.journal, self.summary, self.tracker = journal, summary, tracker
        self.workers, self.attempts, self.chunk_size = workers, attempts, chunk_size
        self.backoff, self.backoff_cap = backoff, backoff_cap
        self.cancel_event = cancel_event
        self._halt = threading.Event()     # set on a sign-in failure
        self._fatal: Optional[BaseException] = None

    def stopping(self) -> bool:
        return self._halt.is_set() or (self.cancel_event is not None and self.cancel_event.is_set())

    def run(self, execute: Callable[[Task, Callable[[int], None]], Outcome],
            chunks: Optional[Iterable[List[Task]]] = None) -> None:
        chunks = self.journal.iter_plan(self.chunk_size) if chunks is None else chunks
        window = self.workers * 2
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="sync")
        pending: Set[Future] = set()
        try:
            for task in (task for chunk in chunks for task in chunk):
                if self.stopping():
                    self._mark_stopped()
                    break
                pending.add(pool.submit(self._attempt, execute, task))
                while len(pending) >= window:
                    pending = self._collect(pending)
            while pending:
                pending = self._collect(pending)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._fatal is not None:
            raise self._fatal

    def _collect(self, pending: Set[Future]) -> Set[Future]:
        """Handle what finished; wake at least every progress interval (not more than 20 times a second) to
        report from this thread."""
        timeout = max(self.tracker.interval, MIN_TICK) if self.tracker.reporting else None
        done, rest = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            self.handle(future.result())
        self.tracker.tick()
        return rest

    def _attempt(self, execute, task: Task) -> Outcome:
        for attempt in range(1, self.attempts + 1):
            if self.stopping():
                return Outcome(task, "abandoned")
            sent = [0]

            def add_bytes(count: int) -> None:
                sent[0] += count
                self.tracker.add_bytes(count)
            try:
                return execute(task, add_bytes)
            except Exception as exc:  # classified below; a worker never raises
                self.tracker.add_bytes(-sent[0])
                if is_sign_in_failure(exc):
                    return Outcome(task, "fatal", reason=describe(exc), error=exc)
                if not is_transient(exc) or attempt == self.attempts:
                    return Outcome(task, "failed", reason=describe(exc))
                delay = random.uniform(0, min(self.backoff_cap, self.backoff * 2 ** attempt))
                logger.info("%s %s failed (%s), retry %d in %.1f s", task.action, task.rel, describe(exc),
                            attempt, delay)
                self._pause(delay)
        raise AssertionError("unreachable")

    def _pause(self, seconds: float) -> None:
        """Sleep before a retry, cut short by a cancel or a sign-in failure."""
        deadline = time.monotonic() + seconds
        while not self.stopping() and time.monotonic() < deadline:
            self._halt.wait(min(0.1, max(0.0, deadline - time.monotonic())))

    def _mark_stopped(self) -> None:
        if self._fatal is None:
            self.summary.cancelled = True

    def handle(self, outcome: Outcome) -> None:
        """Commit one result: journal first, then counters and progress."""
        task, summary = outcome.task, self.summary
        if outcome.kind == "abandoned":
            self._mark_stopped()
            return
        if outcome.kind == "fatal":
            if self._fatal is None:
                logger.error("%s %s: %s; stopping the run", task.action, task.rel, outcome.reason)
                self._fatal = outcome.error
                self._halt.set()
            return
        if outcome.kind == "failed":
            if not summary.dry_run:
                self.journal.record_failure(task.rel, outcome.reason)
            summary.failed.append(Failure(task.rel, outcome.reason))
            logger.warning("%s %s failed: %s", task.action, task.rel, outcome.reason)
        elif outcome.kind == "planned":
            summary.planned.append(PlannedAction(task.rel, task.action, task.reason, task.size))
        elif outcome.kind == "deleted":
            if not summary.dry_run:
                self.journal.forget(task.rel)
            summary.deleted += 1
        else:
            if not summary.dry_run:
                self.journal.commit_file(outcome.entry)
            if outcome.kind == "transferred":
                summary.transferred += 1
                summary.bytes += outcome.entry.size or 0
            else:
                summary.skipped += 1
        self.tracker.file_done(failed=outcome.kind == "failed")
