"""Projects over real HTTP: create/get/list/update/delete, members, checkout, console links."""
from __future__ import annotations

import json

import pytest

from dataloop_core import DataloopClient
from dataloop_core.entities.project import MemberRole, Project
from dataloop_core.exceptions import BadRequest, Forbidden, NotFound

MISSING_ID = "0" * 24


@pytest.fixture
def other(emulator):
    """A second user on the same emulator."""
    with DataloopClient(base_url=emulator.url, token=emulator.token("other@dataloop.local")) as c:
        yield c


def test_create_returns_project_with_org_and_owner(client, unique):
    name = unique("project")
    project = client.projects.create(name)
    assert isinstance(project, Project)
    assert project.name == name and len(project.id) == 24
    assert project.role == "owner" and project.creator == "tester@dataloop.local"
    assert set(project.org) >= {"id", "name"}
    assert [(u.email, u.role) for u in project.contributors] == [("tester@dataloop.local", "owner")]
    assert project.url.endswith(f"/api/v1/projects/{project.id}")


def test_create_sends_form_urlencoded_name(client, unique):
    name = unique("form")
    answer = client.transport.json("POST", "/projects", data={"name": name})
    assert answer["name"] == name


def test_create_duplicate_name_is_bad_request(client, project):
    with pytest.raises(BadRequest, match="already exists"):
        client.projects.create(project.name)
    assert len(client.transport.json("GET", f"/projects/{project.name}/name")) == 1


@pytest.mark.parametrize("name", ["", "   ", None])
def test_create_rejects_empty_name_locally(client, name):
    with pytest.raises(ValueError):
        client.projects.create(name)


def test_get_by_id_and_by_name(client, project):
    assert client.projects.get(project_id=project.id).name == project.name
    assert client.projects.get(project_name=project.name).id == project.id
    assert client.projects.get(project_id=project.id, project_name=project.name) == project


def test_get_by_name_with_spaces_and_slash(client, unique):
    name = unique("a b/c")
    project = client.projects.create(name)
    assert client.projects.get(project_name=name).id == project.id


def test_get_by_name_route_answers_array_or_404(client, project):
    assert [p["id"] for p in client.transport.json("GET", f"/projects/{project.name}/name")] == [project.id]
    with pytest.raises(NotFound, match="Project not found: no-such"):
        client.transport.json("GET", "/projects/no-such/name")


def test_get_errors(client, project):
    with pytest.raises(NotFound, match=f"Project not found: {MISSING_ID}"):
        client.projects.get(project_id=MISSING_ID)
    with pytest.raises(BadRequest, match="invalid project id"):
        client.projects.get(project_id="not-an-id")
    with pytest.raises(NotFound):
        client.projects.get(project_name="no-such-project-name")
    with pytest.raises(ValueError, match="named"):
        client.projects.get(project_id=project.id, project_name="another name")


def test_get_without_args_needs_a_checkout(emulator, tmp_path):
    with DataloopClient(base_url=emulator.url, token=emulator.token("tester@dataloop.local"),
                        state_dir=str(tmp_path)) as fresh:
        with pytest.raises(ValueError, match="checked out"):
            fresh.projects.get()


def test_get_fetch_false_builds_a_stub_without_request(client):
    stub = client.projects.get(project_id=MISSING_ID, fetch=False)
    assert stub.id == MISSING_ID and stub.name is None
    with pytest.raises(ValueError):
        client.projects.get(fetch=False)


def test_list_returns_only_member_projects(client, other, project):
    assert project.id in [p.id for p in client.projects.list()]
    assert project.id not in [p.id for p in other.projects.list()]
    with pytest.raises(Forbidden):
        other.projects.get(project_id=project.id)


def test_update_renames_and_keeps_readonly_fields(client, project, unique):
    new_name = unique("renamed")
    project.name = new_name
    assert project.update() is project
    fetched = client.projects.get(project_id=project.id)
    assert fetched.name == new_name and fetched.org == project.org and fetched.role == "owner"


def test_update_system_metadata_needs_the_flag(client, project):
    project._json["metadata"] = {"user": {"a": 1}, "system": {"b": 2}}
    project.update()
    assert client.projects.get(project_id=project.id).to_json()["metadata"] == {"user": {"a": 1}}
    project._json["metadata"] = {"user": {"a": 1}, "system": {"b": 2}}
    project.update(system_metadata=True)
    assert client.projects.get(project_id=project.id).to_json()["metadata"]["system"] == {"b": 2}


def test_update_to_a_taken_name_is_bad_request(client, project, unique):
    taken = client.projects.create(unique("taken"))
    project.name = taken.name
    with pytest.raises(BadRequest, match="already exists"):
        project.update()


def test_delete_needs_sure_and_really(client, project):
    with pytest.raises(Forbidden):
        project.delete()
    with pytest.raises(Forbidden):
        client.projects.delete(project_id=project.id, sure=True)
    assert client.projects.get(project_id=project.id)


def test_delete_by_id_and_by_name(client, unique):
    first, second = client.projects.create(unique("del")), client.projects.create(unique("del"))
    assert first.delete(sure=True, really=True) is True
    assert client.projects.delete(project_name=second.name, sure=True, really=True) is True
    for gone in (first, second):
        with pytest.raises(NotFound):
            client.projects.get(project_id=gone.id)
    with pytest.raises(ValueError):
        client.projects.delete(sure=True, really=True)


