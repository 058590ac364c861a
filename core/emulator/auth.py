"""HS256 JWTs signed with a secret kept in the data dir; every API request must carry a valid one."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Optional

from .errors import Unauthorized

DEFAULT_EMAIL = "developer@dataloop.local"
DEFAULT_TTL = 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Auth:
    def __init__(self, data_dir: str):
        path = os.path.join(data_dir, "jwt-secret")
        if not os.path.exists(path):
            self._create_secret(path)
        with open(path, "rb") as handle:
            self._secret = handle.read()

    @staticmethod
    def _create_secret(path: str) -> None:
        """Write the secret whole under a temporary name, then link it into place: a crash never leaves an empty
        secret, and of two processes starting at once the second one simply reads the first one's."""
        temp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            os.remove(temp)

    def issue(self, email: str = DEFAULT_EMAIL, ttl: int = DEFAULT_TTL, kind: str = "id") -> str:
        """A signed token for ``email`` valid ``ttl`` seconds (``kind='refresh'`` for refresh tokens)."""
        now = int(time.time())
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {"email": email, "sub": email, "iat": now, "exp": now + int(ttl), "typ": kind,
                  "iss": "dataloop-emulator"}
        payload = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def verify(self, token: Optional[str], kind: str = "id") -> dict:
        """Claims of a valid token; ``Unauthorized`` with a reason otherwise (never echoing the token)."""
        if not token:
            raise Unauthorized("missing authorization token")
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthorized("malformed token")
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            valid = hmac.compare_digest(expected, _unb64(parts[2]))
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeDecodeError):
            raise Unauthorized("malformed token") from None
        if not valid:
            raise Unauthorized("invalid token signature")
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= time.time():
            raise Unauthorized("token expired")
        if claims.get("typ", "id") != kind:
            raise Unauthorized(f"wrong token type: expected a {kind} token")
        return claims
