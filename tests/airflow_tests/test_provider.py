"""Registration: provider info as Airflow reads it (package name = distribution, connection form, every module
listed exists), the CLI lists the provider, and DagBag imports every example DAG without errors."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from importlib.metadata import entry_points

from dataloop_provider.get_provider_info import get_provider_info


def test_entry_point_and_package_name_match_the_distribution():
    [point] = [p for p in entry_points(group="apache_airflow_provider") if p.value.startswith("dataloop_provider")]
    assert point.dist.name == get_provider_info()["package-name"] == "dataloop-orchestrate"


def test_every_listed_module_and_class_exists():
    info = get_provider_info()
    for kind in ("hooks", "operators", "sensors", "triggers"):
        for module in info[kind][0]["python-modules"]:
            importlib.import_module(module)
    for path in info["extra-links"] + [info["connection-types"][0]["hook-class-name"]]:
        module, name = path.rsplit(".", 1)
        assert getattr(importlib.import_module(module), name)


def test_connection_form_is_declared():
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime
    assert ProvidersManagerTaskRuntime().hooks["dataloop"].hook_class_name == \
        "dataloop_provider.hooks.dataloop.DataloopHook"
    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    assert widgets["extra__dataloop__client_secret"].is_sensitive
    assert {"extra__dataloop__client_id", "extra__dataloop__verify", "extra__dataloop__ca_bundle",
            "extra__dataloop__project_id"} <= set(widgets)
    assert manager.field_behaviours["dataloop"]["relabeling"]["password"] == "API token"


def test_airflow_providers_list_shows_it():
    out = subprocess.run([sys.executable, "-m", "airflow", "providers", "list"], capture_output=True, text=True,
                         env=os.environ, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "dataloop-orchestrate" in out.stdout


def test_dagbag_imports_the_examples_without_errors():
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert bag.import_errors == {}
    assert {"dataloop_hourly_sync", "dataloop_pipeline_on_new_items", "dataloop_s3_sync",
            "dataloop_event_driven"} <= set(bag.dag_ids)