def test_delete_cascades_to_project_scoped_documents(client, emulator, project, unique):
    integration = project.integrations.create("s3", unique("s3"), {"key": "k", "secret": "s"})
    driver = project.drivers.create(unique("drv"), "s3", integration.id, "bucket")
    dataset = project.datasets.create(unique("ds"))
    item = dataset.items.upload(local_path=b"binary", remote_name="a.bin")
    assert emulator.emulator.blobs.exists(item.id)
    project.delete(sure=True, really=True)
    assert not emulator.emulator.blobs.exists(item.id)  # no orphan binaries on disk
    with pytest.raises(NotFound, match=f"Item not found: {item.id}"):
        client.items.get(item_id=item.id)
    with pytest.raises(NotFound, match=f"Driver not found: {driver.id}"):
        client.drivers.get(driver_id=driver.id)
    with pytest.raises(NotFound, match=f"Dataset not found: {dataset.id}"):
        client.datasets.get(dataset_id=dataset.id)


def test_members_add_update_list_remove(client, project):
    added = project.add_member("annotator@example.com", MemberRole.ANNOTATOR)
    assert added["email"] == "annotator@example.com" and added["role"] == "annotator"
    assert [u.email for u in project.list_members(role=MemberRole.ANNOTATOR)] == ["annotator@example.com"]
    assert project.update_member("annotator@example.com", "annotationManager")["role"] == "annotationManager"
    members = {u.email: u.role for u in client.projects.list_members(project)}
    assert members == {"tester@dataloop.local": "owner", "annotator@example.com": "annotationManager"}
    project.remove_member("annotator@example.com")
    assert [u.email for u in project.list_members()] == ["tester@dataloop.local"]


def test_member_sees_the_project_with_its_role(client, other, project):
    project.add_member("other@dataloop.local", MemberRole.DEVELOPER)
    seen = other.projects.get(project_id=project.id)
    assert seen.role == "engineer"
    with pytest.raises(Forbidden):  # only owners manage members or delete
        seen.add_member("third@example.com")
    with pytest.raises(Forbidden):
        seen.delete(sure=True, really=True)


def test_member_errors(client, project):
    with pytest.raises(ValueError, match="unknown project role"):
        project.add_member("x@example.com", role="boss")
    with pytest.raises(BadRequest, match="invalid role 'boss'"):
        client.transport.json("POST", f"/projects/{project.id}/members/x@example.com", json={"role": "boss"})
    with pytest.raises(BadRequest, match="invalid email: 'not-an-email'"):
        project.add_member("not-an-email")
    project.add_member("dup@example.com")
    with pytest.raises(BadRequest, match="already a member"):
        project.add_member("dup@example.com")
    with pytest.raises(NotFound, match="Member not found: ghost@example.com"):
        project.update_member("ghost@example.com", MemberRole.OWNER)
    with pytest.raises(BadRequest, match="last owner"):
        project.remove_member("tester@dataloop.local")
    assert {u.email for u in project.list_members()} == {"tester@dataloop.local", "dup@example.com"}


def test_checkout_writes_state_and_get_returns_it(emulator, tmp_path, unique):
    with DataloopClient(base_url=emulator.url, token=emulator.token("tester@dataloop.local"),
                        state_dir=str(tmp_path)) as local:
        project = local.projects.create(unique("co"), checkout=True)
        state = json.loads((tmp_path / "state.json").read_text())
        assert state["project"]["id"] == project.id
        assert local.projects.get().id == project.id
        other = local.projects.create(unique("co"))
        local.projects.checkout(identifier=other.id[-10:])
        assert local.projects.get().id == other.id
        local.projects.checkout(project_name=project.name)
        assert local.projects.get().id == project.id
        with pytest.raises(ValueError):
            local.projects.checkout()
        with pytest.raises(NotFound):
            local.projects.checkout(identifier="no-project-matches-this")


def test_open_in_web_and_platform_url(client, project, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0, autoraise=True: opened.append(url))
    project.open_in_web()
    client.projects.open_in_web(project_id=project.id)
    client.projects.open_in_web(project_name=project.name)
    client.projects.open_in_web()
    expected = f"{client.console_url}projects/{project.id}"
    assert project.platform_url == expected
    assert opened == [expected, expected, expected, client.console_url + "projects"]


def test_get_system_project_not_found(client, project):
    with pytest.raises(NotFound, match="System project not found"):
        client.projects.get_system_project(org_id=project.org["id"])


SCOPED = ["datasets", "drivers", "integrations", "recipes", "ontologies", "tasks", "assignments", "packages",
          "codebases", "services", "bots", "triggers", "executions", "pipelines"]


def test_project_declares_every_scoped_repository():
    from functools import cached_property
    assert all(isinstance(Project.__dict__[name], cached_property) for name in SCOPED)


def test_project_exposes_scoped_repositories(project):
    assert project.drivers._context["project"] is project
    assert project.integrations._context["project"] is project
    assert project.projects.get(project_id=project.id) == project
