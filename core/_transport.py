"""The one place that speaks HTTP: session, auth, timeouts, retries, error mapping.

Repositories never touch ``requests``; they call :meth:`Transport.json` or :meth:`Transport.request`.
Sign-in is :class:`Credentials`' (``core/credentials.py``); when to sign in is :class:`_Auth`'s: before the first
request, shortly before the token's ``exp``, and once after a 401 (m2m and refresh-token credentials only).
"""
from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Mapping, NamedTuple, Optional, Union

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from . import _jwt
from .credentials import ENV_NAMES, TOKEN_PATH, Credentials
from .exceptions import APIConnectionError, APITimeoutError, PlatformException, TokenExpired, exception_for

logger = logging.getLogger("dataloop_core.transport")

API_PREFIX = "/api/v1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
# 429 and 503 mean "not processed, come back later": safe to repeat even for a POST.
ALWAYS_RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENT_RETRY_STATUSES = frozenset({502, 504})
USER_AGENT = "dataloop-orchestrate/0.1 python-requests/" + requests.__version__
# requests' default headers less the two HTTP/1.1 implies (Accept: */*, Connection: keep-alive), which cost
# every request a header to check, write and parse; Accept-Encoding lets listing pages travel gzipped, ~20x smaller
BASE_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": requests.utils.default_headers()["Accept-Encoding"]}
# a renewable token is renewed when a quarter of its lifetime, at most this many seconds, is left
RENEW_MARGIN_CAP = 60.0

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


class _SignInError(Exception):
    """Carries a sign-in failure out of the retry loop untouched (sign-in has its own retries)."""

    def __init__(self, error: Exception):
        self.error = error


class _Bearer(NamedTuple):
    token: str
    due_at: Optional[float]        # epoch seconds: renew (or, for a static token, fail) from then on
    claims: dict
    refresh_token: Optional[str]


class _Auth:
    """The bearer token of one client, shared by its ``with_options`` copies.

    Signs in before the first request, renews shortly before expiry (renewable credentials) and on request
    after a 401; one renewal at a time: threads that saw the same stale token wait for it and reuse its result.
    The current token is one immutable ``_Bearer``, replaced whole, so a reader never sees half of a renewal.
    """

    def __init__(self, credentials: Optional[Credentials]):
        self._credentials = credentials
        self._lock = threading.Lock()
        self._bearer: Optional[_Bearer] = None
        if credentials is not None and credentials.static_token:
            self._bearer = _bearer(credentials.static_token, None, renewable=False)

    @property
    def renewable(self) -> bool:
        return self._credentials is not None and self._credentials.renewable

    @property
    def claims(self) -> dict:
        return self._bearer.claims if self._bearer else {}

    def current(self, post) -> str:
        """The token to send now: signs in or renews first when it is missing or due."""
        bearer = self._bearer
        if bearer is not None and (bearer.due_at is None or time.time() < bearer.due_at):
            return bearer.token
        return self.renew(bearer and bearer.token, post)

    def renew(self, stale: Optional[str], post) -> str:
        """Replace the token ``stale`` by a fresh one, unless another thread already did."""
        with self._lock:
            bearer = self._bearer
            if bearer is not None and bearer.token is not stale:
                return bearer.token
            if self._credentials is None:
                raise exception_for("401", f"no token: pass token= or credentials=, or set {ENV_NAMES}")
            self._credentials = self._credentials.resolve()
            if not self._credentials.renewable:
                bearer = bearer or _bearer(self._credentials.static_token, None, renewable=False)
                self._bearer = bearer
                if bearer.due_at is None or time.time() < bearer.due_at:
                    return bearer.token
                raise TokenExpired("600", f"token expired at {_utc(bearer.due_at)}; get a new one and set "
                                          f"DATALOOP_TOKEN, or sign in with Credentials.from_m2m or "
                                          f"Credentials.from_refresh_token (renewed automatically)")
            grant = self._credentials.sign_in(post, bearer and bearer.refresh_token)
            self._bearer = _bearer(grant.token, grant.refresh_token or (bearer and bearer.refresh_token),
                                   renewable=True)
            logger.debug("token %s (%s), valid until %s", "renewed" if stale else "obtained",
                         self._credentials.describe(), _utc(self._bearer.claims.get("exp")))
            return self._bearer.token


def _bearer(token: str, refresh_token: Optional[str], renewable: bool) -> _Bearer:
    """A static token is due at its ``exp``; a renewable one a quarter of its lifetime (at most
    ``RENEW_MARGIN_CAP`` s) earlier. No ``exp``: never due (a 401 still renews a renewable one)."""
    claims = _jwt.claims(token)
    exp = claims.get("exp")
    due_at = None
    if isinstance(exp, (int, float)):
        due_at = exp - min(RENEW_MARGIN_CAP, max(0.0, exp - time.time()) / 4) if renewable else exp
    return _Bearer(token, due_at, claims, refresh_token)


