"""The sync journal: one SQLite file per (server, dataset, remote path, local dir, shard) in a user cache dir.

Tables: ``files`` (what is known to be identical on both sides: size, mtime, content hash, item id) — committed
after each finished file, so a run killed at any moment resumes without re-sending; ``remote`` (this run's remote
listing, streamed in page by page so planning never holds it in memory); ``plan`` (this run's work list);
``failures`` (last run's permanent failures with reasons). WAL with ``synchronous=NORMAL`` survives ``kill -9``.
``remote`` and ``plan`` also carry the digest our push stores with big files (``blake3:<hex>``, or ``sha256:<hex>``
from earlier pushes), which pulls verify instead of the md5.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from typing import Iterable, Iterator, List, NamedTuple, Optional, Tuple

try:
    import fcntl
except ImportError:  # Windows: no advisory lock, one run at a time is then the caller's job
    fcntl = None

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (rel TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, hash TEXT, item_id TEXT);
CREATE TABLE IF NOT EXISTS remote (rel TEXT PRIMARY KEY, item_id TEXT, size INTEGER, hash TEXT, digest TEXT,
                                   seen INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS plan (seq INTEGER PRIMARY KEY, rel TEXT, action TEXT, reason TEXT, size INTEGER,
                                 item_id TEXT, hash TEXT, digest TEXT);
CREATE INDEX IF NOT EXISTS plan_rel ON plan(rel);  -- each finished file clears its plan row by rel
CREATE TABLE IF NOT EXISTS failures (rel TEXT PRIMARY KEY, reason TEXT, attempts INTEGER NOT NULL DEFAULT 1);
"""


class Entry(NamedTuple):
    rel: str
    size: Optional[int]
    mtime_ns: Optional[int]
    hash: Optional[str]
    item_id: Optional[str]


class RemoteFile(NamedTuple):
    rel: str
    item_id: str
    size: Optional[int]
    hash: Optional[str]
    digest: Optional[str] = None


class Task(NamedTuple):
    seq: int
    rel: str
    action: str
    reason: str
    size: Optional[int]
    item_id: Optional[str]
    hash: Optional[str]
    digest: Optional[str] = None


class JournalBusy(RuntimeError):
    """Another process is running the same sync (same journal)."""


