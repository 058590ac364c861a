"""Login and identity: ``POST {gate}/token`` (m2m and refresh) and ``GET /users/me`` (wire §1.3, §9.1)."""
from __future__ import annotations

from ..errors import BadRequest, Unauthorized
from ..routing import Route

USER_TTL = 24 * 3600
REFRESH_TTL = 30 * 24 * 3600


def user_json(email: str) -> dict:
    name = email.split("@")[0]
    return {"id": email, "email": email, "username": email, "firstName": name, "lastName": "",
            "avatar": None, "type": "human", "role": "owner", "createdAt": None, "updatedAt": None}


def issue_token(ctx):
    """m2m login (``user_credentials``, any password: the emulator has no user directory) or refresh."""
    body = ctx.json_object()
    auth = ctx.emulator.auth
    grant = body.get("type")
    if grant == "refresh_token":
        claims = auth.verify(body.get("refresh_token"), kind="refresh")
        email = claims["email"]
    elif grant == "user_credentials":
        email = body.get("username")
        if not email or not isinstance(email, str) or "@" not in email:
            raise BadRequest("username must be an email address")
        if not body.get("password"):
            raise Unauthorized("password is required")
    else:
        raise BadRequest(f"unknown token grant type {grant!r}; expected 'user_credentials' or 'refresh_token'")
    return {"id_token": auth.issue(email, USER_TTL), "access_token": auth.issue(email, USER_TTL),
            "refresh_token": auth.issue(email, REFRESH_TTL, kind="refresh"), "token_type": "Bearer",
            "expires_in": USER_TTL}


def me(ctx):
    return user_json(ctx.user)


ROUTES = [
    Route("POST", "/token", issue_token, auth=False, prefix=""),
    Route("GET", "/users/me", me),
]
