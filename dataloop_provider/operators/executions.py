"""Run a FaaS service function (on items, on a dataset, on a JSON input, or with no input) and wait for it."""
from __future__ import annotations

from typing import Optional

from dataloop_core.runs import RunKind
from dataloop_provider.links.dataloop import DataloopExecutionLink
from dataloop_provider.operators.base import DataloopRunOperator, PerItemRuns, capped, template_fields


class DataloopExecuteFunctionOperator(PerItemRuns, DataloopRunOperator):
    """Execute ``function_name`` of a deployed service: one execution per item of ``item_ids``, one on
    ``dataset_id``, one with ``execution_input`` (``{input name: value}``), or one with no input.

    Returns ``{"execution_ids", "statuses", "outputs"}`` (capped at 100); fails with the platform's message.
    """

    kind = RunKind.EXECUTION.value
    template_fields = template_fields("service_id", "function_name", "item_ids", "dataset_id", "execution_input")
    operator_extra_links = (DataloopExecutionLink(),)

    def __init__(self, *, service_id: str, function_name: str = "run", item_ids: Optional[list] = None,
                 dataset_id: Optional[str] = None, execution_input: Optional[dict] = None, **kwargs):
        super().__init__(**kwargs)
        given = [name for name, value in (("item_ids", item_ids), ("dataset_id", dataset_id),
                                          ("execution_input", execution_input)) if value is not None]
        if len(given) > 1:
            raise ValueError(f"{type(self).__name__}: pass at most one of item_ids, dataset_id, execution_input; "
                             f"got {', '.join(given)}")
        self.service_id, self.function_name = service_id, function_name
        self.item_ids, self.dataset_id, self.execution_input = item_ids, dataset_id, execution_input

    def start(self, context) -> list:
        executions = self.client.executions
        common = {"service_id": self.service_id, "function_name": self.function_name}
        if self.item_ids is not None:
            item_ids = [self.item_ids] if isinstance(self.item_ids, str) else list(self.item_ids)
            started = [executions.create(item_id=item_id, **common) for item_id in item_ids]
        elif self.dataset_id is not None:
            started = [executions.create(dataset_id=self.dataset_id, **common)]
        elif self.execution_input is not None:
            started = [executions.create(execution_input=self.execution_input, **common)]
        else:
            started = [executions.create(**common)]
        if started:
            first = started[0]
            DataloopExecutionLink.persist(context, first.platform_url)
            self.log.info("started %d execution(s) of %s, first %s", len(started), self.function_name, first.id)
        return [e.id for e in started]

    def result(self, context, statuses: list) -> dict:
        return {"execution_ids": capped(self.run_ids), "statuses": capped(s.status for s in statuses),
                "outputs": capped(s.output for s in statuses)}
