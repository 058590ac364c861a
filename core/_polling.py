"""Waiting on something the platform runs (commands, executions, pipeline executions): one polling loop."""
from __future__ import annotations

import logging
import time
from typing import Callable, Optional, TypeVar

logger = logging.getLogger("dataloop_core.polling")
T = TypeVar("T")

FIRST_DELAY = 0.1
MAX_DELAY = 30.0


def poll(fetch: Callable[[], T], in_progress: Callable[[T], bool], describe: Callable[[T], str],
         timeout: Optional[float] = None, backoff_factor: float = 1, step: Optional[float] = None,
         on_iteration: Optional[Callable[[], None]] = None) -> T:
    """Call ``fetch()`` until ``in_progress(result)`` is false, and return that result.

    Delays start at 0.1 s x ``backoff_factor`` and double up to 30 s (or are ``step`` seconds when given), never
    beyond the remaining ``timeout`` (None or <= 0: no limit). On timeout raises ``TimeoutError`` with
    ``describe(last result)``. ``on_iteration`` runs between polls; its errors are logged, never raised.
    """
    deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
    attempt = 0
    while True:
        result = fetch()
        if not in_progress(result):
            return result
        delay = step if step is not None else min(FIRST_DELAY * backoff_factor * 2 ** attempt, MAX_DELAY)
        attempt += 1
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{describe(result)} did not finish within {timeout} s")
            delay = min(delay, remaining)
        if on_iteration is not None:
            try:
                on_iteration()
            except Exception as exc:  # a caller's progress hook must not break the wait
                logger.warning("iteration callback failed: %s", exc)
        time.sleep(delay)
