"""Triggers that start executions: event triggers (from ``emulator.events``) and cron triggers (a thread).

Event triggers match on resource, action and ``spec.filter`` (``dql.matches``) within the trigger's project;
``executionMode: Once`` fires at most once per trigger and resource. Cron triggers fire at each matching UTC
minute between ``spec.startAt`` and ``spec.endAt``. Pipeline operations are handed to
``emulator.extensions["pipelines"].fire_trigger(trigger, resource, action, doc)``, webhook operations to
:class:`.webhooks.WebhookSender`.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional

from ..errors import EmulatorError
from .cron import CronError, CronSchedule
from .inputs import ENTITY_TYPES, entity_ref
from .logstore import parse_time
from .webhooks import WebhookSender

if TYPE_CHECKING:
    from .runtime import FaasRuntime

logger = logging.getLogger("dataloop_core.emulator.faas.triggers")
RESOURCE_INPUT_TYPE = {"Item": "Item", "ItemStatus": "Item", "Annotation": "Annotation", "Dataset": "Dataset",
                       "Task": "Task", "Assignment": "Assignment"}
MAX_CATCH_UP_MINUTES = 60


class TriggerDispatcher:
    def __init__(self, runtime: "FaasRuntime"):
        self.runtime = runtime
        self.store = runtime.store
        self._last_minute = _minute(datetime.now(timezone.utc))
        self._fired_minutes: Dict[str, datetime] = {}
        self._stop = threading.Event()
        self.webhooks = WebhookSender(self.store)
        runtime.emulator.events.subscribe(self.on_event)
        self._thread = threading.Thread(target=self._cron_loop, name="faas-cron", daemon=True)
        self._thread.start()

    # -- events ----------------------------------------------------------------------------------
    def project_of(self, resource: str, doc: dict) -> Optional[str]:
        if resource == "Dataset":
            return (doc.get("projects") or [None])[0]
        if doc.get("datasetId"):
            dataset = self.store.find("dataset", doc["datasetId"])
            return (dataset.get("projects") or [None])[0] if dataset else None
        return doc.get("projectId")

    def matching(self, resource: str, action: str, doc: dict, project_id: Optional[str] = None) -> List[dict]:
        """Active event triggers of the document's project that fire for ``resource``/``action``."""
        from .. import dql
        where = ("json_extract(doc, '$.type') = 'Event' AND json_extract(doc, '$.active') = 1 "
                 "AND json_extract(doc, '$.spec.resource') = ?")
        if not self.store.count("trigger", where=where, params=(resource,)):  # the common case: nothing to do
            return []
        project_id = project_id or self.project_of(resource, doc)
        if not project_id:
            return []
        found = []
        for trigger in self.store.list("trigger", scope=project_id, where=where, params=(resource,)):
            spec = trigger.get("spec") or {}
            if action not in (spec.get("actions") or []):
                continue
            try:
                if spec.get("filter") and not dql.matches(doc, spec["filter"]):
                    continue
            except Exception:  # a trigger with a filter the evaluator rejects never fires
                logger.warning("trigger %s has an unusable filter", trigger["id"])
                continue
            found.append(trigger)
        return found

    def on_event(self, resource: str, action: str, doc: dict) -> None:
        for trigger in self.matching(resource, action, doc):
            once = (trigger.get("spec") or {}).get("executionMode", "Once") == "Once"
            if once and not self.runtime.logs.mark_fired(trigger["id"], f"{resource}:{doc.get('id')}"):
                continue
            self.fire(trigger, resource, action, doc)

    def fire(self, trigger: dict, resource: Optional[str] = None, action: Optional[str] = None,
             doc: Optional[dict] = None) -> Optional[dict]:
        """Start what the trigger's operation names: the execution (or pipeline execution) document."""
        spec = trigger.get("spec") or {}
        operation = spec.get("operation") or {}
        if operation.get("type") == "pipeline":
            pipelines = self.runtime.emulator.extensions.get("pipelines")
            return pipelines.fire_trigger(trigger, resource, action, doc) if pipelines is not None else None
        if operation.get("type") == "webhook":
            self.webhooks.send(trigger, resource, action, doc)
            return None
        if operation.get("type") != "function":
            return None
        service = self.store.find("service", operation.get("serviceId") or "")
        if service is None:
            logger.warning("trigger %s points at a missing service %s", trigger["id"], operation.get("serviceId"))
            return None
        try:
            function_name = operation.get("functionName") or "run"
            inputs = dict(spec.get("input") or {})
            if doc is not None and resource in RESOURCE_INPUT_TYPE:
                function = self.runtime.function_of(service, function_name)
                type_name = RESOURCE_INPUT_TYPE[resource]
                declared = [io.get("name") for io in function.get("input") or [] if io.get("type") == type_name]
                inputs[declared[0] if declared else type_name.lower()] = entity_ref(type_name, doc) \
                    if type_name in ENTITY_TYPES else doc.get("id")
            api_url = (trigger.get("url") or "").rsplit("/triggers/", 1)[0]
            return self.runtime.execute(service, function_name, inputs, trigger.get("creator") or "",
                                        self.runtime.api_url or api_url, trigger_id=trigger["id"],
                                        project_id=trigger.get("projectId"))
        except EmulatorError as exc:
            logger.warning("trigger %s could not start an execution: %s", trigger["id"], exc.message)
            return None

    # -- cron ------------------------------------------------------------------------------------
    def cron_triggers(self) -> Iterator[dict]:
        where = "json_extract(doc, '$.type') = 'Cron' AND json_extract(doc, '$.active') = 1"
        yield from self.store.list("trigger", where=where)

    def fire_due(self, moment: datetime) -> List[dict]:
        """Fire every active cron trigger whose schedule matches ``moment``'s (UTC) minute, once per minute."""
        minute = _minute(moment)
        started = []
        for trigger in self.cron_triggers():
            spec = trigger.get("spec") or {}
            try:
                schedule = CronSchedule(spec.get("cron") or "")
                start, end = parse_time(spec.get("startAt")), parse_time(spec.get("endAt"))
            except (CronError, ValueError):
                continue
            stamp = minute.timestamp()
            if not schedule.matches(minute) or (start and stamp < start) or (end and stamp > end):
                continue
            if self._fired_minutes.get(trigger["id"]) == minute:
                continue
            self._fired_minutes[trigger["id"]] = minute
            execution = self.fire(trigger)
            if execution is not None:
                started.append(execution)
        return started

    def _cron_loop(self) -> None:
        while not self._stop.wait(1.0):
            now = _minute(datetime.now(timezone.utc))
            minute = max(self._last_minute, now - timedelta(minutes=MAX_CATCH_UP_MINUTES))
            while minute < now:
                minute += timedelta(minutes=1)
                try:
                    self.fire_due(minute)
                except Exception:  # keep the scheduler alive whatever one trigger does
                    logger.exception("cron tick failed")
            self._last_minute = now

    def close(self) -> None:
        self._stop.set()
        self.webhooks.close()


def _minute(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)
