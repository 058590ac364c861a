"""Organizations over real HTTP: the lazily created org, members, groups, plan, integrations, cache."""
from __future__ import annotations

import pytest

from dataloop_core import DataloopClient
from dataloop_core.entities.organization import MemberOrgRole, Organization
from dataloop_core.exceptions import BadRequest, Forbidden, NotFound


@pytest.fixture
def fresh(emulator, unique):
    """A brand-new user, so its organization starts empty."""
    with DataloopClient(base_url=emulator.url, token=emulator.token(unique("user") + "@example.com")) as c:
        yield c


@pytest.fixture
def org(fresh):
    return fresh.organizations.list()[0]


def test_every_user_has_one_own_organization(fresh):
    orgs = fresh.organizations.list()
    assert len(orgs) == 1 and isinstance(orgs[0], Organization)
    org = orgs[0]
    assert org.owner == fresh.user_email and org.plan == "freemium"
    assert org.name == f"{fresh.user_email}'s org"
    assert [(m["email"], m["role"]) for m in org.members] == [(fresh.user_email, "owner")]
    assert fresh.organizations.list()[0].id == org.id  # created once


def test_project_org_is_the_users_org(fresh, unique):
    project = fresh.projects.create(unique("p"))
    org = fresh.organizations.get(organization_id=project.org["id"])
    assert org.name == project.org["name"]
    assert [p.id for p in org.projects.list()] == [project.id]


def test_get_by_id_and_name(fresh, org):
    assert fresh.organizations.get(organization_id=org.id).name == org.name
    assert fresh.organizations.get(organization_name=org.name).id == org.id
    stub = fresh.organizations.get(organization_id=org.id, fetch=False)
    assert stub.id == org.id and stub.name is None


def test_get_errors(fresh, client, org):
    with pytest.raises(ValueError):
        fresh.organizations.get()
    with pytest.raises(ValueError):
        fresh.organizations.get(organization_id=org.id, organization_name=org.name)
    with pytest.raises(NotFound, match="Organization not found: nope"):
        fresh.organizations.get(organization_name="nope")
    with pytest.raises(NotFound, match="Organization not found: " + "0" * 24):
        fresh.organizations.get(organization_id="0" * 24)
    with pytest.raises(BadRequest, match="invalid organization id"):
        fresh.organizations.get(organization_id="bad")
    with pytest.raises(Forbidden):
        client.organizations.get(organization_id=org.id)


def test_members_add_list_update_delete(fresh, org):
    assert org.add_member("worker@example.com", MemberOrgRole.WORKER) is True
    assert [u.email for u in org.list_members(role=MemberOrgRole.WORKER)] == ["worker@example.com"]
    updated = fresh.organizations.update_member("worker@example.com", "admin", organization_id=org.id)
    assert updated["role"] == "admin"
    roles = {u.email: u.role for u in fresh.organizations.list_members(organization_name=org.name)}
    assert roles == {fresh.user_email: "owner", "worker@example.com": "admin"}
    with pytest.raises(Forbidden):
        org.delete_member("worker@example.com")
    assert org.delete_member("worker@example.com", sure=True, really=True) is True
    assert [u.email for u in org.list_members()] == [fresh.user_email]


def test_member_errors(fresh, org):
    with pytest.raises(ValueError, match="organization role"):
        org.add_member("x@example.com", role="boss")
    with pytest.raises(BadRequest, match="invalid email: 'nope'"):
        org.add_member("nope")
    with pytest.raises(BadRequest, match="invalid role 'boss'"):
        fresh.transport.json("POST", f"/orgs/{org.id}/members", json={"emails": ["a@example.com"], "role": "boss"})
    with pytest.raises(NotFound, match="Member not found: ghost@example.com"):
        org.update_member("ghost@example.com", MemberOrgRole.ADMIN)
    with pytest.raises(NotFound, match="Member not found"):
        org.delete_member("ghost@example.com", sure=True, really=True)
    with pytest.raises(BadRequest, match="owner"):
        org.delete_member(fresh.user_email, sure=True, really=True)
    with pytest.raises(BadRequest, match="owner"):
        org.update_member(fresh.user_email, MemberOrgRole.WORKER)
    assert [(u.email, u.role) for u in org.list_members()] == [(fresh.user_email, "owner")]


def test_member_of_another_org_sees_it_but_cannot_manage(emulator, fresh, org, unique):
    email = unique("member") + "@example.com"
    org.add_member(email, MemberOrgRole.MEMBER)
    with DataloopClient(base_url=emulator.url, token=emulator.token(email)) as member:
        assert org.id in [o.id for o in member.organizations.list()]
        with pytest.raises(Forbidden):
            member.organizations.add_member("x@example.com", organization_id=org.id)


def test_update_plan(fresh, org):
    assert org.update("premium") is org and org.plan == "premium"
    assert fresh.organizations.get(organization_id=org.id).plan == "premium"
    with pytest.raises(ValueError, match="plan"):
        org.update("gold")
    with pytest.raises(BadRequest, match="invalid plan 'gold'"):
        fresh.transport.json("PATCH", f"/orgs/{org.id}/plan", json={"plan": "gold"})


def test_groups_and_integrations(fresh, org):
    assert org.list_groups() == []
    assert org.list_integrations() == []
    created = org.integrations.create("key_value", "kv", {"key": "k", "value": "v"})
    assert [i["id"] for i in fresh.organizations.list_integrations(organization=org)] == [created.id]
    assert [i["id"] for i in org.list_integrations(only_available=True)] == [created.id]


def test_cache_action_apply_and_destroy(fresh, org):
    def cache():
        return fresh.organizations.get(organization_id=org.id).to_json()["cache"]
    assert org.cache_action() is True
    assert cache() == {"filestore": "READY", "podType": "small", "state": "apply"}
    assert fresh.organizations.cache_action(organization_id=org.id, mode="destroy", pod_type="high") is True
    assert cache()["state"] == "destroy"
    with pytest.raises(ValueError, match="pod type"):
        org.cache_action(pod_type="huge")


def test_open_in_web(org, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0, autoraise=True: opened.append(url))
    org.open_in_web()
    assert opened == [org.platform_url] and org.platform_url.endswith(f"iam/{org.id}/members")
