"""Accept an enum member or its raw value, with an error that lists the allowed values."""
from __future__ import annotations

from enum import Enum
from typing import Type, TypeVar

E = TypeVar("E", bound=Enum)


def coerce(enum_cls: Type[E], value, what: str) -> E:
    """``enum_cls`` member for ``value`` (a member or its value); ``ValueError`` naming ``what`` otherwise."""
    try:
        return enum_cls(value.value if isinstance(value, Enum) else value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum_cls)
        raise ValueError(f"unknown {what} {value!r}; expected one of: {allowed}") from None
