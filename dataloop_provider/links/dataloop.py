""""See in Dataloop" links. The operator persists the console URL in XCom when it starts the work; ``get_link``
reads only that XCom (Airflow 3 renders links on the worker at finalize, from XCom and ``ti_key``)."""
from __future__ import annotations

from typing import ClassVar

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom


class DataloopLink(BaseOperatorLink):
    """A console link stored under XCom ``key``."""

    name: ClassVar[str]
    key: ClassVar[str]

    @classmethod
    def persist(cls, context, url: str) -> None:
        context["ti"].xcom_push(key=cls.key, value=url)

    def get_link(self, operator, *, ti_key) -> str:
        return XCom.get_value(key=self.key, ti_key=ti_key) or ""


class DataloopDatasetLink(DataloopLink):
    name = "See dataset in Dataloop"
    key = "dataloop_dataset_url"


class DataloopTaskLink(DataloopLink):
    name = "See task in Dataloop"
    key = "dataloop_task_url"


class DataloopExecutionLink(DataloopLink):
    name = "See execution in Dataloop"
    key = "dataloop_execution_url"


class DataloopPipelineExecutionLink(DataloopLink):
    name = "See pipeline execution in Dataloop"
    key = "dataloop_pipeline_execution_url"


# console URL shapes of the runs whose entities have no ``platform_url`` in dataloop_core (datasets and tasks do)
def execution_url(client, project_id: str, service_id: str, execution_id: str) -> str:
    return f"{client.console_url}projects/{project_id}/services/{service_id}/executions/{execution_id}"


def pipeline_execution_url(client, project_id: str, pipeline_id: str, execution_id: str) -> str:
    return f"{client.console_url}projects/{project_id}/pipelines/{pipeline_id}/executions/{execution_id}"
