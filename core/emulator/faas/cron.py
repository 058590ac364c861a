"""Standard 5-field cron expressions (minute hour day-of-month month day-of-week), parsed and matched here.

Supports ``*``, lists ``a,b``, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, month and weekday names
(``jan``, ``mon``), ``7`` as Sunday, and the macros ``@yearly @annually @monthly @weekly @daily @midnight @hourly``.
As in Vixie cron, when both day fields are restricted a day matches if either does.
"""
from __future__ import annotations

from datetime import datetime
from typing import FrozenSet, List, Tuple

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
MONTHS = {name: i + 1 for i, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
WEEKDAYS = {name: i for i, name in enumerate("sun mon tue wed thu fri sat".split())}
# (name, low, high, names)
FIELDS: List[Tuple[str, int, int, dict]] = [
    ("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, WEEKDAYS),
]


class CronError(ValueError):
    pass


def _value(text: str, field: Tuple[str, int, int, dict]) -> int:
    name, low, high, names = field
    key = text.lower()
    if key in names:
        return names[key]
    if not text.isdigit():
        raise CronError(f"invalid {name} value {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{name} value {value} out of range {low}-{high}")
    return value


def _parse_field(text: str, field: Tuple[str, int, int, dict]) -> FrozenSet[int]:
    name, low, high, _ = field
    values = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"invalid step {step_text!r} in {name} field")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, field), _value(last, field)
            if start > end:
                raise CronError(f"invalid range {base!r} in {name} field")
        else:
            start = _value(base, field)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


class CronSchedule:
    """A parsed expression; ``matches(dt)`` tells whether ``dt``'s minute is a firing time."""

    def __init__(self, expression: str):
        if not isinstance(expression, str) or not expression.strip():
            raise CronError("cron expression must be a non-empty string such as '0 5 * * *'")
        self.expression = expression.strip()
        text = MACROS.get(self.expression.lower(), self.expression)
        parts = text.split()
        if len(parts) != 5:
            raise CronError(f"cron expression {expression!r} must have 5 fields "
                            "(minute hour day-of-month month day-of-week)")
        self.minutes, self.hours, self.days, self.months, weekdays = (
            _parse_field(part, field) for part, field in zip(parts, FIELDS))
        self.weekdays = frozenset(7 if d == 7 else d for d in weekdays) | ({0} if 7 in weekdays else set())
        self._days_any = parts[2] == "*"
        self._weekdays_any = parts[4] == "*"

    def matches(self, moment: datetime) -> bool:
        if moment.minute not in self.minutes or moment.hour not in self.hours or moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self._days_any or self._weekdays_any:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def __repr__(self) -> str:
        return f"CronSchedule({self.expression!r})"
