"""Signing in to the console: a form that takes an emulator token, or a one-time link printed by
``dataloop-emulator serve``; both set an HttpOnly, SameSite=Strict cookie holding a console session token.

The session token is an emulator JWT of type ``console``: the API refuses it (it accepts only ``id`` tokens), and the
token typed into the form is never stored, echoed or put in a URL. The API's own authentication is untouched.
"""
from __future__ import annotations

import functools
import secrets
import threading
import time
from typing import Dict, Optional, Tuple
from urllib.parse import urlsplit

from markupsafe import Markup
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from ..auth import DEFAULT_EMAIL, DEFAULT_TTL
from ..errors import EmulatorError, Unauthorized
from .html import PREFIX, SECURITY_HEADERS, page, url

COOKIE = "dataloop_console"
SESSION_KIND = "console"
LINK_TTL = DEFAULT_TTL  # a printed link stays valid this long, and works once


class SignInLinks:
    """One-time sign-in codes kept in the server's memory (``emulator.extensions["console"]``)."""

    def __init__(self):
        self._codes: Dict[str, Tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, email: str, ttl: float = LINK_TTL) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            now = time.time()
            self._codes = {c: v for c, v in self._codes.items() if v[1] > now}
            self._codes[code] = (email, now + ttl)
        return code

    def redeem(self, code: str) -> str:
        """The email the code was issued for; ``Unauthorized`` when it is unknown, used or expired."""
        with self._lock:
            email, expires = self._codes.pop(code, (None, 0.0))
        if email is None or expires <= time.time():
            raise Unauthorized("this sign-in link is unknown, expired or already used: print a new one with "
                               "`dataloop-emulator serve` or sign in with a token")
        return email


def links(emulator) -> SignInLinks:
    return emulator.extensions.setdefault("console", SignInLinks())


def sign_in_link(emulator, base_url: str, email: str = DEFAULT_EMAIL) -> str:
    """A one-time link that signs a browser in to the console of the server at ``base_url``."""
    return f"{base_url.rstrip('/')}{url('login', code=links(emulator).issue(email))}"


def _safe_next(target: Optional[str]) -> str:
    """Only a console path of this server (no scheme, host, ``//``, ``..`` or backslash): anything else goes to the
    console home."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/") or target.startswith("//") \
            or "\\" in target or ".." in parts.path.split("/"):
        return url()
    return target


def _signed_in(ctx, email: str, target: Optional[str]) -> Response:
    response = redirect(_safe_next(target), code=303)
    session = ctx.emulator.auth.issue(email, DEFAULT_TTL, kind=SESSION_KIND)
    response.set_cookie(COOKIE, session, max_age=DEFAULT_TTL, path=PREFIX, httponly=True, samesite="Strict",
                        secure=ctx.request.scheme == "https")
    response.headers.update(SECURITY_HEADERS)
    return response


def sign_in_form(target: str = "", error: str = "", status: int = 401) -> Response:
    """The sign-in page; answered (401) instead of any console page to a browser without a session."""
    form = Markup(
        '<form class="signin" method="post" action="{action}"><p class="error">{error}</p>'
        '<label for="token">Emulator token</label><input type="password" id="token" name="token" '
        'autocomplete="off" required><input type="hidden" name="next" value="{target}">'
        '<button type="submit">Sign in</button><p class="muted">Print a token with <code>dataloop-emulator token'
        '</code>, or open the one-time link <code>dataloop-emulator serve</code> prints.</p></form>'
    ).format(action=url("login"), error=error, target=target)
    return page("Sign in", form, status=status)


def login_page(ctx):
    """``GET /console/login``: the form, or, with ``?code=``, redeem a one-time link."""
    code, target = ctx.args.get("code"), ctx.args.get("next")
    if not code:
        return sign_in_form(target or "", status=200)
    try:
        email = links(ctx.emulator).redeem(code)
    except Unauthorized as exc:
        return sign_in_form(target or "", exc.message)
    return _signed_in(ctx, email, target)


def login(ctx):
    """``POST /console/login`` with form fields ``token`` (an emulator API token) and ``next``."""
    token, target = ctx.request.form.get("token", "").strip(), ctx.request.form.get("next")
    try:
        claims = ctx.emulator.auth.verify(token)
    except Unauthorized as exc:
        return sign_in_form(target or "", f"sign-in refused: {exc.message}")
    return _signed_in(ctx, claims["email"], target)


def logout(ctx):
    response = redirect(url("login"), code=303)
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="Strict")
    return response


def signed_in_page(handler):
    """Wrap a page handler: the sign-in form (401) without a valid session cookie; the caller's email as
    ``ctx.user`` (so project membership applies as in the API); an HTML error page for an emulator error."""
    @functools.wraps(handler)
    def wrapper(ctx, **params):
        try:
            claims = ctx.emulator.auth.verify(ctx.request.cookies.get(COOKIE), kind=SESSION_KIND)
        except Unauthorized:
            return sign_in_form(ctx.request.full_path.rstrip("?"))
        ctx.claims = claims
        try:
            return handler(ctx, **params)
        except EmulatorError as exc:
            return page(f"Error {exc.status}", Markup('<p class="error">{}</p>').format(exc.message),
                        [("Projects", url("projects"))], user=ctx.user, status=exc.status)
    return wrapper
