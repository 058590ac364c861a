"""Deterministic sharding: split one sync into N disjoint parts by a hash of the relative path.

Each of N orchestrator workers runs ``push``/``pull`` with ``shard=(i, N)`` and its own journal; together they
cover every file exactly once, and a file always lands in the same shard across runs and machines.
"""
from __future__ import annotations

import hashlib
from typing import Optional, Tuple, Union

Shard = Tuple[int, int]


def shard_of(rel_path: str, count: int) -> int:
    """The shard (0..count-1) a relative path belongs to: first 8 bytes of its sha1, modulo ``count``."""
    if count < 1:
        raise ValueError(f"shard count must be >= 1, got {count}")
    digest = hashlib.sha1(rel_path.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(value: Union[None, str, Shard]) -> Optional[Shard]:
    """``"2/8"`` or ``(2, 8)`` -> ``(2, 8)``; ``None`` -> ``None``; ``ValueError`` for anything else."""
    if value is None:
        return None
    if isinstance(value, str):
        index, sep, count = value.partition("/")
        if not sep or not index.strip().isdigit() or not count.strip().isdigit():
            raise ValueError(f"shard must look like INDEX/COUNT (e.g. 0/4), got {value!r}")
        value = (int(index), int(count))
    index, count = value
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"shard index must be in 0..count-1 and count >= 1, got {index}/{count}")
    return int(index), int(count)


def in_shard(rel_path: str, shard: Optional[Shard]) -> bool:
    return shard is None or shard[1] == 1 or shard_of(rel_path, shard[1]) == shard[0]


def shards(count: int):
    """All shard specs of a ``count``-way split, as ``"i/count"`` strings (what orchestrators map over)."""
    if count < 1:
        raise ValueError(f"shard count must be >= 1, got {count}")
    return [f"{i}/{count}" for i in range(count)]
