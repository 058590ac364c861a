"""Results as plain JSON: rebuilding a result dataclass from the dict its ``to_dict()`` gave (what orchestrators
pass between tasks), with errors that name what is wrong."""
from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Iterable, Mapping


def checked_fields(cls, data: Mapping, derived: Iterable[str] = ()) -> dict:
    """The dataclass fields of ``cls`` found in ``data``; ``TypeError``/``ValueError`` naming what is wrong.
    ``derived``: keys ``to_dict()`` adds from properties, accepted and dropped."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__}.from_dict expects a dict, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names - set(derived))
    if unknown:
        raise ValueError(f"{cls.__name__}.from_dict: unknown keys {unknown}")
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{cls.__name__}.from_dict: missing keys {missing}")
    return {key: value for key, value in data.items() if key in names}
