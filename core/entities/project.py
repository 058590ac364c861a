"""Project: the top of the hierarchy; every scoped repository hangs off it."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import List, Optional

from .base import Entity, Field


class MemberRole(str, Enum):
    """Roles of a project member."""

    OWNER = "owner"
    DEVELOPER = "engineer"
    ANNOTATOR = "annotator"
    ANNOTATION_MANAGER = "annotationManager"


class Project(Entity):
    name = Field("name")
    org = Field("org", readonly=True)
    role = Field("role", readonly=True)
    account = Field("account", readonly=True)
    is_blocked = Field("isBlocked", readonly=True)
    archived = Field("archived")
    feature_constraints = Field("featureConstraints", readonly=True)
    system_project = Field("systemProject", readonly=True)

    @property
    def org_id(self) -> Optional[str]:
        org = self.org
        return org.get("id") if isinstance(org, dict) else org

    @property
    def contributors(self) -> List["User"]:
        from .user import User
        return [User(self._client, dict(user), project=self) for user in self._json.get("contributors") or []]

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.id}"

    # -- repositories ----------------------------------------------------------------------------
    @cached_property
    def projects(self):
        from ..repositories.projects import Projects
        return Projects(self._client)

    @cached_property
    def datasets(self):
        from ..repositories.datasets import Datasets
        return Datasets(self._client, project=self)

    @cached_property
    def drivers(self):
        from ..repositories.drivers import Drivers
        return Drivers(self._client, project=self)

    @cached_property
    def integrations(self):
        from ..repositories.integrations import Integrations
        return Integrations(self._client, project=self)

    @cached_property
    def recipes(self):
        from ..repositories.recipes import Recipes
        return Recipes(self._client, project=self)

    @cached_property
    def ontologies(self):
        from ..repositories.ontologies import Ontologies
        return Ontologies(self._client, project=self)

    @cached_property
    def tasks(self):
        from ..repositories.tasks import Tasks
        return Tasks(self._client, project=self)

    @cached_property
    def assignments(self):
        from ..repositories.assignments import Assignments
        return Assignments(self._client, project=self)

    @cached_property
    def packages(self):
        from ..repositories.packages import Packages
        return Packages(self._client, project=self)

    @cached_property
    def codebases(self):
        from ..repositories.codebases import Codebases
        return Codebases(self._client, project=self)

    @cached_property
    def services(self):
        from ..repositories.services import Services
        return Services(self._client, project=self)

    @cached_property
    def bots(self):
        from ..repositories.bots import Bots
        return Bots(self._client, project=self)

    @cached_property
    def triggers(self):
        from ..repositories.triggers import Triggers
        return Triggers(self._client, project=self)

    @cached_property
    def executions(self):
        from ..repositories.executions import Executions
        return Executions(self._client, project=self)

    @cached_property
    def pipelines(self):
        from ..repositories.pipelines import Pipelines
        return Pipelines(self._client, project=self)

    # -- actions ---------------------------------------------------------------------------------
    def update(self, system_metadata: bool = False) -> "Project":
        return self.projects.update(project=self, system_metadata=system_metadata)

    def delete(self, sure: bool = False, really: bool = False) -> bool:
        return self.projects.delete(project_id=self.id, sure=sure, really=really)

    def checkout(self) -> None:
        self.projects.checkout(project=self)

    def open_in_web(self) -> None:
        self.projects.open_in_web(project=self)

    def add_member(self, email: str, role: MemberRole = MemberRole.DEVELOPER) -> dict:
        return self.projects.add_member(email=email, project_id=self.id, role=role)

    def update_member(self, email: str, role: MemberRole = MemberRole.DEVELOPER) -> dict:
        return self.projects.update_member(email=email, project_id=self.id, role=role)

    def remove_member(self, email: str) -> dict:
        return self.projects.remove_member(email=email, project_id=self.id)

    def list_members(self, role: Optional[MemberRole] = None) -> List["User"]:
        return self.projects.list_members(project=self, role=role)
