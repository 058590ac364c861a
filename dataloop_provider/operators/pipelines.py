"""Execute a pipeline (once with an input, or once per item) and wait for its executions."""
from __future__ import annotations

from typing import Optional

from dataloop_core.runs import RunKind
from dataloop_provider.links.dataloop import DataloopPipelineExecutionLink
from dataloop_provider.operators.base import DataloopRunOperator, PerItemRuns, capped, template_fields


class DataloopExecutePipelineOperator(PerItemRuns, DataloopRunOperator):
    """Execute ``pipeline_id``: once per item of ``item_ids`` (as input ``item_input``), else once with
    ``execution_input``. Returns ``{"pipeline_id", "pipeline_execution_ids", "statuses", "outputs"}``."""

    kind = RunKind.PIPELINE_EXECUTION.value
    template_fields = template_fields("pipeline_id", "execution_input", "item_ids")
    operator_extra_links = (DataloopPipelineExecutionLink(),)

    def __init__(self, *, pipeline_id: str, execution_input: Optional[dict] = None, item_ids: Optional[list] = None,
                 item_input: str = "item", **kwargs):
        super().__init__(**kwargs)
        if execution_input is not None and item_ids is not None:
            raise ValueError(f"{type(self).__name__}: pass execution_input or item_ids, not both")
        self.pipeline_id, self.execution_input, self.item_ids = pipeline_id, execution_input, item_ids
        self.item_input = item_input

    def run_options(self) -> dict:
        return {"pipeline_id": self.pipeline_id}

    def start(self, context) -> list:
        if self.item_ids is not None:
            inputs = [{self.item_input: item_id} for item_id in
                      ([self.item_ids] if isinstance(self.item_ids, str) else self.item_ids)]
        else:
            inputs = [self.execution_input]
        pipeline = self.client.pipelines.get(pipeline_id=self.pipeline_id)
        started = [pipeline.pipeline_executions.create(execution_input=value) for value in inputs]
        if started:
            DataloopPipelineExecutionLink.persist(context, started[0].platform_url)
            self.log.info("started %d execution(s) of pipeline %s", len(started), pipeline.name)
        return [e.id for e in started]

    def result(self, context, statuses: list) -> dict:
        return {"pipeline_id": self.pipeline_id, "pipeline_execution_ids": capped(self.run_ids),
                "statuses": capped(s.status for s in statuses), "outputs": capped(s.output for s in statuses)}
