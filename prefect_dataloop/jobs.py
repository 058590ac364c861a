"""Dataloop FaaS functions and pipelines as Prefect ``JobBlock``s whose runs can be awaited and cancelled.

``trigger()`` starts the remote run and returns a ``DataloopJobRun``; ``wait_for_completion()`` waits through
``client.runs.wait`` (with the block's timeout, a progress artifact and an event for the outcome) and
``fetch_result()`` returns the final status as plain JSON. A wait that ends abnormally (the flow run is
cancelled, which Prefect delivers as SIGTERM; a task timeout; Ctrl-C) cancels the remote run before re-raising,
and so does a timeout unless ``cancel_on_timeout`` is off.
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any, Optional

from prefect._internal.compatibility.async_dispatch import async_dispatch
from prefect.blocks.abstract import JobBlock, JobRun
from prefect.utilities.asyncutils import run_sync_in_worker_thread
from pydantic import Field

from dataloop_core.exceptions import RunCancelled, RunFailed, RunTimeout

from . import artifacts, events
from .credentials import DOCS_URL, LOGO_URL, DataloopCredentials


class DataloopJobRun(JobRun):
    """One run of a Dataloop function or pipeline (an execution or a pipeline execution), by kind and id."""

    def __init__(self, credentials: DataloopCredentials, kind: str, run_id: str, *, timeout: Optional[float],
                 poll_interval: Optional[float] = None, cancel_on_timeout: bool = True, related: tuple = (),
                 **options: Any):
        self.credentials, self.kind, self.run_id = credentials, kind, run_id
        self.timeout, self.poll_interval, self.cancel_on_timeout = timeout, poll_interval, cancel_on_timeout
        self.related, self.options = tuple(related), options
        self.final: Optional[dict] = None   # the status the wait ended with
        self.last: Optional[dict] = None    # the latest status read while waiting
        self._cancel = threading.Event()

    def __repr__(self) -> str:
        return f"DataloopJobRun(kind={self.kind!r}, run_id={self.run_id!r})"

    @property
    def _client(self):
        return self.credentials.get_client()

    def status(self) -> dict:
        """The run's current status (``RunStatus.to_dict()``), one cheap read."""
        return self._client.runs.status(self.kind, self.run_id, **self.options).to_dict()

    def cancel(self) -> None:
        """Ask a running ``wait_for_completion`` (any thread) to stop; it cancels the remote run and raises
        ``RunCancelled``."""
        self._cancel.set()

    def _on_status(self, progress: artifacts.ProgressArtifact, status) -> None:
        self.last = status.to_dict()
        progress.on_status(status)

    def _wait(self) -> dict:
        client, outcome, status = self._client, None, None
        progress = artifacts.ProgressArtifact(f"Dataloop {self.kind.replace('_', ' ')} {self.run_id}")
        try:
            status = client.runs.wait(self.kind, self.run_id, timeout=self.timeout, cancel_event=self._cancel,
                                      on_progress=lambda s: self._on_status(progress, s),
                                      poll_interval=self.poll_interval, **self.options)
        except RunTimeout as exc:
            outcome, status = "timed-out", exc.status
            if self.cancel_on_timeout:
                status = client.runs.cancel(self.kind, self.run_id, **self.options)
            raise
        except RunCancelled as exc:
            outcome, status = "cancelled", exc.status
            raise
        except RunFailed as exc:
            status = exc.status
            raise
        except BaseException:  # flow run cancelled (SIGTERM), task timeout, interrupt: stop the remote run too
            outcome = "cancelled"
            status = client.runs.cancel(self.kind, self.run_id, **self.options)
            raise
        finally:
            if status is not None:
                self.final = status.to_dict()
                self.logger.info("%s", status.describe())
                events.run_outcome(self.final, outcome, self.related)
        return self.final

    async def await_for_completion(self) -> dict:
        """Async twin of :meth:`wait_for_completion` (the wait runs in a worker thread)."""
        return await run_sync_in_worker_thread(self._wait)

    @async_dispatch(await_for_completion)
    def wait_for_completion(self) -> dict:
        """Wait until the run ends; its final status as JSON. Raises ``RunFailed``, ``RunTimeout`` or
        ``RunCancelled`` (``dataloop_core.exceptions``) with the platform's message."""
        return self._wait()

    def _result(self) -> dict:
        final = self.final or self.status()
        if not final["terminal"]:
            raise RuntimeError(f"{self.kind} {self.run_id} has not finished ({final['status']}): "
                               "call wait_for_completion() first")
        return final

    async def afetch_result(self) -> dict:
        """Async twin of :meth:`fetch_result`."""
        return await run_sync_in_worker_thread(self._result)

    @async_dispatch(afetch_result)
    def fetch_result(self) -> dict:
        """The finished run's status as JSON, with ``output`` for a function's return value."""
        return self._result()


