"""Persistent document store: SQLite (WAL) holding each entity as a JSON document.

Every entity lives in ``docs(id, kind, scope, doc)``; ``scope`` is the parent id that lists are keyed by
(dataset id for items and annotations, project id for most others). DQL queries are compiled to SQL over
``json_extract(doc, ...)`` by :mod:`.dql`; hot paths get expression indexes below.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, List, Optional

from .errors import not_found
from .ids import IdGenerator, now_iso
from .wildcards import sql_glob

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    id    TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    scope TEXT,
    doc   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_docs_kind_scope_id ON docs(kind, scope, id);
CREATE INDEX IF NOT EXISTS ix_docs_kind_name ON docs(kind, json_extract(doc, '$.name'));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Expression indexes that keep 100k-item datasets fast (partial: queries must name the kind as a literal).
INDEXES = """
CREATE INDEX IF NOT EXISTS ix_item_list ON docs(scope, json_extract(doc, '$.hidden'), json_extract(doc, '$.type'), id)
    WHERE kind = 'item';
CREATE INDEX IF NOT EXISTS ix_item_annotated ON docs(scope, json_extract(doc, '$.annotated'),
    json_extract(doc, '$.hidden'), json_extract(doc, '$.type')) WHERE kind = 'item';
CREATE INDEX IF NOT EXISTS ix_item_filename ON docs(scope, json_extract(doc, '$.filename')) WHERE kind = 'item';
CREATE INDEX IF NOT EXISTS ix_item_dir ON docs(scope, json_extract(doc, '$.dir')) WHERE kind = 'item';
CREATE INDEX IF NOT EXISTS ix_annotation_item ON docs(scope, json_extract(doc, '$.itemId')) WHERE kind = 'annotation';
"""
# Planner hints (sqlite_stat1 rows) so a fresh database already knows which index is selective:
# "<rows> <rows per first column> <rows per first two columns> ...".
PLANNER_STATS = {
    "ix_docs_kind_scope_id": "1000000 100000 1000 1",
    "ix_item_list": "1000000 1000 900 800 1",
    "ix_item_annotated": "1000000 1000 100 100 100",
    "ix_item_filename": "1000000 1000 1",
    "ix_item_dir": "1000000 1000 20",
    "ix_annotation_item": "1000000 1000 3",
    "ix_docs_kind_name": "1000000 100000 2",
}


def deep_merge(target: dict, diff: dict) -> dict:
    """Apply a diff update in place: nested dicts merge, ``None`` deletes a key (wire §1.9)."""
    for key, value in diff.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
    return target


class Store:
    """Thread-safe access to one SQLite database; one connection per thread, one writer at a time."""

    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.RLock()
        with self._write_lock:
            conn = self.conn
            conn.executescript(SCHEMA + INDEXES)
            conn.execute("ANALYZE sqlite_schema")  # creates sqlite_stat1
            conn.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'docs'")
            conn.executemany("INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES ('docs', ?, ?)",
                             PLANNER_STATS.items())
            conn.execute("ANALYZE sqlite_schema")  # reload the hints
            row = conn.execute("SELECT value FROM meta WHERE key='last_id'").fetchone()
        self.new_id = IdGenerator(row[0] if row else "")

    # -- connections and transactions ------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.create_function("dql_glob", 3, sql_glob, deterministic=True)
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        with self._write_lock:
            conn = self.conn
            if conn.in_transaction:  # nested: join the outer transaction
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('last_id', ?)", (self.new_id.last,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def execute(self, sql: str, params: Iterable = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, tuple(params))

    # -- documents -------------------------------------------------------------------------------
    def insert(self, kind: str, doc: dict, scope: Optional[str] = None) -> dict:
        """Store a new document; fills ``id``, ``createdAt`` and ``updatedAt`` when missing."""
        doc.setdefault("id", self.new_id())
        stamp = now_iso()
        doc.setdefault("createdAt", stamp)
        doc.setdefault("updatedAt", stamp)
        with self.transaction() as conn:
            conn.execute("INSERT INTO docs(id, kind, scope, doc) VALUES (?, ?, ?, ?)",
                         (doc["id"], kind, scope, json.dumps(doc)))
        return doc

    def find(self, kind: str, doc_id: str) -> Optional[dict]:
        row = self.execute("SELECT doc FROM docs WHERE id=? AND kind=?", (doc_id, kind)).fetchone()
        return json.loads(row[0]) if row else None

    def get(self, kind: str, doc_id: str, label: Optional[str] = None) -> dict:
        """The document, or ``NotFound`` naming the entity ('Dataset not found: <id>')."""
        doc = self.find(kind, doc_id)
        if doc is None:
            raise not_found(label or kind.capitalize(), doc_id)
        return doc

    def replace(self, kind: str, doc: dict, touch: bool = True) -> dict:
        """Overwrite a stored document (same id and kind)."""
        if touch:
            doc["updatedAt"] = now_iso()
        with self.transaction() as conn:
            cur = conn.execute("UPDATE docs SET doc=? WHERE id=? AND kind=?", (json.dumps(doc), doc["id"], kind))
            if cur.rowcount == 0:
                raise not_found(kind.capitalize(), doc["id"])
        return doc

    def patch(self, kind: str, doc_id: str, diff: dict) -> dict:
        """Deep-merge ``diff`` into a stored document atomically."""
        with self.transaction():
            doc = self.get(kind, doc_id)
            deep_merge(doc, diff)
            doc["id"] = doc_id
            return self.replace(kind, doc)

    def delete(self, kind: str, doc_id: str) -> None:
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM docs WHERE id=? AND kind=?", (doc_id, kind))
            if cur.rowcount == 0:
                raise not_found(kind.capitalize(), doc_id)

    def delete_where(self, kind: str, where: str = "1=1", params: Iterable = ()) -> int:
        with self.transaction() as conn:
            return conn.execute(f"DELETE FROM docs WHERE kind=? AND ({where})", (kind, *params)).rowcount

    def list(self, kind: str, scope: Optional[str] = None, where: str = "1=1", params: Iterable = (),
             order: str = "id", limit: Optional[int] = None) -> List[dict]:
        """Documents of one kind (optionally one scope) matching a raw SQL condition over ``doc``."""
        sql = f"SELECT doc FROM docs WHERE kind=? AND ({where})"
        args: List[Any] = [kind, *params]
        if scope is not None:
            sql += " AND scope=?"
            args.append(scope)
        sql += f" ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [json.loads(row[0]) for row in self.execute(sql, args)]

    def count(self, kind: str, scope: Optional[str] = None, where: str = "1=1", params: Iterable = ()) -> int:
        sql = f"SELECT count(*) FROM docs WHERE kind=? AND ({where})"
        args: List[Any] = [kind, *params]
        if scope is not None:
            sql += " AND scope=?"
            args.append(scope)
        return self.execute(sql, args).fetchone()[0]

    def find_by(self, kind: str, field: str, value: Any, scope: Optional[str] = None) -> List[dict]:
        """Documents whose top-level or dotted ``field`` equals ``value``."""
        return self.list(kind, scope, "json_extract(doc, ?) = ?", (f"$.{field}", value))
