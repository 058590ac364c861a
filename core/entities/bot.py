"""Bot: a project's service user (FaaS services run as one)."""
from __future__ import annotations

from functools import cached_property

from .user import User
from .base import Field


class Bot(User):
    """A bot user; ``password`` is present only right after ``create(return_credentials=True)``."""

    password = Field("password", readonly=True)
    org_bot = Field("orgBot", readonly=True)
    project_id = Field("projectId", readonly=True)

    @property
    def name(self) -> str:
        return self.first_name

    @cached_property
    def bots(self):
        from ..repositories.bots import Bots
        project = self._context.get("project") or self._client.projects.get(project_id=self.project_id)
        return Bots(self._client, project=project)

    def delete(self) -> bool:
        return self.bots.delete(bot_id=self.id)

    def __repr__(self) -> str:  # never the password
        return f"Bot(id={self.id!r}, name={self.name!r}, email={self.email!r})"
