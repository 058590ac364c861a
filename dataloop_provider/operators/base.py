"""Operator bases: ``DataloopBaseOperator`` (connection, hook, templated fields) and ``DataloopRunOperator``
(start remote work, then wait for it blocking or deferred, with one set of outcome rules)."""
from __future__ import annotations

import threading
import time
from functools import cached_property
from typing import ClassVar, Optional, Sequence

from airflow.sdk import BaseOperator
from airflow.providers.common.compat.sdk import AirflowException, ResumableJobMixin, conf

from dataloop_core.exceptions import RunCancelled, RunTimeout
from dataloop_core.runs import RunStatus
from dataloop_provider.hooks.dataloop import DataloopHook
from dataloop_provider.triggers.runs import TRIGGERS

MAX_LIST = 100          # longest list an XCom return carries
LOG_EVERY = 15.0        # seconds between progress lines in the task log


def template_fields(*names: str) -> tuple:
    """The templated fields of an operator: its own plus the connection id."""
    return ("dataloop_conn_id", *names)


def capped(values, limit: int = MAX_LIST) -> list:
    return list(values)[:limit]


class Throttle:
    """Calls ``log(message)`` at most every ``interval`` seconds (the first call always logs)."""

    def __init__(self, log, interval: float = LOG_EVERY):
        self._log, self._interval, self._last = log, interval, None

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if self._last is None or now - self._last >= self._interval:
            self._last = now
            self._log(message)


class DataloopBaseOperator(BaseOperator):
    """Base of the provider's operators.

    :param dataloop_conn_id: the Dataloop connection (default ``dataloop_default``).
    """

    template_fields: Sequence[str] = template_fields()
    ui_color = "#e3f1ff"

    def __init__(self, *, dataloop_conn_id: str = DataloopHook.default_conn_name, **kwargs):
        super().__init__(**kwargs)
        self.dataloop_conn_id = dataloop_conn_id

    @cached_property
    def hook(self) -> DataloopHook:
        return DataloopHook(self.dataloop_conn_id)

    @property
    def client(self):
        return self.hook.get_conn()


