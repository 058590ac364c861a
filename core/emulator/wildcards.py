"""Wildcards in DQL string values: for path fields ``*`` stays in one level and ``**`` crosses levels."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

SINGLE_LEVEL_FIELDS = {"filename"}


def has_wildcard(value: Any) -> bool:
    return isinstance(value, str) and "*" in value


def single_level(field: str) -> bool:
    return field.split(".")[-1] in SINGLE_LEVEL_FIELDS


@lru_cache(maxsize=512)
def wildcard_regex(pattern: str, single: bool) -> "re.Pattern":
    out = []
    for part in re.split(r"(\*\*|\*)", pattern):
        if part == "**":
            out.append(".*")
        elif part == "*":
            out.append("[^/]*" if single else ".*")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def sql_glob(pattern: str, single: int, value: Any) -> int:
    """SQLite function ``dql_glob(pattern, single_level, value)``."""
    return int(isinstance(value, str) and wildcard_regex(pattern, bool(single)).match(value) is not None)
