"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point (one dict, declarative)."""
from __future__ import annotations

PACKAGE = "dataloop_provider"


def _modules(kind: str, *names: str) -> list:
    return [{"integration-name": "Dataloop", "python-modules": [f"{PACKAGE}.{kind}.{n}" for n in names]}]


def get_provider_info() -> dict:
    return {
        "package-name": "dataloop-orchestrate",  # the distribution name: a mismatch breaks every airflow command
        "name": "Dataloop",
        "description": "Drive the Dataloop data-labeling platform: sync, tasks, FaaS, pipelines, exports",
        "integrations": [{"integration-name": "Dataloop", "external-doc-url": "https://docs.dataloop.ai/",
                          "tags": ["service"]}],
        "hooks": _modules("hooks", "dataloop"),
        "operators": _modules("operators", "sync", "items", "datasets", "tasks", "executions", "pipelines"),
        "sensors": _modules("sensors", "runs", "items"),
        "triggers": _modules("triggers", "runs", "items", "events"),
        "connection-types": [{
            "connection-type": "dataloop",
            "hook-class-name": f"{PACKAGE}.hooks.dataloop.DataloopHook",
            "hook-name": "Dataloop",
            "ui-field-behaviour": {
                "hidden-fields": ["schema", "port", "login"],
                "relabeling": {"host": "Gate URL", "password": "API token"},
                "placeholders": {"host": "https://gate.dataloop.ai",
                                 "password": "an API token (or leave empty and set the m2m client below)"},
            },
            "conn-fields": {
                "client_id": {"label": "M2M client id", "schema": {"type": ["string", "null"]}},
                "client_secret": {"label": "M2M client secret",
                                  "schema": {"type": ["string", "null"], "format": "password"}},
                "verify": {"label": "Verify TLS", "description": "false to skip TLS verification",
                           "schema": {"type": ["boolean", "null"], "default": True}},
                "ca_bundle": {"label": "CA bundle path", "schema": {"type": ["string", "null"]}},
                "project_id": {"label": "Default project id", "schema": {"type": ["string", "null"]}},
            },
        }],
        "extra-links": [f"{PACKAGE}.links.dataloop.{name}" for name in
                        ("DataloopDatasetLink", "DataloopTaskLink", "DataloopExecutionLink",
                         "DataloopPipelineExecutionLink")],
    }