class DataloopRunOperator(ResumableJobMixin, DataloopBaseOperator):
    """Starts runs of ``kind`` (``start`` returns their ids) and, unless ``wait_for_completion=False``, waits.

    Resumable (Airflow 3.3 ``ResumableJobMixin``, ``durable=True``): the run ids are kept in the task's state
    store, so a retry after a worker crash re-attaches to runs still going (or takes the result of runs that
    succeeded) instead of starting them again.

    :param wait_for_completion: wait for the runs to end (default True).
    :param deferrable: wait on the triggerer instead of a worker slot (default ``[operators] default_deferrable``).
    :param timeout: seconds to wait before failing the task (and cancelling the runs when ``cancel_on_kill``).
    :param poll_interval: first delay between status reads; it grows x1.5 up to ``max_poll_interval``.
    :param cancel_on_kill: cancel the remote runs when the task is killed or times out (default True).
    """

    kind: ClassVar[str]
    external_id_key = "dataloop_run_ids"

    def __init__(self, *, wait_for_completion: bool = True,
                 deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
                 timeout: float = 3600.0, poll_interval: float = 5.0, max_poll_interval: float = 60.0,
                 cancel_on_kill: bool = True, **kwargs):
        super().__init__(**kwargs)
        if timeout is None or timeout <= 0:
            raise ValueError(f"{type(self).__name__}: timeout must be a positive number of seconds, got {timeout!r}")
        self.wait_for_completion, self.deferrable = wait_for_completion, deferrable
        self.timeout, self.poll_interval, self.max_poll_interval = timeout, poll_interval, max_poll_interval
        self.cancel_on_kill = cancel_on_kill
        self.run_ids: list = []
        self._cancel: Optional[threading.Event] = None
        self._result: Optional[dict] = None

    # -- what a subclass provides ------------------------------------------------------------------------
    def start(self, context) -> list:
        """Start the remote work; return the run ids (and persist links)."""
        raise NotImplementedError

    def run_options(self) -> dict:
        """Keyword arguments of ``client.runs.status`` for these runs (e.g. ``pipeline_id``)."""
        return {}

    def result(self, context, statuses: list) -> dict:
        """The XCom return value (small plain JSON) from the runs' last statuses."""
        raise NotImplementedError

    # -- flow ----------------------------------------------------------------------------------------------
    def execute(self, context):
        self._cancel = threading.Event()
        if not self.wait_for_completion:
            self.submit_job(context)
            return self.result(context, self._statuses())
        return self.execute_resumable(context)

    # -- ResumableJobMixin: the "job" is the list of run ids ------------------------------------------------
    def submit_job(self, context) -> list:
        self.run_ids = list(self.start(context))
        if not self.run_ids:
            raise AirflowException(f"{type(self).__name__} started no {self.kind.replace('_', ' ')}")
        context["ti"].xcom_push(key="run_ids", value=capped(self.run_ids))
        return self.run_ids

    def get_job_status(self, external_id, context) -> str:
        self.run_ids = list(external_id)
        statuses = self._statuses()
        if not all(s.terminal for s in statuses):
            return "running"
        return "succeeded" if all(s.succeeded for s in statuses) else "failed"

    def is_job_active(self, status: str) -> bool:
        return status == "running"

    def is_job_succeeded(self, status: str) -> bool:
        return status == "succeeded"

    def poll_until_complete(self, external_id, context):
        """Wait for the runs: deferred (unless they already ended) or blocking; returns the XCom result."""
        self.run_ids = list(external_id)
        if self.deferrable:
            statuses = self._statuses()
            if all(s.terminal for s in statuses):
                return self._finish(context, statuses)
            self.defer(trigger=self._trigger(), method_name="execute_complete")
        return self._finish(context, *self._wait())

    def get_job_result(self, external_id, context):
        if self._result is None:  # runs that had already succeeded before this try
            self.run_ids = list(external_id)
            self._result = self.result(context, self._statuses())
        return self._result

    def execute_complete(self, context, event: Optional[dict] = None):
        """Resume after the trigger: raise on failure / cancel / timeout / error with the platform's message."""
        if not isinstance(event, dict) or "event" not in event:
            raise AirflowException(f"{type(self).__name__}: unexpected trigger event {event!r}")
        self.run_ids = event.get("run_ids") or self.run_ids
        if event["event"] == "error":
            raise AirflowException(f"could not follow the {self.kind.replace('_', ' ')}: {event.get('message')}")
        statuses = [RunStatus.from_dict(s) for s in event.get("statuses") or []]
        return self._finish(context, statuses, timed_out=event["event"] == "timeout", message=event.get("message"))

    def on_kill(self) -> None:
        """Stop the blocking wait and cancel the remote runs that are still going."""
        if self._cancel is not None:
            self._cancel.set()
        if self.cancel_on_kill:
            self._cancel_runs()

    # -- helpers -------------------------------------------------------------------------------------------
    def _statuses(self) -> list:
        return [self.client.runs.status(self.kind, run_id, **self.run_options()) for run_id in self.run_ids]

    def _trigger(self):
        return TRIGGERS[self.kind](run_ids=self.run_ids, run_options=self.run_options(),
                                   cancel_on_kill=self.cancel_on_kill, dataloop_conn_id=self.dataloop_conn_id,
                                   deadline=time.time() + self.timeout, poll_interval=self.poll_interval,
                                   max_poll_interval=self.max_poll_interval)

    def _wait(self) -> tuple:
        """Blocking wait on every run under one deadline: ``(statuses, timed_out)``."""
        deadline = time.monotonic() + self.timeout
        log = Throttle(self.log.info)
        statuses = []
        for run_id in self.run_ids:
            try:
                statuses.append(self.client.runs.wait(
                    self.kind, run_id, timeout=max(deadline - time.monotonic(), 0.001), raise_on_failure=False,
                    cancel_event=self._cancel, cancel_remote=False,  # on_kill cancels every run itself
                    on_progress=lambda status: log(f"waiting: {status.describe()}"),
                    **self.run_options()))
            except RunTimeout as exc:
                return statuses + ([exc.status] if exc.status else []), True
            except RunCancelled as exc:
                raise AirflowException(f"cancelled while waiting: {exc}") from None
        return statuses, False

    def _finish(self, context, statuses: list, timed_out: bool = False, message: Optional[str] = None):
        if timed_out:
            if self.cancel_on_kill:
                self._cancel_runs()
            raise AirflowException(f"{self.kind.replace('_', ' ')} did not finish within {self.timeout:g} s"
                                   + (f": {message}" if message else "")
                                   + (" (cancelled)" if self.cancel_on_kill else " (left running)"))
        failed = [s for s in statuses if s.terminal and not s.succeeded]
        if failed:
            raise AirflowException("; ".join(s.describe() for s in failed))
        self.log.info("done: %s", "; ".join(s.describe() for s in statuses[:5]))
        self._result = self.result(context, statuses)
        return self._result

    def _cancel_runs(self) -> None:
        for run_id in self.run_ids:
            try:
                self.log.info("cancelled: %s", self.client.runs.cancel(self.kind, run_id,
                                                                       **self.run_options()).describe())
            except Exception as exc:  # on_kill must not raise; say what was left running
                self.log.error("could not cancel %s %s: %s", self.kind, run_id, exc)


class PerItemRuns:
    """For run operators that start one run per id of ``item_ids``: an empty list starts nothing and succeeds
    (a mapped upstream that found no new items is not an error)."""

    def execute(self, context):
        if self.item_ids is not None and not list(self.item_ids):
            self.log.info("no items given: nothing to execute")
            return self.result(context, [])
        return super().execute(context)
