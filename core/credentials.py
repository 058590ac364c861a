"""How a client signs in: a static token, an m2m client id + secret, or a refresh token (wire §1.3).

``Credentials`` holds the secret and knows the platform's sign-in calls (``POST {gate}/token?default`` with
``{"type": "user_credentials", "username", "password"}`` or ``{"type": "refresh_token", "refresh_token"}``,
answered with ``id_token`` and optionally a new ``refresh_token``). The transport decides when to sign in.
A secret never appears in a repr, a message, a log line or a pickle: a pickled ``Credentials`` becomes
"read the ``DATALOOP_*`` environment variables of the process that unpickles it".
"""
from __future__ import annotations

import os
from typing import Callable, Mapping, NamedTuple, Optional

from .exceptions import PlatformException, Unauthorized

ENV_TOKEN = "DATALOOP_TOKEN"
ENV_CLIENT_ID = "DATALOOP_CLIENT_ID"
ENV_CLIENT_SECRET = "DATALOOP_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "DATALOOP_REFRESH_TOKEN"
ENV_NAMES = f"{ENV_TOKEN}, {ENV_CLIENT_ID} + {ENV_CLIENT_SECRET}, or {ENV_REFRESH_TOKEN}"
TOKEN_PATH = "/token?default"
# statuses of POST /token that mean "these credentials are refused" (others are transient or server trouble)
REFUSED_STATUSES = frozenset({400, 401, 403, 404})

PostToken = Callable[[dict], dict]


class SignInFailed(Unauthorized):
    """The platform refused to sign in (wrong client secret, revoked or expired refresh token)."""


class Grant(NamedTuple):
    token: str
    refresh_token: Optional[str]


class Credentials:
    """What a ``DataloopClient`` signs in with; build one with a ``from_*`` class method.

    ``Credentials(Credentials.ENVIRONMENT)`` (what an unpickled one is) reads the environment at first use.
    """

    __slots__ = ("kind", "client_id", "_secret")

    TOKEN, M2M, REFRESH, ENVIRONMENT = "token", "m2m", "refresh_token", "environment"

    def __init__(self, kind: str, secret: Optional[str] = None, client_id: Optional[str] = None):
        if kind not in (self.TOKEN, self.M2M, self.REFRESH, self.ENVIRONMENT):
            raise ValueError(f"unknown credentials kind {kind!r}; use a Credentials.from_* method")
        self.kind, self.client_id, self._secret = kind, client_id, secret

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def from_token(cls, token: str) -> "Credentials":
        """A static bearer token (a JWT or an API key); it is never renewed."""
        return cls(cls.TOKEN, _required("token", token))

    @classmethod
    def from_m2m(cls, client_id: str, client_secret: str) -> "Credentials":
        """Machine-to-machine sign-in; signs in again whenever the token nears its expiry."""
        client_id = _required("client_id", client_id)
        return cls(cls.M2M, _required("client_secret", client_secret), client_id)

    @classmethod
    def from_refresh_token(cls, refresh_token: str) -> "Credentials":
        """A refresh token, exchanged for a fresh token whenever the current one nears its expiry."""
        return cls(cls.REFRESH, _required("refresh_token", refresh_token))

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Credentials":
        """The first of ``DATALOOP_TOKEN``, ``DATALOOP_CLIENT_ID`` + ``DATALOOP_CLIENT_SECRET``,
        ``DATALOOP_REFRESH_TOKEN`` that is set; ``ValueError`` when none is (or only half of the m2m pair)."""
        found = cls.find_in_env(environ)
        if found is None:
            raise ValueError(f"no credentials in the environment: set {ENV_NAMES}")
        return found

    @classmethod
    def find_in_env(cls, environ: Optional[Mapping[str, str]] = None) -> Optional["Credentials"]:
        """Like :meth:`from_env`, but ``None`` when no variable is set."""
        env = os.environ if environ is None else environ
        client_id, client_secret = env.get(ENV_CLIENT_ID), env.get(ENV_CLIENT_SECRET)
        if bool(client_id) != bool(client_secret):
            present, missing = (ENV_CLIENT_ID, ENV_CLIENT_SECRET) if client_id else (ENV_CLIENT_SECRET, ENV_CLIENT_ID)
            raise ValueError(f"{present} is set but {missing} is not: m2m sign-in needs both")
        if env.get(ENV_TOKEN):
            return cls.from_token(env[ENV_TOKEN])
        if client_id:
            return cls.from_m2m(client_id, client_secret)
        if env.get(ENV_REFRESH_TOKEN):
            return cls.from_refresh_token(env[ENV_REFRESH_TOKEN])
        return None

    # -- what the transport uses -------------------------------------------------------------------
    @property
    def renewable(self) -> bool:
        """True when a new token can be obtained without the caller (m2m, refresh token)."""
        return self.kind in (self.M2M, self.REFRESH)

    @property
    def static_token(self) -> Optional[str]:
        return self._secret if self.kind == self.TOKEN else None

    def resolve(self) -> "Credentials":
        """These credentials, or for unpickled ones those of this process's environment (``Unauthorized``
        when it has none)."""
        if self.kind != self.ENVIRONMENT:
            return self
        found = self.find_in_env()
        if found is None:
            raise Unauthorized("401", f"client was unpickled without credentials (a pickle never carries a "
                                      f"secret); set {ENV_NAMES} in this process, or build a new client")
        return found

    def sign_in(self, post: PostToken, refresh_token: Optional[str] = None) -> Grant:
        """Obtain a token with ``post(body) -> response JSON`` (``POST {gate}/token``).

        m2m signs in with the id and secret; a refresh token is exchanged (the newest one, ``refresh_token``,
        when the platform rotated it). Refusals raise :class:`SignInFailed`; transient errors pass through.
        """
        if self.kind == self.M2M:
            body = {"type": "user_credentials", "username": self.client_id, "password": self._secret}
        elif self.kind == self.REFRESH:
            body = {"type": "refresh_token", "refresh_token": refresh_token or self._secret}
        else:
            raise ValueError(f"{self!r} cannot sign in by itself")
        try:
            answer = post(body)
        except PlatformException as exc:
            if exc.status not in REFUSED_STATUSES:
                raise
            raise SignInFailed(exc.status_code, f"sign-in failed ({self.describe()}): {exc.message}",
                               method=exc.method, path=exc.path) from None
        token = answer.get("id_token") or answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise SignInFailed("401", f"sign-in failed ({self.describe()}): the answer has no id_token",
                               method="POST", path=TOKEN_PATH.split("?")[0])
        return Grant(token, answer.get("refresh_token") or None)

    def describe(self) -> str:
        """The kind and, for m2m, the client id (never a secret)."""
        return f"m2m client {self.client_id!r}" if self.kind == self.M2M else self.kind.replace("_", " ")

    # -- secrecy -----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        client = f", client_id={self.client_id!r}" if self.client_id else ""
        return f"Credentials(kind={self.kind!r}{client})"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return (isinstance(other, Credentials) and (self.kind, self.client_id, self._secret)
                == (other.kind, other.client_id, other._secret))

    def __hash__(self) -> int:
        return hash((self.kind, self.client_id))

    def __reduce__(self):
        """Pickled credentials carry no secret: they unpickle as "read this process's environment"."""
        return Credentials, (Credentials.ENVIRONMENT,)

    def __copy__(self) -> "Credentials":
        return self  # immutable; only pickling drops the secret

    def __deepcopy__(self, memo) -> "Credentials":
        return self


def _required(name: str, value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a non-empty string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got an empty one")
    return value.strip()
