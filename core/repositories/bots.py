"""Bots (wire §3.15): a project's bot users.

``create`` follows dtlpy 1.124.2 (``POST /projects/{id}/bots`` answering the new bot); dtlpy 1.126.5 turned it
into a no-op returning ``None`` because the platform now manages bots itself.
"""
from __future__ import annotations

from typing import List, Optional

from .._repository import Repository, exactly_one, path
from ..entities.bot import Bot
from ..exceptions import NotFound


class Bots(Repository):
    """``project.bots``."""

    @property
    def _project_id(self) -> str:
        return self._parent("project").id

    def _build(self, json: dict) -> Bot:
        return Bot(self._client, json, project=self._parent("project"))

    def list(self) -> List[Bot]:
        """Every bot of the project."""
        return [self._build(j) for j in self._request("GET", path("/projects/{}/bots", self._project_id))]

    def get(self, bot_email: Optional[str] = None, bot_id: Optional[str] = None,
            bot_name: Optional[str] = None) -> Bot:
        """A bot by id, or by its name or email (looked up in the project's list)."""
        if bot_id is None:
            key = exactly_one(bot_email=bot_email, bot_name=bot_name)
            wanted = bot_email if key == "bot_email" else bot_name
            found = [b for b in self.list() if (b.email if key == "bot_email" else b.name) == wanted]
            if not found:
                raise NotFound("404", f"Bot not found: {wanted}")
            if len(found) > 1:
                raise NotFound("404", f"More than one bot named {wanted!r}; get it by id")
            bot_id = found[0].id
        return self._build(self._request("GET", path("/projects/{}/bots/{}", self._project_id, bot_id)))

    def create(self, name: str, return_credentials: bool = False) -> Bot:
        """Create a bot; with ``return_credentials=True`` the answer carries its ``password`` (shown once)."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty string, not {name!r}")
        body = {"name": name, "returnCredentials": bool(return_credentials)}
        return self._build(self._request("POST", path("/projects/{}/bots", self._project_id), json=body))

    def delete(self, bot_id: Optional[str] = None, bot_email: Optional[str] = None) -> bool:
        """Delete a bot by id or email."""
        if bot_id is None:
            if bot_email is None:
                raise ValueError("pass bot_id or bot_email")
            bot_id = self.get(bot_email=bot_email).id
        self._request("DELETE", path("/projects/{}/bots/{}", self._project_id, bot_id))
        return True
