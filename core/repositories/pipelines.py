"""Pipelines (wire §3.18): CRUD, install/pause, reset, statistics, execute/test and validation."""
from __future__ import annotations

import copy
import webbrowser
from typing import Optional

from .._repository import Repository, exactly_one, own_filters, path
from ..entities.pipeline import Pipeline, PipelineSettings, PipelineStats
from ..exceptions import BadRequest, NotFound
from ..filters import Filters, FiltersResource
from ..paging import PagedEntities


def basic_pipeline_json() -> dict:
    return {"name": "", "projectId": "", "nodes": [], "connections": [], "startNodes": [], "variables": []}


class Pipelines(Repository):
    """``project.pipelines`` (or ``client.pipelines`` with explicit ids)."""

    def _build(self, json: dict) -> Pipeline:
        return Pipeline(self._client, json, project=self._parent("project", required=False))

    def _project_id(self, project_id: Optional[str] = None) -> str:
        return project_id or self._parent("project").id

    # -- reads -----------------------------------------------------------------------------------
    def get(self, pipeline_name: Optional[str] = None, pipeline_id: Optional[str] = None,
            fetch: Optional[bool] = None) -> Pipeline:
        """A pipeline by id (``GET /pipelines/{id}``) or by name within the project (query)."""
        if pipeline_id is None and pipeline_name is None:
            raise ValueError("pass pipeline_id or pipeline_name")
        if fetch is False:
            return self._build({"id": pipeline_id, "name": pipeline_name})
        if pipeline_id is not None:
            pipeline = self._build(self._request("GET", path("/pipelines/{}", pipeline_id)))
            if pipeline_name is not None and pipeline.name != pipeline_name:
                raise ValueError(f"pipeline {pipeline_id} is named {pipeline.name!r}, not {pipeline_name!r}")
            return pipeline
        filters = Filters(field="name", values=pipeline_name, resource=FiltersResource.PIPELINE, use_defaults=False)
        pages = self.list(filters=filters)
        if pages.items_count == 0:
            raise NotFound("404", f"Pipeline not found. Name: {pipeline_name}")
        if pages.items_count > 1:
            raise BadRequest("400", f"More than one pipeline named {pipeline_name!r}: get it by id")
        return pages.items[0]

    def list(self, filters: Optional[Filters] = None, project_id: Optional[str] = None) -> PagedEntities:
        """Pipelines of the project (``POST /pipelines/query``, resource ``pipeline``)."""
        filters = own_filters(filters, FiltersResource.PIPELINE)
        project = self._parent("project", required=False)
        project_id = project_id or (project.id if project is not None else None)
        if project_id is not None:
            filters.add(field="projectId", values=project_id)
        return PagedEntities(lambda body: self._request("POST", "/pipelines/query", json=body, retry_safe=True),
                             filters, self._build)

    def _resolve(self, pipeline: Optional[Pipeline] = None, pipeline_id: Optional[str] = None,
                 pipeline_name: Optional[str] = None) -> str:
        exactly_one(pipeline=pipeline, pipeline_id=pipeline_id, pipeline_name=pipeline_name)
        if pipeline is not None:
            return pipeline.id
        return pipeline_id or self.get(pipeline_name=pipeline_name).id

    # -- writes ----------------------------------------------------------------------------------
    def create(self, name: Optional[str] = None, project_id: Optional[str] = None,
               pipeline_json: Optional[dict] = None) -> Pipeline:
        """Create a pipeline (empty, or from a full pipeline JSON)."""
        body = copy.deepcopy(pipeline_json) if pipeline_json is not None else basic_pipeline_json()
        if name is not None:
            body["name"] = name
        if not body.get("name"):
            raise ValueError("a pipeline needs a name (name= or pipeline_json['name'])")
        body["projectId"] = project_id or body.get("projectId") or self._project_id()
        return self._build(self._request("POST", "/pipelines", json=body))

    def update(self, pipeline: Pipeline) -> Pipeline:
        """Send settings and variables changes first, then the full pipeline (``PATCH /pipelines/{id}``)."""
        body = pipeline.to_json()
        if pipeline.settings_changed():
            self.update_settings(pipeline=pipeline, settings=pipeline.settings)
        if pipeline.variables_changed():
            variables = [dict(v, reference=v.get("reference") or pipeline.id) for v in pipeline.variables]
            updated = self._request("PATCH", path("/pipelines/{}/variables", pipeline.id), json={"variables": variables})
            body["variables"] = updated.get("variables", variables)
        return self._build(self._request("PATCH", path("/pipelines/{}", pipeline.id), json=body))

    def update_settings(self, pipeline: Pipeline, settings: PipelineSettings) -> Pipeline:
        """``PATCH /pipelines/{id}`` with ``{"settings": ...}`` only."""
        return self._build(self._request("PATCH", path("/pipelines/{}", pipeline.id),
                                         json={"settings": settings.to_json()}))

    def delete(self, pipeline: Optional[Pipeline] = None, pipeline_name: Optional[str] = None,
               pipeline_id: Optional[str] = None) -> bool:
        pipeline_id = self._resolve(pipeline, pipeline_id, pipeline_name)
        self._request("DELETE", path("/pipelines/{}", pipeline_id))
        return True

    def install(self, pipeline: Pipeline, resume_option=None) -> Pipeline:
        """Validate and start the pipeline (``POST /pipelines/{id}/install``)."""
        body = {"resumeOption": getattr(resume_option, "value", resume_option)} if resume_option else {}
        return self._build(self._request("POST", path("/pipelines/{}/install", pipeline.id), json=body))

    def pause(self, pipeline: Pipeline, keep_triggers_active: Optional[bool] = None) -> None:
        """Stop the pipeline (``POST /pipelines/{id}/uninstall``)."""
        body = {"keepTriggersActive": keep_triggers_active} if keep_triggers_active is not None else {}
        self._request("POST", path("/pipelines/{}/uninstall", pipeline.id), json=body)

    def reset(self, pipeline: Optional[Pipeline] = None, pipeline_id: Optional[str] = None,
              pipeline_name: Optional[str] = None, stop_if_running: bool = False) -> bool:
        """Clear the pipeline's counters (pausing it first when ``stop_if_running``)."""
        pipeline_id = self._resolve(pipeline, pipeline_id, pipeline_name)
        if stop_if_running:
            self.pause(pipeline=pipeline or self.get(pipeline_id=pipeline_id))
        self._request("POST", path("/pipelines/{}/reset", pipeline_id))
        return True

    def stats(self, pipeline: Optional[Pipeline] = None, pipeline_id: Optional[str] = None,
              pipeline_name: Optional[str] = None) -> PipelineStats:
        pipeline_id = self._resolve(pipeline, pipeline_id, pipeline_name)
        return PipelineStats(self._request("GET", path("/pipelines/{}/statistics", pipeline_id)))

    def execute(self, pipeline: Optional[Pipeline] = None, pipeline_id: Optional[str] = None,
                pipeline_name: Optional[str] = None, execution_input=None):
        """Start one pipeline execution (``POST /pipelines/{id}/execute``)."""
        return self._executions(pipeline, pipeline_id, pipeline_name).create(execution_input=execution_input,
                                                                             test_mode=False)

    def test(self, pipeline: Optional[Pipeline] = None, pipeline_id: Optional[str] = None, execution_input=None):
        """Execute in test mode."""
        return self._executions(pipeline, pipeline_id, None).create(execution_input=execution_input,
                                                                    test_mode=True)

    def _executions(self, pipeline, pipeline_id, pipeline_name):
        from .pipeline_executions import PipelineExecutions
        if pipeline is None:
            pipeline = self.get(pipeline_id=self._resolve(None, pipeline_id, pipeline_name))
        return PipelineExecutions(self._client, project=self._parent("project", required=False), pipeline=pipeline)

    def validate(self, pipeline_json: dict) -> dict:
        """Server-side validation report of a pipeline JSON (``POST /pipelines/validate``)."""
        return self._request("POST", "/pipelines/validate", json=pipeline_json)

    # -- console ---------------------------------------------------------------------------------
    def open_in_web(self, pipeline: Optional[Pipeline] = None, pipeline_id: Optional[str] = None,
                    pipeline_name: Optional[str] = None) -> None:
        if pipeline_name is not None:
            pipeline = self.get(pipeline_name=pipeline_name)
        project_id = pipeline.project_id if pipeline is not None else self._project_id()
        url = f"{self._client.console_url}projects/{project_id}/pipelines"
        pipeline_id = pipeline.id if pipeline is not None else pipeline_id
        webbrowser.open(url=f"{url}/{pipeline_id}" if pipeline_id else url, new=2, autoraise=True)
