"""Organization: owns projects, members and integrations."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import List, Optional

from .base import Entity, Field


class MemberOrgRole(str, Enum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    WORKER = "worker"


class OrganizationsPlans(str, Enum):
    PREMIUM = "premium"
    FREEMIUM = "freemium"


class CacheAction(str, Enum):
    APPLY = "apply"
    DESTROY = "destroy"


class PodType(str, Enum):
    SMALL = "small"
    MEDIUM = "medium"
    HIGH = "high"


class Organization(Entity):
    name = Field("name")
    plan = Field("plan", readonly=True)
    owner = Field("owner", readonly=True)
    account = Field("account", readonly=True)
    members = Field("members", readonly=True)
    groups = Field("groups", readonly=True)
    logo_url = Field("logoUrl", readonly=True)

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}iam/{self.id}/members"

    @cached_property
    def organizations(self):
        from ..repositories.organizations import Organizations
        return Organizations(self._client)

    @cached_property
    def projects(self):
        from ..repositories.projects import Projects
        return Projects(self._client, org=self)

    @cached_property
    def integrations(self):
        from ..repositories.integrations import Integrations
        return Integrations(self._client, org=self)

    def list_members(self, role: Optional[MemberOrgRole] = None) -> List["User"]:
        return self.organizations.list_members(organization=self, role=role)

    def list_groups(self) -> list:
        return self.organizations.list_groups(organization=self)

    def list_integrations(self, only_available: bool = False) -> list:
        return self.organizations.list_integrations(organization=self, only_available=only_available)

    def update(self, plan: str) -> "Organization":
        return self.organizations.update(plan=plan, organization=self)

    def add_member(self, email: str, role: MemberOrgRole = MemberOrgRole.MEMBER) -> bool:
        return self.organizations.add_member(email=email, role=role, organization=self)

    def update_member(self, email: str, role: MemberOrgRole = MemberOrgRole.MEMBER):
        return self.organizations.update_member(email=email, role=role, organization=self)

    def delete_member(self, user_id: str, sure: bool = False, really: bool = False) -> bool:
        return self.organizations.delete_member(user_id=user_id, organization=self, sure=sure, really=really)

    def cache_action(self, mode: CacheAction = CacheAction.APPLY, pod_type: PodType = PodType.SMALL) -> bool:
        return self.organizations.cache_action(organization=self, mode=mode, pod_type=pod_type)

    def open_in_web(self) -> None:
        import webbrowser
        webbrowser.open(url=self.platform_url, new=2, autoraise=True)
