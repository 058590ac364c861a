"""Triggers (wire §3.16): Event and Cron triggers of a service; get/list/update/delete/clone."""
from __future__ import annotations

import json
from typing import Optional

from .._repository import Repository, own_filters, path, prune
from ..entities.trigger import BaseTrigger, TriggerAction, TriggerExecutionMode, TriggerResource, TriggerType, \
    trigger_from_json
from ..exceptions import NotFound
from ..filters import Filters, FiltersResource
from ..paging import PagedEntities


def _value(value):
    return getattr(value, "value", value)


class Triggers(Repository):
    """``service.triggers``, ``project.triggers`` or ``client.triggers``."""

    def _build(self, json: dict) -> BaseTrigger:
        return trigger_from_json(self._client, json, project=self._parent("project", required=False),
                                 service=self._parent("service", required=False))

    # -- create ----------------------------------------------------------------------------------
    def create(self, service_id: Optional[str] = None, trigger_type: TriggerType = TriggerType.EVENT,
               name: Optional[str] = None, webhook_id: Optional[str] = None, function_name: str = "run",
               project_id: Optional[str] = None, active: bool = True, filters=None,
               resource: TriggerResource = TriggerResource.ITEM, actions=None,
               execution_mode: TriggerExecutionMode = TriggerExecutionMode.ONCE, start_at: Optional[str] = None,
               end_at: Optional[str] = None, inputs: Optional[dict] = None, cron: Optional[str] = None,
               pipeline_id: Optional[str] = None, pipeline=None, pipeline_node_id: Optional[str] = None,
               root_node_namespace=None, **kwargs) -> BaseTrigger:
        """Create an Event trigger (resource/actions/filters) or a Cron trigger (cron/start_at/end_at) of a
        service; on a pipeline (``pipeline``/``pipeline_id`` or ``pipeline.triggers``) the trigger is set on a start
        node (the root by default) and the pipeline updated — its trigger exists once the pipeline is installed —
        and the answer is ``True``."""
        service = self._parent("service", required=False)
        if service_id is None and webhook_id is None and pipeline_id is None and pipeline is None:
            if service is not None:
                service_id = service.id
            else:
                pipeline = self._parent("pipeline", required=False)
        pipeline_id = pipeline.id if pipeline is not None else pipeline_id
        if sum(x is not None for x in (service_id, webhook_id, pipeline_id)) != 1:
            raise ValueError("pass exactly one of service_id, webhook_id or pipeline/pipeline_id "
                             "(or use service.triggers / pipeline.triggers)")
        trigger_type = _value(trigger_type)
        if isinstance(filters, Filters):
            filters = filters.prepare(query_only=True).get("filter", {})
        actions = actions if isinstance(actions, list) else [actions] if actions is not None else []
        if pipeline_id is not None:
            return self._create_on_pipeline(pipeline, pipeline_id, pipeline_node_id, trigger_type, filters, resource,
                                            actions, execution_mode, cron)
        operation = {"type": "webhook", "webhookId": webhook_id} if webhook_id else \
            {"type": "function", "serviceId": service_id, "functionName": function_name}
        if trigger_type == TriggerType.EVENT.value:
            spec = {"filter": filters or {}, "resource": _value(resource), "executionMode": _value(execution_mode),
                    "actions": [_value(a) for a in actions] or [TriggerAction.CREATED.value]}
        elif trigger_type == TriggerType.CRON.value:
            if not cron:
                raise ValueError("a Cron trigger needs cron='<minute> <hour> <day> <month> <weekday>'")
            spec = {"endAt": end_at, "startAt": start_at, "cron": cron}
        else:
            raise ValueError(f"unknown trigger type {trigger_type!r}; use TriggerType.EVENT or TriggerType.CRON")
        spec["input"] = inputs or {}
        spec["operation"] = operation
        project = self._parent("project", required=False)
        project_id = project_id or (project.id if project is not None else None) or \
            (service.project_id if service is not None else None)
        if project_id is None:
            raise ValueError("pass project_id (or use project.triggers / service.triggers)")
        body = {"type": trigger_type, "active": active, "projectId": project_id,
                "name": name or (service.name if service is not None else "defaulttrigger"), "spec": spec}
        body.update(prune({"scope": kwargs.get("scope")}))
        return self._build(self._request("POST", "/triggers", json=body))

    def _create_on_pipeline(self, pipeline, pipeline_id: str, node_id: Optional[str], trigger_type: str, filters,
                            resource, actions: list, execution_mode, cron: Optional[str]) -> bool:
        from .pipelines import Pipelines
        if pipeline is None:
            pipeline = Pipelines(self._client, project=self._parent("project", required=False)).get(
                pipeline_id=pipeline_id)
        node_id = node_id or next((s["nodeId"] for s in pipeline.start_nodes if s.get("type") == "root"), None)
        if node_id is None:
            raise ValueError(f"pipeline {pipeline.name!r} has no root node: pass pipeline_node_id")
        if node_id not in [n.node_id for n in pipeline.nodes]:
            raise ValueError(f"node {node_id!r} is not a node of pipeline {pipeline.name!r}")
        if trigger_type == TriggerType.EVENT.value:
            spec = {"filter": json.dumps(filters or {}), "resource": _value(resource),
                    "executionMode": _value(execution_mode),
                    "actions": [_value(a) for a in actions] or [TriggerAction.CREATED.value]}
        elif trigger_type == TriggerType.CRON.value:
            if not cron:
                raise ValueError("a Cron trigger needs cron='<minute> <hour> <day> <month> <weekday>'")
            spec = {"cron": cron}
        else:
            raise ValueError(f"unknown trigger type {trigger_type!r}; use TriggerType.EVENT or TriggerType.CRON")
        trigger = {"type": trigger_type, "spec": spec}
        entry = next((s for s in pipeline.start_nodes if s.get("nodeId") == node_id), None)
        if entry is None:
            pipeline.start_nodes.append({"nodeId": node_id, "type": "trigger", "trigger": trigger})
        else:
            entry["trigger"] = trigger
        pipeline.update()
        return True

    # -- reads -----------------------------------------------------------------------------------
    def get(self, trigger_id: Optional[str] = None, trigger_name: Optional[str] = None) -> BaseTrigger:
        if trigger_id is not None:
            return self._build(self._request("GET", path("/triggers/{}", trigger_id)))
        if trigger_name is None:
            raise ValueError("pass trigger_id or trigger_name")
        found = self.list(filters=Filters(field="name", values=trigger_name, resource=FiltersResource.TRIGGER))
        if found.items_count != 1:
            reason = "not found" if found.items_count == 0 else "is not unique; get it by id"
            raise NotFound("404", f"Trigger {reason}: {trigger_name}")
        return found.items[0]

    def list(self, filters: Optional[Filters] = None) -> PagedEntities:
        """Triggers of the project (and service) via ``POST /query/faas``."""
        filters = own_filters(filters, FiltersResource.TRIGGER)
        project = self._parent("project", required=False)
        service = self._parent("service", required=False)
        if project is not None:
            filters.add(field="projectId", values=project.id)
        if service is not None:
            filters.add(field="spec.operation.serviceId", values=service.id)
        pipeline = self._parent("pipeline", required=False)
        if pipeline is not None:
            filters.add(field="spec.operation.id", values=pipeline.id)
        return PagedEntities(lambda body: self._request("POST", "/query/faas", json=body, retry_safe=True),
                             filters, self._build)

    def resource_information(self, resource, resource_type, action="Created"):
        """Which triggers would fire for an entity (``resource`` 'Item'..., ``resource_type`` its JSON/entity)."""
        entity = resource_type.to_json() if hasattr(resource_type, "to_json") else resource_type
        body = {"resource": _value(resource), "entity": entity, "action": _value(action)}
        return self._request("POST", "/trigger-resource-information", json=body, retry_safe=True)

    def name_validation(self, name: str) -> None:
        """Raise ``BadRequest`` when the platform rejects ``name`` as a trigger name."""
        self._request("GET", path("/piper-misc/naming/triggers/{}", name))

    # -- writes ----------------------------------------------------------------------------------
    def update(self, trigger: BaseTrigger) -> BaseTrigger:
        answer = self._request("PATCH", path("/triggers/{}", trigger.id), json=trigger.to_json())
        trigger._refresh_from(answer)
        return trigger

    def delete(self, trigger_id: Optional[str] = None, trigger_name: Optional[str] = None) -> bool:
        if trigger_id is None:
            trigger_id = self.get(trigger_name=trigger_name).id
        self._request("DELETE", path("/triggers/{}", trigger_id))
        return True

    def clone(self, trigger_id: str, project_id: str, name: Optional[str] = None) -> BaseTrigger:
        body = prune({"projectId": project_id, "name": name})
        return self._build(self._request("POST", path("/triggers/{}/clone", trigger_id), json=body))
