"""Workload: how a task's items are split among assignees, as ``[{"assigneeId", "load"}]`` percentages."""
from __future__ import annotations

from typing import Iterable, Iterator, List, Optional, Sequence, Union


class WorkloadUnit:
    """One assignee (an email) and the percentage of the items they get (0-100)."""

    def __init__(self, assignee_id: str, load: float = 0):
        if not isinstance(assignee_id, str) or "@" not in assignee_id:
            raise ValueError(f"assignee_id must be an email address, got {assignee_id!r}")
        if not isinstance(load, (int, float)) or isinstance(load, bool) or not 0 <= load <= 100:
            raise ValueError(f"load must be a number between 0 and 100, got {load!r}")
        self.assignee_id = assignee_id
        self.load = load

    @classmethod
    def from_json(cls, json: dict) -> "WorkloadUnit":
        return cls(assignee_id=json.get("assigneeId"), load=json.get("load", 0))

    def to_json(self) -> dict:
        return {"assigneeId": self.assignee_id, "load": self.load}

    def __eq__(self, other) -> bool:
        return isinstance(other, WorkloadUnit) and self.to_json() == other.to_json()

    def __repr__(self) -> str:
        return f"WorkloadUnit(assignee_id={self.assignee_id!r}, load={self.load!r})"


def equal_loads(count: int) -> List[int]:
    """Integer loads summing to 100; the first assignees get the remainder (``3 -> [34, 33, 33]``)."""
    return [100 // count + (1 if i < 100 % count else 0) for i in range(count)]


class Workload:
    """An ordered list of ``WorkloadUnit``; ``Workload.generate(emails, loads=None)`` builds one."""

    def __init__(self, workload: Optional[List[WorkloadUnit]] = None):
        self.workload: List[WorkloadUnit] = list(workload or [])

    @classmethod
    def generate(cls, assignee_ids: Union[str, Sequence[str]], loads: Optional[Union[float, Sequence[float]]] = None
                 ) -> "Workload":
        """Equal loads by default; explicit ``loads`` must match the assignees and sum to 100."""
        assignee_ids = [assignee_ids] if isinstance(assignee_ids, str) else list(assignee_ids)
        if not assignee_ids:
            raise ValueError("a workload needs at least one assignee")
        if loads is None:
            loads = equal_loads(len(assignee_ids))
        else:
            loads = [loads] if isinstance(loads, (int, float)) else list(loads)
            if len(loads) != len(assignee_ids):
                raise ValueError(f"got {len(assignee_ids)} assignees but {len(loads)} loads")
            if round(sum(loads)) != 100:
                raise ValueError(f"loads must sum to 100, got {sum(loads)}")
        return cls([WorkloadUnit(a, l) for a, l in zip(assignee_ids, loads)])

    @classmethod
    def from_json(cls, json: Iterable[dict]) -> "Workload":
        return cls([WorkloadUnit.from_json(unit) for unit in json])

    def to_json(self) -> List[dict]:
        return [unit.to_json() for unit in self.workload]

    def add(self, assignee_id: str) -> None:
        """Add an assignee; loads are re-split equally when they no longer sum to 100."""
        self.workload.append(WorkloadUnit(assignee_id))
        if round(sum(unit.load for unit in self.workload)) != 100:
            for unit, load in zip(self.workload, equal_loads(len(self.workload))):
                unit.load = load

    def __iter__(self) -> Iterator[WorkloadUnit]:
        return iter(self.workload)

    def __len__(self) -> int:
        return len(self.workload)

    def __repr__(self) -> str:
        return f"Workload({self.workload!r})"


def as_workload(workload=None, assignee_ids=None) -> Optional[Workload]:
    """A ``Workload`` from a Workload, a list of units/dicts, or assignee emails (equal loads); ``None`` if none."""
    if workload is None:
        return Workload.generate(assignee_ids) if assignee_ids is not None else None
    if isinstance(workload, Workload):
        return workload
    if isinstance(workload, (list, tuple)):
        return Workload([u if isinstance(u, WorkloadUnit) else WorkloadUnit.from_json(u) for u in workload])
    raise ValueError(f"workload must be a Workload or a list of WorkloadUnit, got {type(workload).__name__}")
