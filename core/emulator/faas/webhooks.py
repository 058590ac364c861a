"""Webhook deliveries: a trigger whose operation is ``{"type": "webhook", "webhookId"}`` sends its event to the
webhook's ``hookUrl``.

One delivery is one request of the webhook's ``httpMethod`` with the JSON body ``{"triggerId", "triggerName",
"webhookId", "projectId", "resource", "action", "data"}`` (``data`` is the entity's JSON; ``resource``,
``action`` and ``data`` are null for a cron trigger). Connection errors, timeouts, 429 and 5xx answers are retried
(``ATTEMPTS`` tries in all, backoff from 0.5 s doubling, each request bounded by ``TIMEOUT`` seconds); any other
answer ends the delivery. Deliveries run on a small thread pool, never on the thread that emitted the event;
outcomes are logged (URL host and status only).
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Optional
from urllib.parse import urlsplit

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

logger = logging.getLogger("dataloop_core.emulator.faas.webhooks")
ATTEMPTS = 4
TIMEOUT = 10.0
WORKERS = 2


class _Retryable(Exception):
    """An answer worth another try (429 or 5xx)."""


class WebhookSender:
    def __init__(self, store):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="faas-webhook")

    def send(self, trigger: dict, resource: Optional[str], action: Optional[str],
             doc: Optional[dict]) -> Optional[Future]:
        """Queue the delivery of one event; the future answers the final HTTP status (``None`` if none came)."""
        webhook_id = ((trigger.get("spec") or {}).get("operation") or {}).get("webhookId")
        webhook = self.store.find("webhook", webhook_id or "")
        if webhook is None:
            logger.warning("trigger %s points at a missing webhook %s", trigger["id"], webhook_id)
            return None
        body = {"triggerId": trigger["id"], "triggerName": trigger.get("name"), "webhookId": webhook["id"],
                "projectId": trigger.get("projectId"), "resource": resource, "action": action, "data": doc}
        return self._pool.submit(self._deliver, webhook, body)

    @staticmethod
    def _deliver(webhook: dict, body: dict) -> Optional[int]:
        host = urlsplit(webhook["hookUrl"]).hostname
        retrying = Retrying(stop=stop_after_attempt(ATTEMPTS), wait=wait_exponential(multiplier=0.5, max=4),
                            retry=retry_if_exception_type((_Retryable, requests.ConnectionError, requests.Timeout)),
                            reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    response = requests.request(webhook["httpMethod"], webhook["hookUrl"], json=body,
                                                timeout=TIMEOUT)
                    response.close()
                    if response.status_code == 429 or response.status_code >= 500:
                        raise _Retryable(response.status_code)
        except _Retryable as exc:
            logger.warning("webhook %s to %s: gave up after %d tries (last status %s)", webhook["id"], host,
                           ATTEMPTS, exc.args[0])
            return exc.args[0]
        except requests.RequestException as exc:
            logger.warning("webhook %s to %s: gave up after %d tries (%s)", webhook["id"], host, ATTEMPTS,
                           type(exc).__name__)
            return None
        logger.info("webhook %s to %s: %s", webhook["id"], host, response.status_code)
        return response.status_code

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
