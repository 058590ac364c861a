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
