"""PipelineExecution: one run (cycle) of a pipeline, with per-node statuses and executions (wire §7.3)."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Dict, List, Optional

from ..runs import RunKind, RunStatus
from .base import Entity, Field, Parent


class PipelineExecutionStatus(str, Enum):
    PENDING = "pending"
    QUEUE = "queue"
    IN_PROGRESS = "in-progress"
    RERUN = "rerun"
    SUCCESS = "success"
    FAILED = "failed"
    TERMINATED = "terminated"


class CycleRerunMethod(str, Enum):
    START_FROM_NODES = "startFromNodes"
    START_FROM_FAILED_EXECUTIONS = "startFromFailedExecutions"
    START_FROM_BEGINNING = "startFromBeginning"


TERMINAL_STATUSES = frozenset({"success", "failed", "terminated"})


class PipelineExecution(Entity):
    pipeline_id = Field("pipelineId", readonly=True)
    status = Field("status", readonly=True)
    max_attempts = Field("maxAttempts", readonly=True)
    nodes = Field("nodes", readonly=True, default=list)
    executions: Dict[str, List[dict]] = Field("executions", readonly=True, default=dict)

    @property
    def platform_url(self) -> str:
        """The cycle's page in the web app (the project is its pipeline's: fetched once if not known)."""
        project_id = self._json.get("projectId") or self.pipeline.project_id
        return f"{self._client.console_url}projects/{project_id}/pipelines/{self.pipeline_id}/executions/{self.id}"

    def node_status(self, node_id: str) -> Optional[str]:
        """The status of one node in this cycle (``None`` if the node is not part of it)."""
        return next((n.get("status") for n in self.nodes if n.get("id") == node_id), None)

    def in_progress(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    def run_status(self) -> RunStatus:
        """Percent: the share of this cycle's nodes that finished; message: what its failed nodes said."""
        finished = [n for n in self.nodes if n.get("status") in TERMINAL_STATUSES]
        percent = round(100 * len(finished) / len(self.nodes), 1) if self.nodes else None
        return RunStatus(RunKind.PIPELINE_EXECUTION.value, self.id, self.status,
                         terminal=not self.in_progress(), succeeded=self.status == PipelineExecutionStatus.SUCCESS,
                         message=self._failure_message(), percent=percent)

    def _failure_message(self) -> Optional[str]:
        failed = [n for n in self.nodes if n.get("status") == "failed"]
        messages = []
        for node in failed:
            runs = self.executions.get(node.get("id")) or []
            said = next(((r.get("latestStatus") or {}).get("message") for r in reversed(runs)
                         if (r.get("latestStatus") or {}).get("message")), None)
            messages.append(f"node {node.get('name') or node.get('id')!r} failed" + (f": {said}" if said else ""))
        return "; ".join(messages) or None

    pipeline = Parent()

    @cached_property
    def pipeline_executions(self):
        from ..repositories.pipeline_executions import PipelineExecutions
        return PipelineExecutions(self._client, pipeline=self._context.get("pipeline"))

    def wait(self, timeout: Optional[float] = None) -> "PipelineExecution":
        return self.pipeline_executions.wait(pipeline_execution=self, timeout=timeout)

    def rerun(self, method=CycleRerunMethod.START_FROM_BEGINNING, start_nodes_ids: Optional[list] = None,
              wait: bool = True):
        from ..filters import Filters, FiltersResource
        filters = Filters(field="id", values=[self.id], operator="in", resource=FiltersResource.PIPELINE_EXECUTION)
        return self.pipeline_executions.rerun(pipeline_id=self.pipeline_id, method=method,
                                              start_nodes_ids=start_nodes_ids, filters=filters, wait=wait)
