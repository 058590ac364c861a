"""The one place that speaks HTTP: session, auth, timeouts, retries, error mapping.

Repositories never touch ``requests``; they call :meth:`Transport.json` or :meth:`Transport.request`.
"""
from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional, Union

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from . import _jwt
from .exceptions import APIConnectionError, APITimeoutError, PlatformException, TokenExpired, exception_for

logger = logging.getLogger("dataloop_core.transport")

API_PREFIX = "/api/v1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
# 429 and 503 mean "not processed, come back later": safe to repeat even for a POST.
ALWAYS_RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENT_RETRY_STATUSES = frozenset({502, 504})
USER_AGENT = "dataloop-orchestrate/0.1 python-requests/" + requests.__version__

Timeout = Union[float, tuple]


@dataclass(frozen=True)
class TransportOptions:
    """Knobs of the transport; ``Transport.with_options`` returns a copy with some changed."""

    timeout: Timeout = (10.0, 120.0)
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_retry_after: float = 60.0
    verify: Union[bool, str] = True
    pool_size: int = 32


class _RetryableResponse(Exception):
    def __init__(self, response: requests.Response):
        self.response = response


class Transport:
    """A pooled ``requests.Session`` bound to one Dataloop gate and token."""

    def __init__(self, base_url: str, token: Optional[str] = None, options: TransportOptions = TransportOptions(),
                 session: Optional[requests.Session] = None):
        if not base_url:
            raise ValueError("base_url is required (or set DATALOOP_BASE_URL), e.g. http://127.0.0.1:4020")
        self.gate_url = base_url.rstrip("/")
        if self.gate_url.endswith(API_PREFIX):
            self.gate_url = self.gate_url[: -len(API_PREFIX)]
        self.api_url = self.gate_url + API_PREFIX
        self.options = options
        self._token = token
        self._claims = (token, _jwt.claims(token))
        # True means "verify with the session's bundle" (the default one, or REQUESTS_CA_BUNDLE)
        self._verify = None if options.verify is True else options.verify
        self._session = session or self._new_session(options.pool_size, self.gate_url)

    # -- configuration ---------------------------------------------------------------------------
    @staticmethod
    def _new_session(pool_size: int, gate_url: str) -> requests.Session:
        """A pooled session. Proxy and CA-bundle settings are read from the environment once, here, instead of
        on every request (requests' per-request lookup is a third of the client's cost per small upload)."""
        session = requests.Session()
        session.proxies.update(requests.utils.get_environ_proxies(gate_url))
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:
            session.verify = ca_bundle
        session.trust_env = False
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def with_options(self, **changes) -> "Transport":
        """A transport sharing this one's token, with some options changed (a new pool if its size changes)."""
        options = replace(self.options, **changes)
        session = self._session if options.pool_size == self.options.pool_size else None
        return Transport(self.gate_url, self._token, options, session=session)

    @property
    def token(self) -> Optional[str]:
        return self._token

    @token.setter
    def token(self, value: Optional[str]) -> None:
        self._token = value

    @property
    def token_claims(self) -> dict:
        if self._claims[0] is not self._token:
            self._claims = (self._token, _jwt.claims(self._token))
        return self._claims[1]

    def __repr__(self) -> str:  # never the token
        return f"Transport(gate_url={self.gate_url!r}, authenticated={bool(self._token)})"

    def close(self) -> None:
        self._session.close()

    # -- requests ----------------------------------------------------------------------------------
    def json(self, method: str, path: str, **kwargs) -> Any:
        """Send a request and return the decoded JSON body (``None`` for an empty body)."""
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def request(self, method: str, path: str, *, params: Optional[Mapping] = None, json: Any = None,
                data: Any = None, files: Any = None, headers: Optional[Mapping] = None, stream: bool = False,
                timeout: Optional[Timeout] = None, retry_safe: Optional[bool] = None, gate: bool = False,
                auth: bool = True) -> requests.Response:
        """Send one logical request, retrying transient failures, and raise a ``PlatformException`` on errors.

        ``path`` is relative to ``/api/v1`` (or to the gate root when ``gate=True``). ``data`` and ``files`` may
        be zero-argument callables that build a fresh body per attempt (streams cannot be replayed).
        ``retry_safe`` overrides the idempotency rule for POSTs that are safe to repeat (DQL queries).
        """
        method = method.upper()
        if auth:
            self._check_token()
        url = (self.gate_url if gate else self.api_url) + path
        idempotent = method in IDEMPOTENT_METHODS if retry_safe is None else retry_safe
        replayable = idempotent and (not stream or method == "GET")

        def send() -> requests.Response:
            request_headers = {"User-Agent": USER_AGENT}
            if auth and self._token:
                request_headers["authorization"] = f"Bearer {self._token}"
            request_headers.update(headers or {})
            started = time.monotonic()
            try:
                response = self._session.request(
                    method, url, params=params, json=json, headers=request_headers, stream=stream,
                    data=data() if callable(data) else data, files=files() if callable(files) else files,
                    timeout=timeout if timeout is not None else self.options.timeout, verify=self._verify)
            except requests.Timeout as exc:
                raise APITimeoutError("408", f"request timed out: {type(exc).__name__}", method, path) from None
            except requests.ConnectionError as exc:
                raise APIConnectionError("3001", f"connection failed: {describe_binary(exc)}", method, path) from None
            logger.debug("%s %s -> %s (%.0f ms)", method, path, response.status_code,
                         (time.monotonic() - started) * 1000)
            if _should_retry_status(response.status_code, idempotent):
                raise _RetryableResponse(response)
            return response

        retrying = Retrying(
            stop=stop_after_attempt(self.options.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: _is_retryable(exc, replayable)),
            before_sleep=lambda state: logger.info("retrying %s %s after %s (attempt %d)", method, path,
                                                   _outcome_label(state), state.attempt_number),
            reraise=True,
        )
        try:
            response = retrying(send)
        except _RetryableResponse as exhausted:
            response = exhausted.response
        if not response.ok:
            raise _error_from(response, method, path)
        return response

    # -- helpers ---------------------------------------------------------------------------------
    def _check_token(self) -> None:
        if not self._token:
            raise exception_for("401", "no token: pass token= or set DATALOOP_TOKEN")
        exp = self.token_claims.get("exp")
        if isinstance(exp, (int, float)) and time.time() >= exp:
            expired_at = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(exp))
            raise TokenExpired("600", f"token expired at {expired_at}; get a new one and set DATALOOP_TOKEN")

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse):
            retry_after = parse_retry_after(exc.response.headers.get("Retry-After"))
            if retry_after is not None:
                return min(retry_after, self.options.max_retry_after)
        return backoff_delay(state.attempt_number, self.options.backoff_base, self.options.backoff_cap)


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or ``None``."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _should_retry_status(status: int, idempotent: bool) -> bool:
    return status in ALWAYS_RETRY_STATUSES or (idempotent and status in IDEMPOTENT_RETRY_STATUSES)


def _is_retryable(exc: BaseException, replayable: bool) -> bool:
    if isinstance(exc, _RetryableResponse):
        return True
    return isinstance(exc, APIConnectionError) and replayable


def _outcome_label(state: RetryCallState) -> str:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _RetryableResponse):
        return f"status {exc.response.status_code}"
    return type(exc).__name__


def describe_binary(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "..."


def _error_from(response: requests.Response, method: str, path: str) -> PlatformException:
    try:
        body = response.json()
        message = body.get("message") if isinstance(body, dict) else None
        message = message or response.text
    except ValueError:
        message = response.text
    message = (message or response.reason or "").strip()[:1000]
    return exception_for(str(response.status_code), message, method=method, path=path.split("?")[0],
                         request_id=response.headers.get("x-request-id"))
