"""The result of one sync run: counts, bytes, time, every failure with its reason, and whether it was cancelled.

``to_dict()`` is plain JSON and ``from_dict()`` rebuilds the summary from it (what orchestrators pass around).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import List, Mapping, Optional

from .._plain import checked_fields


@dataclass
class Failure:
    path: str
    reason: str


@dataclass
class PlannedAction:
    path: str
    action: str   # upload | download | delete
    reason: str   # new | changed | vanished
    size: Optional[int] = None


@dataclass
class SyncSummary:
    """What a run did. ``ok`` is False when any file failed or the run was cancelled (the CLI then exits
    non-zero); ``cancelled`` means the run stopped early on its ``cancel_event`` (a next run resumes)."""

    direction: str
    dry_run: bool = False
    transferred: int = 0
    skipped: int = 0
    deleted: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failed: List[Failure] = field(default_factory=list)
    planned: List[PlannedAction] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    @property
    def files_per_second(self) -> float:
        return self.transferred / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["failed_count"] = len(self.failed)
        data["ok"] = self.ok
        if not self.dry_run:
            data.pop("planned")
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> "SyncSummary":
        """The summary of a :meth:`to_dict` (``failed_count`` and ``ok`` are derived, not read)."""
        values = checked_fields(cls, data, derived=("failed_count", "ok"))
        values["failed"] = [Failure(**checked_fields(Failure, f)) for f in _items("failed", values.get("failed"))]
        values["planned"] = [PlannedAction(**checked_fields(PlannedAction, p))
                             for p in _items("planned", values.get("planned"))]
        return cls(**values)

    def to_json(self, indent: Optional[int] = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __str__(self) -> str:
        verb = "would transfer" if self.dry_run else "transferred"
        text = (f"{self.direction}: {verb} {len(self.planned) if self.dry_run else self.transferred}, "
                f"skipped {self.skipped}, deleted {self.deleted}, failed {len(self.failed)}, "
                f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s")
        return text + (" (cancelled)" if self.cancelled else "")


def _items(name: str, value) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"SyncSummary.from_dict: {name} must be a list, got {type(value).__name__}")
    return value