class _DataloopJob(JobBlock, ABC):
    """Fields and behaviour shared by the two job blocks (not a block type of its own)."""

    credentials: DataloopCredentials = Field(description="How to sign in to Dataloop.")
    project_name: str = Field(description="The project that holds the function or pipeline.")
    execution_input: Optional[dict] = Field(default=None, description="The run's input as JSON, by input name.")
    timeout_seconds: Optional[float] = Field(
        default=3600.0, gt=0, description="How long wait_for_completion waits (empty: no limit).")
    poll_interval_seconds: Optional[float] = Field(
        default=None, gt=0, description="Seconds between status reads (empty: 0.1 s doubling up to 30 s).")
    cancel_on_timeout: bool = Field(default=True, description="Whether a wait that times out cancels the remote run.")

    def _run(self, kind: str, run_id: str, links: tuple, related: tuple = (), **options) -> DataloopJobRun:
        artifacts.links(f"{self._block_type_name} {run_id}", links)
        return DataloopJobRun(self.credentials, kind, run_id, timeout=self.timeout_seconds,
                              poll_interval=self.poll_interval_seconds, cancel_on_timeout=self.cancel_on_timeout,
                              related=related, **options)

    def _project(self):
        return self.credentials.get_client().projects.get(project_name=self.project_name)

    @abstractmethod
    def _start(self, execution_input: Optional[dict]) -> DataloopJobRun:
        """Start the remote run."""

    async def atrigger(self, execution_input: Optional[dict] = None) -> DataloopJobRun:
        """Async twin of :meth:`trigger`."""
        return await run_sync_in_worker_thread(self._start, execution_input)

    @async_dispatch(atrigger)
    def trigger(self, execution_input: Optional[dict] = None) -> DataloopJobRun:
        """Start one run (with ``execution_input``, else the block's); returns its ``DataloopJobRun``."""
        return self._start(execution_input)


class DataloopFunction(_DataloopJob):
    """A function of a deployed Dataloop FaaS service, run as a job: each trigger creates one execution.

    Attributes:
        credentials: How to sign in.
        project_name: The project of the service.
        service_name: The deployed service.
        function_name: The function to execute.
        execution_input: The input, by input name.
        timeout_seconds: How long a wait lasts.

    Example:
        Run a function and wait for its output:
        ```python
        from prefect import flow
        from prefect_dataloop import DataloopFunction

        @flow
        def run_function():
            dataloop_function = DataloopFunction.load("BLOCK_NAME")
            run = dataloop_function.trigger()
            run.wait_for_completion()
            return run.fetch_result()["output"]
        ```
    """

    _block_type_name = "Dataloop Function"
    _logo_url = LOGO_URL
    _documentation_url = DOCS_URL

    service_name: str = Field(description="The deployed FaaS service.")
    function_name: str = Field(default="run", description="The service function to execute.")

    def _start(self, execution_input: Optional[dict]) -> DataloopJobRun:
        project = self._project()
        service = project.services.get(service_name=self.service_name)
        execution = service.executions.create(function_name=self.function_name,
                                              execution_input=execution_input or self.execution_input or {})
        self.logger.info("started execution %s of %s.%s", execution.id, self.service_name, self.function_name)
        links = ((f"Execution {execution.id} of service {service.name}", service.platform_url),)
        related = (events.resource("service", service.id, service.name, role="service"),)
        return self._run("execution", execution.id, links, related)


class DataloopPipeline(_DataloopJob):
    """A Dataloop pipeline run as a job: each trigger starts one pipeline execution.

    Attributes:
        credentials: How to sign in.
        project_name: The project of the pipeline.
        pipeline_name: The (installed) pipeline.
        execution_input: The input of the start node, by input name.
        timeout_seconds: How long a wait lasts.

    Example:
        Execute a pipeline and wait for it:
        ```python
        from prefect import flow
        from prefect_dataloop import DataloopPipeline

        @flow
        def run_pipeline():
            dataloop_pipeline = DataloopPipeline.load("BLOCK_NAME")
            run = dataloop_pipeline.trigger({"item": "ITEM_ID"})
            return run.wait_for_completion()
        ```
    """

    _block_type_name = "Dataloop Pipeline"
    _logo_url = LOGO_URL
    _documentation_url = DOCS_URL

    pipeline_name: str = Field(description="The installed pipeline to execute.")

    def _start(self, execution_input: Optional[dict]) -> DataloopJobRun:
        project = self._project()
        pipeline = project.pipelines.get(pipeline_name=self.pipeline_name)
        execution = pipeline.execute(execution_input=execution_input or self.execution_input)
        self.logger.info("started execution %s of pipeline %s", execution.id, pipeline.name)
        links = ((f"Execution {execution.id} of pipeline {pipeline.name}", execution.platform_url),)
        related = (events.resource("pipeline", pipeline.id, pipeline.name, role="pipeline"),)
        return self._run("pipeline_execution", execution.id, links, related, pipeline_id=pipeline.id)