def cache_dir() -> str:
    """``$XDG_CACHE_HOME/dataloop-sync`` or ``~/.cache/dataloop-sync``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dataloop-sync")


def journal_key(base_url: str, dataset_id: str, remote_root: str, local_dir: str,
                shard: Optional[Tuple[int, int]]) -> dict:
    return {"base_url": base_url.rstrip("/"), "dataset_id": dataset_id, "remote_root": remote_root,
            "local_dir": os.path.realpath(local_dir), "shard": f"{shard[0]}/{shard[1]}" if shard else "all"}


def journal_path(key: dict, directory: Optional[str] = None) -> str:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    return os.path.join(directory or cache_dir(), f"{digest}.sqlite3")


class Journal:
    """One run's handle on a journal file; use as a context manager (holds an exclusive lock)."""

    def __init__(self, path: str, key: Optional[dict] = None):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._lock_handle = None
        if fcntl is not None:
            self._lock_handle = open(path + ".lock", "a")
            try:
                fcntl.flock(self._lock_handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock_handle.close()
                raise JournalBusy(f"another sync holds the journal {os.path.basename(path)}") from None
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._drop_outdated_run_tables()
        self.db.executescript(SCHEMA)
        if key is not None:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (json.dumps(key, sort_keys=True),))

    def _drop_outdated_run_tables(self) -> None:
        """A journal written before ``remote`` and ``plan`` had a ``digest`` column: drop those two (they hold one
        run's listing and plan, rebuilt by every run); ``files``, the durable state, is kept."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(plan)")}
        if columns and "digest" not in columns:
            self.db.executescript("DROP TABLE remote; DROP TABLE plan;")

    def close(self) -> None:
        self.db.close()
        if self._lock_handle is not None:
            self._lock_handle.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- files: the durable state ------------------------------------------------------------------
    def get(self, rel: str) -> Optional[Entry]:
        row = self.db.execute("SELECT rel, size, mtime_ns, hash, item_id FROM files WHERE rel=?", (rel,)).fetchone()
        return Entry(*row) if row else None

    def commit_file(self, entry: Entry) -> None:
        """Record one finished file (its own transaction) and clear its plan row and failure."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", tuple(entry))
            self.db.execute("DELETE FROM plan WHERE rel=?", (entry.rel,))
            self.db.execute("DELETE FROM failures WHERE rel=?", (entry.rel,))

    def forget(self, rel: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM files WHERE rel=?", (rel,))
            self.db.execute("DELETE FROM plan WHERE rel=?", (rel,))

    def record_failure(self, rel: str, reason: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO failures(rel, reason) VALUES (?, ?) ON CONFLICT(rel) DO UPDATE SET "
                            "reason=excluded.reason, attempts=attempts+1", (rel, reason))
            self.db.execute("DELETE FROM plan WHERE rel=?", (rel,))

    def failures(self) -> List[Tuple[str, str, int]]:
        return self.db.execute("SELECT rel, reason, attempts FROM failures ORDER BY rel").fetchall()

    def count_files(self) -> int:
        return self.db.execute("SELECT count(*) FROM files").fetchone()[0]

    # -- remote listing ----------------------------------------------------------------------------
    def reset_remote(self) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM remote")

    def add_remote(self, rows: Iterable[RemoteFile]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO remote(rel, item_id, size, hash, digest) "
                                "VALUES (?, ?, ?, ?, ?)", [tuple(r) for r in rows])

    def remote(self, rel: str) -> Optional[RemoteFile]:
        row = self.db.execute("SELECT rel, item_id, size, hash, digest FROM remote WHERE rel=?", (rel,)).fetchone()
        return RemoteFile(*row) if row else None

    def mark_seen(self, rels: Iterable[str]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("UPDATE remote SET seen=1 WHERE rel=?", [(r,) for r in rels])

    def iter_remote(self, batch: int = 1000, unseen_only: bool = False) -> Iterator[RemoteFile]:
        """Remote rows in path order, fetched ``batch`` at a time (keyset over ``rel``)."""
        last = ""
        condition = "AND seen=0" if unseen_only else ""
        while True:
            rows = self.db.execute(f"SELECT rel, item_id, size, hash, digest FROM remote WHERE rel > ? {condition} "
                                   f"ORDER BY rel LIMIT ?", (last, batch)).fetchall()
            if not rows:
                return
            yield from (RemoteFile(*r) for r in rows)
            last = rows[-1][0]

    # -- plan --------------------------------------------------------------------------------------
    def reset_plan(self) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM plan")

    def add_plan(self, rows: Iterable[tuple]) -> None:
        """Rows of ``(rel, action, reason, size, item_id, hash, digest)``."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO plan(rel, action, reason, size, item_id, hash, digest) "
                                "VALUES (?,?,?,?,?,?,?)", list(rows))

    def plan_totals(self) -> Tuple[int, int]:
        count, size = self.db.execute("SELECT count(*), coalesce(sum(size), 0) FROM plan").fetchone()
        return count, size

    def iter_plan(self, chunk: int) -> Iterator[List[Task]]:
        """The plan in chunks of ``chunk`` tasks, in insertion order."""
        last = 0
        while True:
            rows = self.db.execute("SELECT seq, rel, action, reason, size, item_id, hash, digest FROM plan "
                                   "WHERE seq > ? ORDER BY seq LIMIT ?", (last, chunk)).fetchall()
            if not rows:
                return
            yield [Task(*r) for r in rows]
            last = rows[-1][0]
