"""Executions (wire §3.17, §7): create (single or batch), get/list/wait, logs, progress, rerun, terminate."""
from __future__ import annotations

import copy
from typing import Optional

from .._polling import poll
from .._repository import Repository, own_filters, path, prune
from ..entities.command import Command
from ..entities.execution import Execution
from ..entities.function_io import FunctionIO
from ..filters import Filters, FiltersMethod, FiltersResource, as_filters
from ..paging import PagedEntities
from ..runs import CancellableRuns


def inputs_json(execution_input) -> dict:
    """The ``input`` object from a dict, a ``FunctionIO`` or a list of them."""
    if isinstance(execution_input, dict):
        return dict(execution_input)
    values = execution_input if isinstance(execution_input, list) else [execution_input]
    if not all(isinstance(v, FunctionIO) for v in values):
        raise ValueError(f"execution_input must be a dict, a FunctionIO or a list of FunctionIO, not {execution_input!r}")
    merged = {}
    for value in values:
        merged.update(value.to_json(resource="execution"))
    return merged


class Executions(CancellableRuns, Repository):
    """``service.executions``, ``project.executions`` or ``client.executions``."""

    def _build(self, json: dict) -> Execution:
        return Execution(self._client, json, service=self._parent("service", required=False),
                         project=self._parent("project", required=False))

    def _service_id(self, service_id: Optional[str]) -> str:
        return service_id or self._parent("service").id

    # -- create ----------------------------------------------------------------------------------
    def create(self, service_id: Optional[str] = None, execution_input=None, function_name: Optional[str] = None,
               resource=None, item_id: Optional[str] = None, dataset_id: Optional[str] = None,
               annotation_id: Optional[str] = None, project_id: Optional[str] = None, sync: bool = False,
               stream_logs: bool = False, return_output: bool = False, return_curl_only: bool = False,
               timeout: Optional[float] = None):
        """Run a function: ``input`` from ``execution_input`` or from ``item_id``/``dataset_id``/``annotation_id``."""
        service_id = self._service_id(service_id)
        body: dict = {}
        if execution_input is not None:
            body["input"] = inputs_json(execution_input)
        else:
            if resource is None:
                resource = "Annotation" if annotation_id else "Item" if item_id else "Dataset" if dataset_id else None
            if resource is not None:
                ref = prune({"dataset_id": dataset_id, "item_id": item_id, "annotation_id": annotation_id})
                body["input"] = {str(getattr(resource, "value", resource)).lower(): ref}
        body["projectId"] = project_id or self._project_id(service_id)
        body["functionName"] = function_name or "run"
        url = path("/executions/{}", service_id)
        if return_curl_only:
            import json
            return (f"curl -X POST '{self._transport.api_url}{url}' -H 'Content-Type: application/json' "
                    f"-H 'authorization: Bearer <token>' -d '{json.dumps(body)}'")
        execution = self._build(self._request("POST", url, json=body))
        if sync or return_output:
            if stream_logs:
                self.logs(execution_id=execution.id, follow=True, until_completed=True)
            execution = self.wait(execution=execution, timeout=timeout)
        return execution.output if return_output else execution

    def _project_id(self, service_id: str) -> str:
        project = self._parent("project", required=False)
        if project is not None:
            return project.id
        service = self._parent("service", required=False)
        if service is not None and service.project_id:
            return service.project_id
        return self._client.services.get(service_id=service_id).project_id

    def create_batch(self, service_id: Optional[str] = None, filters: Optional[Filters] = None,
                     function_name: Optional[str] = None, execution_inputs=None, wait: bool = True) -> Command:
        """One execution per item (or annotation) matching ``filters``, as a command."""
        if filters is None:
            raise ValueError("create_batch needs filters selecting the items to run on")
        filters = as_filters(filters)
        body = {"batch": {"query": filters.prepare(), "args": inputs_json(execution_inputs or {})},
                "functionName": function_name or "run"}
        command = Command(self._client, self._request("POST", path("/executions/{}", self._service_id(service_id)),
                                                      json=body))
        return command.wait() if wait else command

    def rerun_batch(self, filters: Filters, service_id: Optional[str] = None, wait: bool = True) -> Command:
        """Rerun every finished execution matching ``filters`` (resource executions), as a command."""
        filters = as_filters(filters, FiltersResource.EXECUTION)
        if filters is None or filters.resource != FiltersResource.EXECUTION:
            raise ValueError("rerun_batch needs Filters(resource=FiltersResource.EXECUTION)")
        service = self._parent("service", required=False)
        service_id = service_id or (service.id if service is not None else None)
        if service_id is not None and not filters.has_field("serviceId"):
            filters = copy.deepcopy(filters)
            filters.add(field="serviceId", values=service_id, method=FiltersMethod.AND)
        command = Command(self._client, self._request("POST", "/executions/rerun",
                                                      json={"query": filters.prepare()["filter"]}))
        return command.wait() if wait else command

    # -- reads -----------------------------------------------------------------------------------
    def get(self, execution_id: str, sync: bool = False) -> Execution:
        if sync:
            return self.wait(execution_id=execution_id)
        return self._build(self._request("GET", path("/executions/{}", execution_id)))

    def list(self, filters: Optional[Filters] = None) -> PagedEntities:
        """Executions of the service (or project), 100 per page, via ``POST /query/faas``."""
        filters = own_filters(filters, FiltersResource.EXECUTION)
        project = self._parent("project", required=False)
        service = self._parent("service", required=False)
        if project is not None:
            filters.add(field="projectId", values=project.id)
        if service is not None:
            filters.add(field="serviceId", values=service.id)
        return PagedEntities(lambda body: self._request("POST", "/query/faas", json=body, retry_safe=True),
                             filters, self._build)

    def wait(self, execution_id: Optional[str] = None, execution: Optional[Execution] = None,
             timeout: Optional[float] = None, backoff_factor: float = 1) -> Execution:
        """Poll until the execution ends; delays start at 0.1 s and double up to 30 s. ``TimeoutError`` on timeout
        (``timeout`` None or <= 0: no limit)."""
        if execution is None and execution_id is None:
            raise ValueError("pass execution_id or execution")
        execution_id = execution_id or execution.id
        return poll(lambda: self.get(execution_id=execution_id), Execution.in_progress,
                    lambda e: f"execution {e.id} (status {e.latest_status.get('status')!r})",
                    timeout=timeout, backoff_factor=backoff_factor)

    def logs(self, execution_id: str, follow: bool = True, until_completed: bool = True, view: bool = True):
        """The execution's log lines: printed (``view``) or returned as a ``ServiceLog``."""
        service = self._parent("service", required=False)
        if service is None:
            service = self._client.services.get(service_id=self.get(execution_id=execution_id).service_id)
        return service.services.log(service=service, execution_id=execution_id, follow=follow,
                                    until_completed=until_completed, view=view)

    # -- writes ----------------------------------------------------------------------------------
    def progress_update(self, execution_id: str, status: Optional[str] = None,
                        percent_complete: Optional[int] = None, message: Optional[str] = None, output=None,
                        service_version: Optional[str] = None) -> Execution:
        """Report progress of a running execution (``completed`` with an output ends it)."""
        if status is None:
            done = (isinstance(percent_complete, int) and percent_complete >= 100) or \
                (percent_complete is None and output is not None)
            status = "completed" if done else "inProgress"
        body = {"status": getattr(status, "value", status)}
        body.update(prune({"percentComplete": percent_complete, "message": message, "output": output,
                           "serviceVersion": service_version}))
        return self._build(self._request("POST", path("/executions/{}/progress", execution_id), json=body))

    def increment(self, execution: Execution) -> int:
        """Allow one more attempt; returns the new number of allowed attempts."""
        return self._request("POST", path("/executions/{}/attempts", execution.id))

    def rerun(self, execution: Execution, sync: bool = False) -> Execution:
        rerun = self._build(self._request("POST", path("/executions/{}/rerun", execution.id)))
        return self.wait(execution=rerun) if sync else rerun

    def terminate(self, execution: Optional[Execution] = None, execution_id: Optional[str] = None) -> Execution:
        """Stop a queued or running execution (it ends ``terminated``)."""
        execution_id = execution.id if execution is not None else execution_id
        if execution_id is None:
            raise ValueError("pass execution or execution_id")
        return self._build(self._request("POST", path("/executions/{}/terminate", execution_id)))

    # -- the orchestration contract (dataloop_core.runs.CancellableRuns) ---------------------------
    def _get(self, execution_id: str) -> Execution:
        return self.get(execution_id=execution_id)

    def _stop(self, execution_id: str) -> Execution:
        return self.terminate(execution_id=execution_id)

    def update(self, execution: Execution) -> Execution:
        return self._build(self._request("PATCH", path("/executions/{}", execution.id), json=execution.to_json()))
