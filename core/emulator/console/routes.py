"""The console's route table, mounted by the app under ``/console`` (the API's bearer auth does not apply: the
pages check the console session cookie themselves)."""
from __future__ import annotations

from ..routing import Route
from . import data, media, session
from .html import PREFIX, stylesheet
from .session import signed_in_page

P = "/projects/<project_id>"
PAGES = [
    ("/", data.projects_page),
    ("/projects", data.projects_page),
    (P, data.project_page),
    (P + "/datasets", data.datasets_page),
    (P + "/datasets/<dataset_id>", data.dataset_page),
    (P + "/datasets/<dataset_id>/items", data.items_page),
    (P + "/datasets/<dataset_id>/items/<item_id>", data.item_page),
    ("/media/items/<item_id>", media.item_image),
    ("/media/items/<item_id>/thumbnail", media.item_thumbnail),
]

ROUTES = [
    Route("GET", "/static/console.css", lambda ctx: stylesheet(), auth=False, prefix=PREFIX),
    Route("GET", "/login", session.login_page, auth=False, prefix=PREFIX),
    Route("POST", "/login", session.login, auth=False, prefix=PREFIX),
    Route("POST", "/logout", session.logout, auth=False, prefix=PREFIX),
    *(Route("GET", rule, signed_in_page(handler), auth=False, prefix=PREFIX) for rule, handler in PAGES),
]
