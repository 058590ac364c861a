"""Triggers: Event triggers (resource + actions + filter) and Cron triggers that start executions (§3.16)."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Optional

from .base import Entity, Field


class TriggerType(str, Enum):
    EVENT = "Event"
    CRON = "Cron"


class TriggerResource(str, Enum):
    ITEM = "Item"
    DATASET = "Dataset"
    ANNOTATION = "Annotation"
    TASK = "Task"
    ASSIGNMENT = "Assignment"
    ITEM_STATUS = "ItemStatus"


class TriggerAction(str, Enum):
    CREATED = "Created"
    UPDATED = "Updated"
    DELETED = "Deleted"
    STATUS_CHANGED = "statusChanged"
    CLONE = "Clone"


class TriggerExecutionMode(str, Enum):
    ONCE = "Once"
    ALWAYS = "Always"


class _Spec:
    """A key of ``spec`` exposed as an attribute."""

    def __init__(self, key: str):
        self.key = key

    def __get__(self, obj, owner=None):
        return self if obj is None else (obj._json.get("spec") or {}).get(self.key)

    def __set__(self, obj, value):
        obj._json.setdefault("spec", {})[self.key] = getattr(value, "value", value)


class BaseTrigger(Entity):
    name = Field("name")
    type = Field("type", readonly=True)
    active = Field("active")
    project_id = Field("projectId", readonly=True)
    scope = Field("scope")
    is_global = Field("global", readonly=True)
    updated_by = Field("updatedBy", readonly=True)
    spec = Field("spec", default=dict)
    inputs = _Spec("input")
    operation = _Spec("operation")

    @property
    def service_id(self) -> Optional[str]:
        return (self.operation or {}).get("serviceId")

    @property
    def function_name(self) -> Optional[str]:
        return (self.operation or {}).get("functionName")

    @property
    def webhook_id(self) -> Optional[str]:
        return (self.operation or {}).get("webhookId")

    @property
    def pipeline_id(self) -> Optional[str]:
        return (self.operation or {}).get("id") if (self.operation or {}).get("type") == "pipeline" else None

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/triggers/{self.id}"

    @cached_property
    def triggers(self):
        from ..repositories.triggers import Triggers
        return Triggers(self._client, project=self._context.get("project"), service=self._context.get("service"))

    def update(self) -> "BaseTrigger":
        return self.triggers.update(trigger=self)

    def delete(self) -> bool:
        return self.triggers.delete(trigger_id=self.id)

    def clone(self, project_id: Optional[str] = None, name: Optional[str] = None) -> "BaseTrigger":
        return self.triggers.clone(trigger_id=self.id, project_id=project_id or self.project_id, name=name)


class Trigger(BaseTrigger):
    """An Event trigger: fires when a matching ``resource`` sees one of ``actions``."""

    resource = _Spec("resource")
    actions = _Spec("actions")
    execution_mode = _Spec("executionMode")
    filters = _Spec("filter")


class CronTrigger(BaseTrigger):
    """A Cron trigger: fires on a 5-field cron schedule between ``start_at`` and ``end_at``."""

    cron = _Spec("cron")
    start_at = _Spec("startAt")
    end_at = _Spec("endAt")


def trigger_from_json(client, json: dict, **context) -> BaseTrigger:
    cls = CronTrigger if json.get("type") == TriggerType.CRON.value else Trigger
    return cls(client, json, **context)
