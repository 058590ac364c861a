"""Progress reporting: files and bytes done, rate, ETA, pushed to a callback (Airflow/Prefect/tqdm)."""
from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable, Mapping, Optional

from .._plain import checked_fields


@dataclass(frozen=True)
class ProgressSnapshot:
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    failed: int
    elapsed: float

    @property
    def bytes_per_second(self) -> float:
        return self.bytes_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def files_per_second(self) -> float:
        return self.files_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> Optional[float]:
        """Seconds left, from the byte rate (file rate for empty files); ``None`` before any progress."""
        if self.bytes_total and self.bytes_done:
            return max(0.0, (self.bytes_total - self.bytes_done) / self.bytes_per_second)
        if self.files_done:
            return max(0.0, (self.files_total - self.files_done) / self.files_per_second)
        return None

    def to_dict(self) -> dict:
        """Plain JSON: the counters plus ``bytes_per_second``, ``files_per_second`` and ``eta`` (or ``None``)."""
        return {**asdict(self), "bytes_per_second": self.bytes_per_second,
                "files_per_second": self.files_per_second, "eta": self.eta}

    @classmethod
    def from_dict(cls, data: Mapping) -> "ProgressSnapshot":
        """The snapshot of a :meth:`to_dict` (the derived rates are recomputed)."""
        return cls(**checked_fields(cls, data, derived=("bytes_per_second", "files_per_second", "eta")))


ProgressCallback = Callable[[ProgressSnapshot], None]


class ProgressTracker:
    """Counters that workers update from any thread; the callback is called only by :meth:`tick` and
    :meth:`finish`, i.e. from the one thread that drives the run, at most every ``interval`` seconds (and
    once at the end)."""

    def __init__(self, callback: Optional[ProgressCallback] = None, interval: float = 1.0):
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval >= 0:
            raise ValueError(f"progress_interval must be a number of seconds >= 0, got {interval!r}")
        if callback is not None and not callable(callback):
            raise TypeError(f"progress must be a callable taking a ProgressSnapshot, got {type(callback).__name__}")
        self._callback = callback
        self.interval = float(interval)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_emit: Optional[float] = None
        self.files_total = self.bytes_total = 0
        self.files_done = self.bytes_done = self.failed = 0

    @property
    def reporting(self) -> bool:
        return self._callback is not None

    def set_totals(self, files: int, bytes_: int) -> None:
        with self._lock:
            self.files_total, self.bytes_total = files, bytes_
        self.tick()

    def add_bytes(self, count: int) -> None:
        with self._lock:
            self.bytes_done += count

    def file_done(self, failed: bool = False) -> None:
        with self._lock:
            self.files_done += 1
            self.failed += int(failed)

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return ProgressSnapshot(self.files_done, self.files_total, self.bytes_done, self.bytes_total,
                                    self.failed, time.monotonic() - self._started)

    def tick(self) -> None:
        """Report if ``interval`` seconds have passed since the last report."""
        self._emit(force=False)

    def finish(self) -> None:
        self._emit(force=True)

    def _emit(self, force: bool) -> None:
        if self._callback is None:
            return
        snapshot = self.snapshot()
        if not force and self._last_emit is not None and snapshot.elapsed - self._last_emit < self.interval:
            return
        self._last_emit = snapshot.elapsed
        self._callback(snapshot)


class TqdmProgress:
    """A callback driving a tqdm bar in bytes (used by the CLI)."""

    def __init__(self, description: str, **tqdm_options):
        from tqdm import tqdm
        self._bar = tqdm(total=0, unit="B", unit_scale=True, unit_divisor=1024, desc=description, **tqdm_options)

    def __call__(self, snapshot: ProgressSnapshot) -> None:
        if self._bar.total != snapshot.bytes_total:
            self._bar.total = snapshot.bytes_total
        self._bar.n = snapshot.bytes_done
        self._bar.set_postfix(files=f"{snapshot.files_done}/{snapshot.files_total}", failed=snapshot.failed,
                              refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()
