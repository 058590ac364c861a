"""Integrations over real HTTP (org from project.org or the org entity); secrets never come back."""
from __future__ import annotations

import base64
import json

import pytest

from dataloop_core.entities.integration import HostPathType, Integration, IntegrationType
from dataloop_core.exceptions import BadRequest, Forbidden, MissingEntity, NotFound
from dataloop_core.repositories.integrations import Integrations


def test_create_get_list(client, project, unique):
    name = unique("s3")
    created = project.integrations.create(IntegrationType.S3, name, {"key": "k", "secret": "s"},
                                          metadata={"region": "eu"})
    assert isinstance(created, Integration)
    assert created.name == name and created.type == "s3" and created.org == project.org["id"]
    assert created.status == "active"
    assert {"name": "region", "value": "eu"} in created.metadata
    assert "options" not in created.to_json()
    fetched = project.integrations.get(created.id)
    assert fetched.name == name and "options" not in fetched.to_json()
    listed = project.integrations.list()
    assert created.id in [i["id"] for i in listed] and all("options" not in i for i in listed)
    assert created.id in [i["id"] for i in project.integrations.list(only_available=True)]


def test_org_entity_and_explicit_org_id(client, project, unique):
    org = client.organizations.get(organization_id=project.org["id"])
    created = org.integrations.create("key_value", unique("kv"), {"key": "a", "value": "b"})
    assert client.integrations.get(created.id, organization_id=org.id).id == created.id
    with pytest.raises(MissingEntity):
        client.integrations.list()


def test_update_name_and_options(client, project, emulator, unique):
    created = project.integrations.create("s3", unique("s3"), {"key": "k", "secret": "s"})
    new_name = unique("renamed")
    renamed = project.integrations.update(new_name=new_name, integrations_id=created.id)
    assert renamed.name == new_name
    created.update(new_options={"key": "k2", "secret": "s2"}, reload_services=True)
    assert emulator.emulator.store.get("integration", created.id)["options"] == {"key": "k2", "secret": "s2"}
    with pytest.raises(ValueError):
        project.integrations.update(new_name="x")
    with pytest.raises(ValueError):
        project.integrations.update(integrations_id=created.id)
    with pytest.raises(BadRequest, match="miss: secret"):
        project.integrations.update(integrations_id=created.id, new_options={"key": "only"})


def test_delete(client, project, unique):
    created = project.integrations.create("key_value", unique("kv"), {"key": "a", "value": "b"})
    with pytest.raises(Forbidden):
        created.delete()
    assert created.delete(sure=True, really=True) is True
    with pytest.raises(NotFound, match=f"Integration not found: {created.id}"):
        project.integrations.get(created.id)


def test_create_errors_leave_nothing_behind(client, project, unique):
    before = len(project.integrations.list())
    with pytest.raises(BadRequest, match="invalid integration type 'ftp'"):
        project.integrations.create("ftp", unique("x"), {})
    with pytest.raises(BadRequest, match="miss: value"):
        project.integrations.create("key_value", unique("x"), {"key": "k"})
    taken = project.integrations.create("key_value", unique("kv"), {"key": "k", "value": "v"})
    with pytest.raises(BadRequest, match="already exists"):
        project.integrations.create("key_value", taken.name, {"key": "k", "value": "v"})
    with pytest.raises(ValueError):
        project.integrations.create("key_value", "", {})
    with pytest.raises(ValueError):
        project.integrations.create("key_value", "x", "not a dict")
    assert len(project.integrations.list()) == before + 1


def test_get_errors(project):
    with pytest.raises(BadRequest, match="invalid integration id"):
        project.integrations.get("bad-id")
    with pytest.raises(NotFound, match="Integration not found: " + "0" * 24):
        project.integrations.get("0" * 24)


def test_typed_helpers_send_documented_metadata(project, unique):
    nfs = project.integrations.create_nfs(unique("nfs"), server="10.0.0.5", path="exports")
    assert nfs.type == "nfs"
    assert {"name": "path", "value": "/exports"} in nfs.metadata
    host = project.integrations.create_hostpath(unique("hp"), path="/data", read_only=True)
    assert {"name": "type", "value": HostPathType.DIRECTORY.value} in host.metadata
    s3 = project.integrations.create_s3_compatible_api(unique("minio"), "k", "s", "http://minio:9000", "us")
    values = {m["name"]: m["value"] for m in s3.metadata}
    assert values["endpoint"] == "http://minio:9000" and values["authMethod"] == "key-secret"
    assert values["region"] == "us" and values["provider"] == "self-managed"


def test_registry_option_generators():
    options = Integrations.generate_docker_hub_options("user", "pass", email="u@example.com")
    auths = json.loads(base64.b64decode(options["spec"]["password"]))["auths"]
    assert options["name"] == "_json_key"
    assert auths["docker.io"] == {"username": "user", "password": "pass",
                                  "auth": base64.b64encode(b"user:pass").decode(), "email": "u@example.com"}
    gar = Integrations.generate_gar_options("{}", "europe")
    assert "europe-docker.pkg.dev" in json.loads(base64.b64decode(gar["spec"]["password"]))["auths"]
    acr = Integrations.generate_azure_container_registry_options("u", "p", "me.azurecr.io")
    assert "me.azurecr.io" in json.loads(base64.b64decode(acr["spec"]["password"]))["auths"]
    assert Integrations.generate_ecr_options("a", "b", "c", "d") == {
        "name": "AWS", "spec": {"accessKeyId": "a", "secretAccessKey": "b", "account": "c", "region": "d"}}
    with pytest.raises(ValueError):
        Integrations.generate_docker_hub_options("", "p")
