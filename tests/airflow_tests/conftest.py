"""Airflow leg: a fresh AIRFLOW_HOME (SQLite) per session, set before anything imports airflow; the emulator's
connection as ``AIRFLOW_CONN_DATALOOP_DEFAULT`` (JSON form); seeded demo data, moto S3, the metadata DB."""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from .helpers import TaskInstanceStub

REPO = Path(__file__).resolve().parents[2]
HOME = tempfile.mkdtemp(prefix="airflow-home-")
atexit.register(shutil.rmtree, HOME, ignore_errors=True)
os.environ.update({
    "AIRFLOW_HOME": HOME,
    "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags_examples"),
    "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
})
TESTER = "tester@dataloop.local"


@pytest.fixture(scope="session")
def token(emulator):
    return emulator.token(TESTER)


@pytest.fixture
def conn_env(monkeypatch):
    """Set ``AIRFLOW_CONN_<ID>`` for one test: ``conn_env("dataloop_x", {...})`` (JSON) or a URI string."""
    def set_conn(conn_id: str, value) -> str:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value if isinstance(value, str) else json.dumps(value))
        return conn_id
    return set_conn


@pytest.fixture
def default_conn(emulator, token, conn_env):
    return conn_env("dataloop_default", {"conn_type": "dataloop", "host": emulator.url, "password": token})


@pytest.fixture(scope="session")
def demo(client, tmp_path_factory):
    """One seeded project for the session: dataset, images folder, pre-annotation service and pipeline."""
    from dags_examples.seed import seed
    return seed(client, tmp_path_factory.mktemp("demo"), images=8, project_name=f"airflow-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def demo_env(demo, default_conn, monkeypatch):
    """The example DAGs' settings and connection for one test."""
    from dags_examples.seed import env_settings
    for name, value in env_settings(demo).items():
        monkeypatch.setenv(name, value)
    return demo


@pytest.fixture
def s3_dataset(client, demo, s3_endpoint, unique):
    """A dataset of the demo project backed by a fresh bucket holding data/0.txt .. data/2.txt."""
    import boto3
    key, secret = "test-key", "test-secret"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                      region_name="us-east-1")
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    for index in range(3):
        s3.put_object(Bucket=bucket, Key=f"data/{index}.txt", Body=f"object {index}".encode())
    project = client.projects.get(project_id=demo["project_id"])
    integration = project.integrations.create_s3_compatible_api(unique("s3"), key, secret, s3_endpoint)
    driver = project.drivers.create(unique("driver"), "s3", integration.id, bucket, integration_type="s3",
                                    path="data", endpoint=s3_endpoint)
    return project.datasets.create(unique("external"), driver_id=driver.id)


@pytest.fixture(scope="session")
def airflow_db():
    """A fresh metadata DB for this session (for ``dag.test()``)."""
    from airflow.utils import db
    db.resetdb()
    return HOME


@pytest.fixture
def context():
    """An operator's context outside a DAG run: a task instance with XCom by key."""
    return {"ti": TaskInstanceStub()}
