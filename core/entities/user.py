"""User: a member of a project or an organization (the member endpoints answer with user objects)."""
from __future__ import annotations

from .base import Entity, Field


class User(Entity):
    """A platform user; ``role`` is the role in the project/organization it was listed from."""

    email = Field("email", readonly=True)
    username = Field("username", readonly=True)
    first_name = Field("firstName", readonly=True)
    last_name = Field("lastName", readonly=True)
    avatar = Field("avatar", readonly=True)
    type = Field("type", readonly=True)
    role = Field("role")
    org = Field("org", readonly=True)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or (self.email or "")

    def __repr__(self) -> str:
        return f"User(email={self.email!r}, role={self.role!r})"
