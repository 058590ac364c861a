"""The result of one sync run: counts, bytes, time, and every failure with its reason."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import List, Optional


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
    """What a run did. ``ok`` is False when any file failed (the CLI then exits non-zero)."""

    direction: str
    dry_run: bool = False
    transferred: int = 0
    skipped: int = 0
    deleted: int = 0
    bytes: int = 0
    seconds: float = 0.0
    failed: List[Failure] = field(default_factory=list)
    planned: List[PlannedAction] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

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

    def to_json(self, indent: Optional[int] = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __str__(self) -> str:
        verb = "would transfer" if self.dry_run else "transferred"
        text = (f"{self.direction}: {verb} {len(self.planned) if self.dry_run else self.transferred}, "
                f"skipped {self.skipped}, deleted {self.deleted}, failed {len(self.failed)}, "
                f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s")
        return text
