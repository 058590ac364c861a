"""24-hex ObjectId-style ids that increase in creation order, also across restarts (wire §1.8)."""
from __future__ import annotations

import os
import re
import threading
import time
from datetime import datetime, timezone


class IdGenerator:
    """Ids = 8 hex of epoch seconds + 16 hex counter seeded randomly; always greater than ``floor``."""

    def __init__(self, floor: str = ""):
        self._lock = threading.Lock()
        self._last = int(floor, 16) if floor else 0

    def __call__(self) -> str:
        with self._lock:
            candidate = (int(time.time()) << 64) | (int.from_bytes(os.urandom(3), "big") << 24)
            self._last = max(candidate, self._last + 1)
            return f"{self._last:024x}"

    @property
    def last(self) -> str:
        return f"{self._last:024x}" if self._last else ""


_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def is_object_id(value: str) -> bool:
    return isinstance(value, str) and _OBJECT_ID.fullmatch(value) is not None


def now_iso() -> str:
    """``2024-01-01T12:34:56.789Z``"""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
