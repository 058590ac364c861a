"""Execution logs and trigger bookkeeping in their own SQLite file (``<data-dir>/faas/faas.sqlite3``).

Kept apart from the document store so chatty functions never contend with API writes. Log lines are paged
by an increasing sequence number: the ``checkpoint`` handed back to ``POST /services/logs`` is ``{"seq": n}``.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timezone
from typing import Iterable, List, Optional, Tuple

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL, service_id TEXT, execution_id TEXT, function_name TEXT, project_id TEXT,
    replica_id TEXT, level TEXT, message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_logs_service ON logs(service_id, seq);
CREATE INDEX IF NOT EXISTS ix_logs_execution ON logs(execution_id, seq);
CREATE TABLE IF NOT EXISTS fired (trigger_id TEXT NOT NULL, resource_id TEXT NOT NULL,
                                  PRIMARY KEY (trigger_id, resource_id));
"""
LEVELS = {"DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value) -> Optional[float]:
    """Epoch seconds of an ISO string (a naive one is local time, as the SDK sends it); ``None`` if absent."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return float(value) / (1000 if value > 1e11 else 1)
    text = str(value).strip().replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()


class LogStore:
    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(SCHEMA)

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    # -- logs ------------------------------------------------------------------------------------
    def append(self, execution: dict, lines: Iterable[Tuple[str, str]], replica_id: Optional[str] = None) -> None:
        """Store ``(level, message)`` lines of one execution."""
        now = time.time()
        rows = [(now, execution.get("serviceId"), execution["id"], execution.get("functionName"),
                 execution.get("projectId"), replica_id, level, message) for level, message in lines]
        if not rows:
            return
        with self._lock:
            self._conn.executemany("INSERT INTO logs(ts, service_id, execution_id, function_name, project_id, "
                                   "replica_id, level, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def query(self, service_id: Optional[str], after_seq: int = 0, size: int = 100,
              execution_ids: Optional[List[str]] = None, function_name: Optional[str] = None,
              text: Optional[str] = None, replica_id: Optional[str] = None, start: Optional[float] = None,
              end: Optional[float] = None, min_level: str = "DEBUG") -> List[dict]:
        sql = "SELECT * FROM logs WHERE seq > ?"
        args: list = [after_seq]
        if service_id:
            sql += " AND service_id = ?"
            args.append(service_id)
        if execution_ids:
            sql += f" AND execution_id IN ({','.join('?' * len(execution_ids))})"
            args.extend(execution_ids)
        for column, value in (("function_name", function_name), ("replica_id", replica_id)):
            if value:
                sql += f" AND {column} = ?"
                args.append(value)
        if text:
            sql += " AND instr(lower(message), lower(?)) > 0"
            args.append(text)
        if start is not None:
            sql += " AND ts >= ?"
            args.append(start)
        if end is not None:
            sql += " AND ts <= ?"
            args.append(end)
        threshold = LEVELS.get(str(min_level).upper(), 10)
        levels = [name for name, value in LEVELS.items() if value >= threshold]
        sql += f" AND level IN ({','.join('?' * len(levels))}) ORDER BY seq LIMIT ?"
        args.extend(levels)
        args.append(max(1, int(size)))
        cursor = self._conn.execute(sql, args)
        names = [c[0] for c in cursor.description]
        return [_log_json(dict(zip(names, row))) for row in cursor]

    def delete_service(self, service_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM logs WHERE service_id = ?", (service_id,))

    # -- triggers fired once ---------------------------------------------------------------------
    def mark_fired(self, trigger_id: str, resource_id: str) -> bool:
        """Record that a ``Once`` trigger fired for a resource; False if it already had."""
        with self._lock:
            cursor = self._conn.execute("INSERT OR IGNORE INTO fired(trigger_id, resource_id) VALUES (?, ?)",
                                        (trigger_id, resource_id))
            return cursor.rowcount == 1

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _log_json(row: dict) -> dict:
    return {"seq": row["seq"], "timestamp": iso(row["ts"]), "message": row["message"], "level": row["level"],
            "serviceId": row["service_id"], "executionId": row["execution_id"],
            "functionName": row["function_name"], "projectId": row["project_id"], "replicaId": row["replica_id"]}
