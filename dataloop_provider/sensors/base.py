"""``DataloopSensor``: poke, reschedule and deferrable modes over one ``check`` (a cheap read) and one trigger."""
from __future__ import annotations

import time
from datetime import timedelta
from functools import cached_property
from typing import Optional

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.providers.common.compat.sdk import AirflowException, AirflowSensorTimeout, conf

from dataloop_provider.hooks.dataloop import DataloopHook

DEFAULT_TIMEOUT = 7 * 24 * 3600.0


class DataloopSensor(BaseSensorOperator):
    """Base of the provider's sensors: ``check(context) -> (done, xcom value)`` raises on a failed run;
    ``trigger(deadline)`` is the deferrable wait; ``event_value(event)`` the XCom after it.

    :param deferrable: wait on the triggerer (default ``[operators] default_deferrable``); otherwise ``mode``
        (``poke`` or ``reschedule``) applies.
    """

    ui_color = "#cfe8ff"

    def __init__(self, *, dataloop_conn_id: str = DataloopHook.default_conn_name,
                 deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
                 max_poll_interval: float = 60.0, **kwargs):
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        super().__init__(**kwargs)
        self.dataloop_conn_id, self.deferrable, self.max_poll_interval = (dataloop_conn_id, deferrable,
                                                                         max_poll_interval)

    @cached_property
    def hook(self) -> DataloopHook:
        return DataloopHook(self.dataloop_conn_id)

    def check(self, context) -> tuple:
        raise NotImplementedError

    def trigger(self, deadline: float):
        raise NotImplementedError

    def event_value(self, event: dict):
        raise NotImplementedError

    def poke(self, context) -> PokeReturnValue:
        done, value = self.check(context)
        return PokeReturnValue(is_done=done, xcom_value=value if done else None)

    def execute(self, context):
        if not self.deferrable:
            return super().execute(context)
        done, value = self.check(context)
        if done:
            return value
        self.defer(trigger=self.trigger(time.time() + self.timeout), method_name="execute_complete",
                   timeout=timedelta(seconds=self.timeout))

    def execute_complete(self, context, event: Optional[dict] = None):
        if not isinstance(event, dict) or "event" not in event:
            raise AirflowException(f"{type(self).__name__}: unexpected trigger event {event!r}")
        if event["event"] == "timeout":
            raise AirflowSensorTimeout(f"{type(self).__name__} timed out after {self.timeout:g} s: "
                                       f"{event.get('message')}")
        if event["event"] != "success":
            raise AirflowException(event.get("message") or f"{type(self).__name__}: {event['event']}")
        return self.event_value(event)

    def trigger_options(self, deadline: float) -> dict:
        return {"dataloop_conn_id": self.dataloop_conn_id, "deadline": deadline,
                "poll_interval": float(self.poke_interval), "max_poll_interval": self.max_poll_interval}
