"""Drivers over real HTTP: payload nested in the request, flattened in the answer (wire §8)."""
from __future__ import annotations

import pytest

from dataloop_core.entities.driver import Driver, ExternalStorage
from dataloop_core.exceptions import BadRequest, Forbidden, MissingEntity, NotFound


@pytest.fixture
def s3_integration(project, unique):
    return project.integrations.create("s3", unique("s3"), {"key": "k", "secret": "s"})


def test_create_flattens_payload(client, project, s3_integration, unique):
    name = unique("drv")
    driver = project.drivers.create(name, ExternalStorage.S3, s3_integration.id, "my-bucket", region="eu-west-1",
                                    storage_class="STANDARD", path="data/x", endpoint="http://minio:9000")
    assert isinstance(driver, Driver)
    assert (driver.name, driver.type, driver.integration_id, driver.integration_type) == (
        name, "s3", s3_integration.id, "s3")
    assert (driver.bucket_name, driver.region, driver.storage_class, driver.path, driver.end_point) == (
        "my-bucket", "eu-west-1", "STANDARD", "data/x", "http://minio:9000")
    assert "payload" not in driver.to_json()
    assert driver.project_id == project.id and driver.creator == client.user_email
    assert driver.allow_external_delete is True


def test_get_list_by_name_and_id(project, s3_integration, unique):
    driver = project.drivers.create(unique("drv"), "s3", s3_integration.id, "b")
    assert project.drivers.get(driver_id=driver.id).bucket_name == "b"
    assert project.drivers.get(driver_name=driver.name).id == driver.id
    assert [d.id for d in project.drivers.list()] == [driver.id]


def test_gcs_and_azure_bucket_keys(project, unique):
    gcs = project.integrations.create("gcs", unique("gcs"), {"key": "k", "secret": "s", "content": "{}"})
    assert project.drivers.create(unique("g"), "gcs", gcs.id, "gb").bucket == "gb"
    azure = project.integrations.create("azureblob", unique("az"),
                                        {"key": "k", "secret": "s", "clientId": "c", "tenantId": "t"})
    assert project.drivers.create(unique("a"), "azureblob", azure.id, "cont").container_name == "cont"


def test_storage_driver_over_nfs_and_s3(project, unique):
    nfs = project.integrations.create_nfs(unique("nfs"), "10.0.0.1", "/exports")
    driver = project.drivers.create_storage_driver(unique("st"), nfs, directory="sub")
    assert driver.type == "storage" and driver.directory == "/sub"
    s3 = project.integrations.create_s3_compatible_api(unique("m"), "k", "s", "http://m:9000")
    assert project.drivers.create_storage_driver(unique("st"), s3, bucket_name="b", path="p").bucket_name == "b"
    with pytest.raises(ValueError, match="bucket_name"):
        project.drivers.create_storage_driver(unique("st"), s3)


def test_delete(project, s3_integration, unique):
    driver = project.drivers.create(unique("drv"), "s3", s3_integration.id, "b")
    with pytest.raises(Forbidden):
        driver.delete()
    assert project.drivers.delete(driver_name=driver.name, sure=True, really=True) is True
    with pytest.raises(NotFound, match=f"Driver not found: {driver.id}"):
        project.drivers.get(driver_id=driver.id)


def test_integration_in_use_cannot_be_deleted(project, s3_integration, unique):
    driver = project.drivers.create(unique("drv"), "s3", s3_integration.id, "b")
    with pytest.raises(BadRequest, match=f"used by driver {driver.id}"):
        s3_integration.delete(sure=True, really=True)
    driver.delete(sure=True, really=True)
    assert s3_integration.delete(sure=True, really=True) is True


def test_create_errors_leave_nothing_behind(client, project, s3_integration, unique):
    taken = project.drivers.create(unique("drv"), "s3", s3_integration.id, "b")
    with pytest.raises(BadRequest, match="already exists"):
        project.drivers.create(taken.name, "s3", s3_integration.id, "b")
    with pytest.raises(BadRequest, match="invalid driver type 'ftp'"):
        project.drivers.create(unique("d"), "ftp", s3_integration.id, "b", integration_type="s3")
    with pytest.raises(BadRequest, match="invalid integration id"):
        project.drivers.create(unique("d"), "s3", "bad", "b")
    with pytest.raises(NotFound, match="Integration not found"):
        project.drivers.create(unique("d"), "s3", "0" * 24, "b")
    with pytest.raises(BadRequest, match="does not match"):
        project.drivers.create(unique("d"), "gcs", s3_integration.id, "b")
    with pytest.raises(BadRequest, match="bucketName is required"):
        project.drivers.create(unique("d"), "s3", s3_integration.id, "")
    with pytest.raises(ValueError, match="endpoint"):
        project.drivers.create(unique("d"), "s3", s3_integration.id, "b", endpoint="minio")
    with pytest.raises(ValueError):
        project.drivers.create("", "s3", s3_integration.id, "b")
    assert [d.id for d in project.drivers.list()] == [taken.id]


def test_get_errors(client, project):
    with pytest.raises(ValueError):
        project.drivers.get()
    with pytest.raises(NotFound, match="Driver not found: nope"):
        project.drivers.get(driver_name="nope")
    with pytest.raises(BadRequest, match="invalid driver id"):
        project.drivers.get(driver_id="bad")
    with pytest.raises(MissingEntity):
        client.drivers.list()
    with pytest.raises(BadRequest, match="projectId"):
        client.transport.json("GET", "/drivers")
