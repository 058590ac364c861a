"""PipelineExecutions (wire §3.19, §7.3): get, list, create (execute), batch, rerun and wait."""
from __future__ import annotations

from typing import Optional

from .._polling import DEFAULT_TIMEOUT, poll, wait_for_status
from .._repository import Repository, own_filters, path
from .executions import inputs_json
from ..entities.execution import TERMINAL_STATUSES as EXECUTION_TERMINAL_STATUSES
from ..entities.pipeline_execution import PipelineExecution
from ..exceptions import NotFound
from ..filters import Filters, FiltersOperations, FiltersResource, as_filters
from ..paging import PagedEntities
from ..runs import RunStatus


def execution_input_json(execution_input) -> Optional[dict]:
    """``{name: value}`` from a dict, a FunctionIO or a list of FunctionIO (``None`` stays ``None``)."""
    return None if execution_input is None else inputs_json(execution_input)


class PipelineExecutions(Repository):
    """``pipeline.pipeline_executions``."""

    def _build(self, json: dict) -> PipelineExecution:
        pipeline = self._parent("pipeline", required=False)
        if pipeline is not None and pipeline.id != json.get("pipelineId"):
            pipeline = None
        return PipelineExecution(self._client, json, pipeline=pipeline)

    def _pipeline_id(self, pipeline_id: Optional[str]) -> str:
        return pipeline_id or self._parent("pipeline").id

    def get(self, pipeline_execution_id: str, pipeline_id: Optional[str] = None) -> PipelineExecution:
        """``GET /pipelines/{pipelineId}/executions/{id}``; without a pipeline, found by id through the query."""
        pipeline = self._parent("pipeline", required=False)
        pipeline_id = pipeline_id or (pipeline.id if pipeline is not None else None)
        if pipeline_id is None:
            return self._find(pipeline_execution_id)
        url = path("/pipelines/{}/executions/{}", pipeline_id, pipeline_execution_id)
        return self._build(self._request("GET", url))

    def _find(self, pipeline_execution_id: str) -> PipelineExecution:
        path("/{}", pipeline_execution_id)  # the same empty-id check as a path
        filters = Filters(field="id", values=pipeline_execution_id, resource=FiltersResource.PIPELINE_EXECUTION)
        found = self._request("POST", "/pipelines/query", json=filters.prepare(), retry_safe=True) or {}
        if not found.get("items"):
            raise NotFound("404", f"Pipeline execution not found: {pipeline_execution_id}")
        return self._build(found["items"][0])

    def list(self, filters: Optional[Filters] = None) -> PagedEntities:
        """Executions of the pipeline (``POST /pipelines/query``, resource ``pipelineState``)."""
        filters = own_filters(filters, FiltersResource.PIPELINE_EXECUTION)
        pipeline = self._parent("pipeline", required=False)
        if pipeline is not None:
            filters.add(field="pipelineId", values=pipeline.id)
        return PagedEntities(lambda body: self._request("POST", "/pipelines/query", json=body, retry_safe=True),
                             filters, self._build)

    def create(self, pipeline_id: Optional[str] = None, execution_input=None, node_id: Optional[str] = None,
               test_mode: Optional[bool] = None) -> PipelineExecution:
        """Execute the pipeline once (``POST /pipelines/{id}/execute``)."""
        options = {}
        if test_mode is not None:
            options["testMode"] = test_mode
        inputs = execution_input_json(execution_input)
        if inputs is not None:
            options["input"] = inputs
        if node_id is not None:
            options["nodeId"] = node_id
        url = path("/pipelines/{}/execute", self._pipeline_id(pipeline_id))
        return self._build(self._request("POST", url, json={"pipeline": options}))

    def create_batch(self, pipeline_id: Optional[str], filters: Filters, execution_inputs=None, wait: bool = True,
                     node_id: Optional[str] = None):
        """One execution per item matching ``filters``; answers a Command (waited on unless ``wait=False``)."""
        if filters is None:
            raise ValueError("create_batch needs filters selecting the items")
        filters = as_filters(filters)
        body = {"batch": {"query": filters.prepare(), "args": execution_input_json(execution_inputs or {})}}
        if node_id is not None:
            body["nodeId"] = node_id
        command = self._request("POST", path("/pipelines/{}/execute", self._pipeline_id(pipeline_id)), json=body)
        return self._client.commands.wait(command_id=command["id"]) if wait else self._command(command)

    def rerun(self, pipeline_id: Optional[str] = None, method: Optional[str] = None,
              start_nodes_ids: Optional[list] = None, filters: Optional[Filters] = None, wait: bool = True):
        """Rerun the cycles matching ``filters`` (``POST /pipelines/{id}/executions/rerun``); True when done."""
        filters = as_filters(filters, FiltersResource.PIPELINE_EXECUTION) or \
            Filters(resource=FiltersResource.PIPELINE_EXECUTION)
        body = {"pipeline": {"method": getattr(method, "value", method), "startNodeIds": start_nodes_ids},
                "batch": {"query": filters.prepare()}}
        url = path("/pipelines/{}/executions/rerun", self._pipeline_id(pipeline_id))
        command = self._request("POST", url, json=body)
        if not wait:
            return self._command(command)
        self._client.commands.wait(command_id=command["id"])
        return True

    def _command(self, json: dict):
        from ..entities.command import Command
        return Command(self._client, json)

    def wait(self, pipeline_execution_id: Optional[str] = None,
             pipeline_execution: Optional[PipelineExecution] = None, timeout: Optional[float] = None,
             backoff_factor: float = 1, pipeline_id: Optional[str] = None) -> PipelineExecution:
        """Poll until the execution is terminal (first poll after 0.1 s, doubling up to 30 s)."""
        if pipeline_execution is not None:
            pipeline_execution_id = pipeline_execution.id
            pipeline_id = pipeline_execution.pipeline_id
        elif pipeline_execution_id is None:
            raise ValueError("pass pipeline_execution_id or pipeline_execution")
        if pipeline_id is None:  # one look-up, then the cheap GET by path
            pipeline_id = self.get(pipeline_execution_id).pipeline_id
        return poll(lambda: self.get(pipeline_execution_id, pipeline_id=pipeline_id), PipelineExecution.in_progress,
                    lambda e: f"pipeline execution {e.id} (status {e.status!r})",
                    timeout=timeout, backoff_factor=backoff_factor)

    # -- the orchestration contract (dataloop_core.runs) -------------------------------------------
    def status(self, pipeline_execution_id: str, pipeline_id: Optional[str] = None) -> RunStatus:
        return self.get(pipeline_execution_id, pipeline_id=pipeline_id).run_status()

    def cancel(self, pipeline_execution_id: str, pipeline_id: Optional[str] = None) -> RunStatus:
        """Stop the cycle. The platform's REST API has no terminate for a pipeline execution, so this terminates
        its node executions that are still queued or running; the cycle then ends ``failed``. A cycle that already
        ended is left as it is; one waiting in a task node (no execution running) goes on waiting."""
        cycle = self.get(pipeline_execution_id, pipeline_id=pipeline_id)
        if not cycle.in_progress():
            return cycle.run_status()
        filters = Filters(field="pipeline.executionId", values=cycle.id, resource=FiltersResource.EXECUTION)
        filters.add(field="latestStatus.status", values=sorted(EXECUTION_TERMINAL_STATUSES),
                    operator=FiltersOperations.NIN)
        for execution in list(self._client.executions.list(filters=filters).all()):
            self._client.executions.terminate(execution_id=execution.id)
        return self.status(cycle.id, pipeline_id=cycle.pipeline_id)

    def wait_for(self, pipeline_execution_id: str, *, timeout: Optional[float] = DEFAULT_TIMEOUT,
                 pipeline_id: Optional[str] = None, **options) -> RunStatus:
        """Wait until the cycle ends; see ``dataloop_core.runs`` for the options and failure rules."""
        pipeline_id = pipeline_id or self.get(pipeline_execution_id).pipeline_id
        return wait_for_status(lambda: self.status(pipeline_execution_id, pipeline_id=pipeline_id),
                               lambda: self.cancel(pipeline_execution_id, pipeline_id=pipeline_id),
                               timeout=timeout, **options)