class Transport:
    """A pooled ``requests.Session`` bound to one Dataloop gate and its credentials."""

    def __init__(self, base_url: str, token: Optional[str] = None, options: TransportOptions = TransportOptions(),
                 session: Optional[requests.Session] = None, credentials: Optional[Credentials] = None, *,
                 auth: Optional[_Auth] = None):
        if not base_url:
            raise ValueError("base_url is required (or set DATALOOP_BASE_URL), e.g. http://127.0.0.1:4020")
        if token is not None and credentials is not None:
            raise ValueError("pass token= or credentials=, not both")
        if credentials is not None and not isinstance(credentials, Credentials):
            raise TypeError(f"credentials must be a Credentials (Credentials.from_token, from_m2m, "
                            f"from_refresh_token, from_env), got {type(credentials).__name__}")
        self.gate_url = base_url.rstrip("/")
        if self.gate_url.endswith(API_PREFIX):
            self.gate_url = self.gate_url[: -len(API_PREFIX)]
        self.api_url = self.gate_url + API_PREFIX
        self.options = options
        self._auth = auth or _Auth(Credentials.from_token(token) if token is not None else credentials)
        self._session = session or self._new_session(options.pool_size, self.gate_url)
        # True means "verify with the session's bundle" (the default one, or REQUESTS_CA_BUNDLE)
        self._verify = self._session.verify if options.verify is True else options.verify

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
        """A transport sharing this one's sign-in (and its renewals), with some options changed (a new pool if
        its size changes)."""
        options = replace(self.options, **changes)
        session = self._session if options.pool_size == self.options.pool_size else None
        return Transport(self.gate_url, options=options, session=session, auth=self._auth)

    @property
    def token(self) -> str:
        """The bearer token sent now (signing in first if needed)."""
        return self._auth.current(self._post_token)

    @property
    def token_claims(self) -> dict:
        """The claims of the current token (``email``, ``exp``...), signing in first if needed."""
        self._auth.current(self._post_token)
        return self._auth.claims

    def __repr__(self) -> str:  # never the token
        return f"Transport(gate_url={self.gate_url!r})"

    def __reduce__(self):
        """A pickled transport carries no secret: unpickled, it signs in from the ``DATALOOP_*`` environment."""
        return Transport, (self.gate_url, None, self.options, None, Credentials(Credentials.ENVIRONMENT))

    def __copy__(self) -> "Transport":
        return self  # a copy is the same connection and sign-in; only pickling drops the secret

    def __deepcopy__(self, memo) -> "Transport":
        return self

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
        url = (self.gate_url if gate else self.api_url) + path
        idempotent = method in IDEMPOTENT_METHODS if retry_safe is None else retry_safe
        replayable = idempotent and (not stream or method == "GET")
        sent_token = [None]

        def send() -> requests.Response:
            request_headers = dict(BASE_HEADERS)
            if auth:
                try:
                    sent_token[0] = self._auth.current(self._post_token)
                except PlatformException as exc:
                    raise _SignInError(exc) from None
                request_headers["authorization"] = f"Bearer {sent_token[0]}"
            request_headers.update(headers or {})
            started = time.monotonic()
            try:  # prepared here, not by the session: no headers, params or auth of its own to merge in
                prepared = requests.PreparedRequest()
                prepared.prepare(  # not via requests.Request, which turns params=None into {} to encode
                    method, url, params=params, json=json, headers=request_headers,
                    data=data() if callable(data) else data, files=files() if callable(files) else files,
                    cookies=self._session.cookies)
                response = self._session.send(
                    prepared, stream=stream, timeout=timeout if timeout is not None else self.options.timeout,
                    verify=self._verify, cert=None, proxies=self._session.proxies)
            except requests.Timeout as exc:
                raise APITimeoutError("408", f"request timed out: {type(exc).__name__}", method, path) from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:  # or a cut body
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

        def send_with_retries() -> requests.Response:
            try:
                return retrying(send)
            except _RetryableResponse as exhausted:
                return exhausted.response
            except _SignInError as failed:
                raise failed.error from None

        response = send_with_retries()
        if response.status_code == 401 and auth and self._auth.renewable and _resendable(data, files):
            logger.info("%s %s -> 401: renewing the token and sending once more", method, path)
            response.close()
            self._auth.renew(sent_token[0], self._post_token)
            response = send_with_retries()
        if not response.ok:
            raise _error_from(response, method, path)
        return response

    # -- helpers ---------------------------------------------------------------------------------
    def _post_token(self, body: dict) -> dict:
        """``POST {gate}/token`` without a bearer (what :meth:`Credentials.sign_in` sends)."""
        return self.json("POST", TOKEN_PATH, json=body, gate=True, auth=False, retry_safe=True) or {}

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


def _utc(epoch) -> str:
    if not isinstance(epoch, (int, float)):
        return "an unknown time"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _resendable(data: Any, files: Any) -> bool:
    """A body can be sent again unless it may be a stream already read (callables rebuild theirs)."""
    data_ok = data is None or callable(data) or isinstance(data, (bytes, str, dict, list, tuple))
    return data_ok and (files is None or callable(files))


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
