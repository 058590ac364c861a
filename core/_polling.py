"""Waiting on something the platform runs (commands, executions, pipeline executions, tasks): one polling loop.

``poll`` serves the SDK-named ``wait`` methods (return the finished entity); ``wait_for_status`` is the
orchestration contract (``RunStatus`` in, failure/timeout/cancel as exceptions). Both share ``_loop``.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Optional, TypeVar

from .exceptions import RunCancelled, RunFailed, RunTimeout

T = TypeVar("T")

FIRST_DELAY = 0.1
MAX_DELAY = 30.0
DEFAULT_TIMEOUT = 3600.0


def delay_for(attempt: int, backoff_factor: float = 1, step: Optional[float] = None) -> float:
    """The pause before poll ``attempt + 1``: ``step`` when given, else 0.1 s x factor doubling up to 30 s."""
    return step if step is not None else min(FIRST_DELAY * backoff_factor * 2 ** attempt, MAX_DELAY)


class _Deadline(Exception):
    def __init__(self, last):
        self.last = last


class _Cancelled(Exception):
    pass


def _loop(fetch: Callable[[], T], done: Callable[[T], bool], timeout: Optional[float], backoff_factor: float,
          step: Optional[float], cancel_event: Optional[threading.Event],
          after_fetch: Optional[Callable[[T], None]] = None) -> T:
    """Fetch until ``done``; ``_Deadline`` past ``timeout`` (None or <= 0: none), ``_Cancelled`` when the event is
    set. ``after_fetch`` runs after each fetch; its exceptions end the wait."""
    deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
    attempt = 0
    while True:
        if cancel_event is not None and cancel_event.is_set():
            raise _Cancelled()
        result = fetch()
        if after_fetch is not None:
            after_fetch(result)
        if done(result):
            return result
        delay = delay_for(attempt, backoff_factor, step)
        attempt += 1
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Deadline(result)
            delay = min(delay, remaining)
        if cancel_event is not None:
            if cancel_event.wait(delay):
                raise _Cancelled()
        else:
            time.sleep(delay)


def poll(fetch: Callable[[], T], in_progress: Callable[[T], bool], describe: Callable[[T], str],
         timeout: Optional[float] = None, backoff_factor: float = 1, step: Optional[float] = None,
         on_iteration: Optional[Callable[[], None]] = None) -> T:
    """Call ``fetch()`` until ``in_progress(result)`` is false, and return that result (SDK-named waits).

    ``timeout`` None or <= 0 means no limit; past it ``RunTimeout`` (a ``TimeoutError``) names
    ``describe(last result)``. ``on_iteration`` runs between polls; an exception it raises ends the wait.
    """
    after = (lambda result: on_iteration() if in_progress(result) else None) if on_iteration else None
    try:
        return _loop(fetch, lambda result: not in_progress(result), timeout, backoff_factor, step, None, after)
    except _Deadline as exc:
        raise RunTimeout(f"{describe(exc.last)} did not finish within {timeout} s") from None


def wait_for_status(fetch, cancel, *, timeout: Optional[float] = DEFAULT_TIMEOUT, raise_on_failure: bool = True,
                    cancel_event: Optional[threading.Event] = None, on_progress=None,
                    poll_interval: Optional[float] = None, cancel_remote: bool = True):
    """Poll ``fetch() -> RunStatus`` until it is terminal and return it.

    ``RunFailed`` if it ends unsuccessfully (unless ``raise_on_failure=False``); ``RunTimeout`` past ``timeout``
    seconds (``None``: no limit); ``RunCancelled`` once ``cancel_event`` is set, after ``cancel()`` cancelled the
    remote run (unless ``cancel_remote=False``). ``on_progress(status)`` runs after each poll; if it raises, the
    wait ends with that exception.
    """
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds or None for no limit, got {timeout!r}")
    if poll_interval is not None and poll_interval <= 0:
        raise ValueError(f"poll_interval must be positive, got {poll_interval!r}")
    try:
        status = _loop(fetch, lambda s: s.terminal, timeout, 1, poll_interval, cancel_event, on_progress)
    except _Deadline as exc:
        raise RunTimeout(f"{exc.last.describe()} did not finish within {timeout} s", exc.last) from None
    except _Cancelled:
        status = cancel() if cancel_remote else fetch()
        raise RunCancelled(f"wait cancelled; {status.describe()}", status) from None
    if raise_on_failure and not status.succeeded:
        raise RunFailed(f"{status.describe()}", status)
    return status
