"""Organizations (wire §3.1): get/list, members, groups, integrations, plan and the FaaS cache switch."""
from __future__ import annotations

import time
from typing import List, Optional

from .._enums import coerce
from .._repository import Repository, confirm_delete, exactly_one, path
from ..entities.organization import CacheAction, MemberOrgRole, Organization, OrganizationsPlans, PodType
from ..entities.user import User
from ..exceptions import NotFound

CACHE_POLL_CAP = 8.0


class Organizations(Repository):
    """``client.organizations``."""

    def _build(self, json: dict) -> Organization:
        return Organization(self._client, json)

    def list(self) -> List[Organization]:
        """Every organization the user belongs to."""
        return [self._build(j) for j in self._request("GET", "/orgs")]

    def get(self, organization_id: Optional[str] = None, organization_name: Optional[str] = None,
            fetch: Optional[bool] = None) -> Organization:
        """An organization by id (``GET /orgs/{id}``) or by name (matched in ``list()``)."""
        exactly_one(organization_id=organization_id, organization_name=organization_name)
        if fetch is False:
            return self._build({"id": organization_id, "name": organization_name})
        if organization_id is not None:
            return self._build(self._request("GET", path("/orgs/{}", organization_id)))
        matches = [o for o in self.list() if o.name == organization_name]
        if len(matches) != 1:
            state = "not found" if not matches else "is ambiguous (several share that name); get it by id"
            raise NotFound("404", f"Organization {state}: {organization_name}")
        return matches[0]

    def _resolve(self, organization: Optional[Organization], organization_id: Optional[str],
                 organization_name: Optional[str]) -> Organization:
        given = exactly_one(organization=organization, organization_id=organization_id,
                            organization_name=organization_name)
        if given == "organization":
            return organization
        if given == "organization_id":
            return self._build({"id": organization_id})
        return self.get(organization_name=organization_name)

    # -- members, groups, integrations ----------------------------------------------------------
    def list_members(self, organization: Optional[Organization] = None, organization_id: Optional[str] = None,
                     organization_name: Optional[str] = None, role: Optional[MemberOrgRole] = None) -> List[User]:
        wanted = coerce(MemberOrgRole, role, "organization role").value if role is not None else None
        org = self._resolve(organization, organization_id, organization_name)
        users = [User(self._client, j, org=org) for j in self._request("GET", path("/orgs/{}/members", org.id))]
        return [u for u in users if wanted is None or u.role == wanted]

    def list_groups(self, organization: Optional[Organization] = None, organization_id: Optional[str] = None,
                    organization_name: Optional[str] = None) -> list:
        org = self._resolve(organization, organization_id, organization_name)
        return self._request("GET", path("/orgs/{}/groups", org.id))

    def list_integrations(self, organization: Optional[Organization] = None, organization_id: Optional[str] = None,
                          organization_name: Optional[str] = None, only_available: bool = False) -> list:
        """The organization's integrations as raw JSON (secrets are never returned)."""
        org = self._resolve(organization, organization_id, organization_name)
        url = "/orgs/{}/availableIntegrations" if only_available else "/orgs/{}/integrations"
        return self._request("GET", path(url, org.id))

    def add_member(self, email: str, role: MemberOrgRole = MemberOrgRole.MEMBER, organization_id: Optional[str] = None,
                   organization_name: Optional[str] = None, organization: Optional[Organization] = None) -> bool:
        body = {"emails": [email], "role": coerce(MemberOrgRole, role, "organization role").value}
        org = self._resolve(organization, organization_id, organization_name)
        self._request("POST", path("/orgs/{}/members", org.id), json=body)
        return True

    def update_member(self, email: str, role: MemberOrgRole = MemberOrgRole.MEMBER,
                      organization_id: Optional[str] = None, organization_name: Optional[str] = None,
                      organization: Optional[Organization] = None) -> dict:
        body = {"role": coerce(MemberOrgRole, role, "organization role").value, "email": email}
        org = self._resolve(organization, organization_id, organization_name)
        return self._request("PATCH", path("/orgs/{}/members", org.id), json=body)

    def delete_member(self, user_id: str, organization_id: Optional[str] = None,
                      organization_name: Optional[str] = None, organization: Optional[Organization] = None,
                      sure: bool = False, really: bool = False) -> bool:
        confirm_delete(sure, really, "an organization member")
        org = self._resolve(organization, organization_id, organization_name)
        self._request("DELETE", path("/orgs/{}/members/{}", org.id, user_id))
        return True

    # -- plan and cache ------------------------------------------------------------------------------
    def update(self, plan: str, organization: Optional[Organization] = None, organization_id: Optional[str] = None,
               organization_name: Optional[str] = None) -> Organization:
        """Switch the plan (``premium``/``freemium``); the entity is refreshed from the answer."""
        body = {"plan": coerce(OrganizationsPlans, plan, "plan").value}
        org = self._resolve(organization, organization_id, organization_name)
        answer = self._request("PATCH", path("/orgs/{}/plan", org.id), json=body)
        if isinstance(answer, dict) and answer.get("id") == org.id:
            org._refresh_from(answer)
        return org

    def cache_action(self, organization_id: Optional[str] = None, organization_name: Optional[str] = None,
                     organization: Optional[Organization] = None, mode: CacheAction = CacheAction.APPLY,
                     pod_type: PodType = PodType.SMALL) -> bool:
        """Apply or destroy the organization's FaaS cache (filestore first, then the cache service)."""
        mode = coerce(CacheAction, mode, "cache mode").value
        pod = coerce(PodType, pod_type, "pod type").value
        org = self._resolve(organization, organization_id, organization_name)
        if org.name is None:
            org = self.get(organization_id=org.id)
        body = {"org": {"name": org.name, "id": org.id}, "runner": {"podType": pod}}

        def fs_cache(fs_mode: str):
            return self._request("POST", "/services/fs-cache", params={"mode": fs_mode}, json=body) or {}

        if mode == CacheAction.APPLY.value:
            fs_cache("apply-filestore")
            delay = 1.0
            while fs_cache("get").get("state") != "READY":
                time.sleep(delay)
                delay = min(delay * 2, CACHE_POLL_CAP)
            fs_cache("apply")
        else:
            fs_cache("destroy")
        self._request("POST", "/services/cache", params={"mode": mode}, json=body)
        return True
