"""HTML building blocks of the console: every value goes through ``markupsafe`` escaping (a dependency of werkzeug),
so a page is assembled from :class:`Markup` fragments and plain strings are always escaped."""
from __future__ import annotations

import json
from typing import Iterable, Optional, Sequence, Tuple

from markupsafe import Markup, escape
from werkzeug.wrappers import Response

PREFIX = "/console"
# no script at all; images from the console itself and the data: URLs of mask overlays; the stylesheet from /console
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"}
STATUS_CLASSES = {"success": "ok", "completed": "ok", "installed": "ok", "approved": "ok",
                  "failed": "bad", "aborted": "bad", "terminated": "bad", "rejected": "bad", "discard": "bad",
                  "in-progress": "run", "inprogress": "run", "running": "run", "created": "wait", "pending": "wait",
                  "open": "wait", "paused": "wait", "rerun": "run"}
RUNNING = {"created", "pending", "in-progress", "inProgress", "queued", "rerun"}  # pages of such runs reload
REFRESH_SECONDS = 3

CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#1d2330;background:#f4f5f8}
header{display:flex;gap:16px;align-items:center;padding:8px 20px;background:#1e2a44;color:#fff}
header a{color:#fff;text-decoration:none}header .brand{font-weight:600}header .user{margin-left:auto;opacity:.8}
header form{margin:0}header button{background:none;border:1px solid #fff6;color:#fff;border-radius:4px;cursor:pointer}
main{padding:16px 20px;max-width:1400px}nav.crumbs{margin-bottom:8px;color:#667}nav.crumbs a{color:#2a5bd7}
h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:18px 0 8px}a{color:#2a5bd7}
table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:12px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e5ea;vertical-align:top}th{background:#eceef3}
pre{background:#fff;border:1px solid #e3e5ea;padding:8px;overflow:auto;max-height:420px;margin:0 0 12px}
.badge{display:inline-block;padding:0 7px;border-radius:9px;background:#dde1ea;font-size:12px}
.badge.ok{background:#c9efd3}.badge.bad{background:#f6cccc}.badge.run{background:#cfe0ff}.badge.wait{background:#eee4c4}
progress{width:140px;vertical-align:middle}
.cols{display:flex;gap:16px;align-items:flex-start}.tree{min-width:200px;background:#fff;padding:8px;
border:1px solid #e3e5ea}.tree ul{list-style:none;padding-left:14px;margin:0}.tree>ul{padding-left:0}
.tree .here{font-weight:600}.grow{flex:1;min-width:0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{background:#fff;border:1px solid #e3e5ea;padding:6px;text-align:center;overflow:hidden}
.card img{max-width:100%;height:110px;object-fit:contain;display:block;margin:0 auto 4px}
.card .icon{height:110px;display:flex;align-items:center;justify-content:center;color:#889;font-size:12px}
.card .name{font-size:12px;overflow-wrap:anywhere}.pager{margin:10px 0}.pager a{margin-right:12px}
.stage{background:#fff;border:1px solid #e3e5ea;padding:8px;display:inline-block;max-width:100%}
.stage svg{display:block;width:800px;max-width:100%;height:auto}.swatch{vertical-align:middle;margin-right:4px}
.muted{color:#889}
.log td{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}
form.signin{background:#fff;border:1px solid #e3e5ea;padding:16px;max-width:520px}
form.signin input[type=password]{width:100%;padding:6px;margin:6px 0 10px}.error{color:#b02a2a}
"""


def url(*parts: str, **query) -> str:
    """A console path: ``url("projects", pid)`` is ``/console/projects/<pid>``; ``None`` query values are left out."""
    from urllib.parse import quote, urlencode
    path = PREFIX + "/" + "/".join(quote(str(p), safe="") for p in parts)
    pairs = {k: v for k, v in query.items() if v is not None}
    return path + ("?" + urlencode(pairs) if pairs else "")


def link(href: str, text) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def badge(status: Optional[str]) -> Markup:
    text = status or "-"
    return Markup('<span class="badge {}">{}</span>').format(STATUS_CLASSES.get(str(text).lower(), ""), text)


def progress_bar(percent) -> Markup:
    value = max(0, min(100, int(percent or 0)))
    return Markup('<progress max="100" value="{0}">{0}%</progress> {0}%').format(value)


def table(headers: Sequence[str], rows: Iterable[Sequence], empty: str = "nothing here yet",
          css: str = "") -> Markup:
    rows = list(rows)
    if not rows:
        return Markup('<p class="muted">{}</p>').format(empty)
    head = Markup("").join(Markup("<th>{}</th>").format(h) for h in headers)
    body = Markup("").join(Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(
        "" if cell is None else cell) for cell in row)) for row in rows)
    return Markup('<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>').format(css, head, body)


def fields(pairs: Iterable[Tuple[str, object]]) -> Markup:
    """A two-column table of ``(name, value)``."""
    return table(("field", "value"), [(name, value) for name, value in pairs])


def swatch(hex_color: str) -> Markup:
    """A small square of a colour (an SVG attribute, so no inline style is needed under the CSP)."""
    return Markup('<svg class="swatch" width="12" height="12"><rect width="12" height="12" fill="{}" '
                  'stroke="#0004"/></svg>').format(hex_color)


def json_block(value) -> Markup:
    return Markup("<pre>{}</pre>").format(json.dumps(value, indent=2, sort_keys=True, default=str))


def pager(first: Optional[str], following: Optional[str]) -> Markup:
    parts = [link(first, "« first page") if first else None, link(following, "next page »") if following else None]
    return Markup('<div class="pager">{}</div>').format(Markup("").join(p for p in parts if p))


def page(title: str, body, crumbs: Sequence[Tuple[str, Optional[str]]] = (), user: str = "",
         status: int = 200, run_status: Optional[str] = None) -> Response:
    """The whole HTML document: header with the signed-in user, breadcrumbs, title and body. The page of a run
    whose ``run_status`` is not final reloads itself every few seconds (a meta refresh: no script)."""
    reload = Markup('<meta http-equiv="refresh" content="{}">').format(REFRESH_SECONDS) \
        if run_status in RUNNING else Markup("")
    trail = Markup(" / ").join(link(href, text) if href else escape(text) for text, href in crumbs)
    signout = Markup('<form method="post" action="{}"><button type="submit">sign out</button></form>').format(
        url("logout")) if user else Markup("")
    html = Markup(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} - Dataloop emulator</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1">{reload}'
        '<link rel="stylesheet" href="{css}"></head><body><header><a class="brand" href="{home}">Dataloop emulator'
        '</a><a href="{projects}">Projects</a><a href="{commands}">Commands</a><span class="user">{user}</span>'
        '{signout}</header><main><nav class="crumbs">{trail}</nav><h1>{title}</h1>{body}</main></body></html>'
    ).format(title=title, reload=reload, css=url("static", "console.css"), home=url(), projects=url("projects"),
             commands=url("commands"), user=user, signout=signout, trail=trail, body=body)
    return Response(str(html), status=status, mimetype="text/html", headers=SECURITY_HEADERS)


def stylesheet() -> Response:
    return Response(CSS, mimetype="text/css", headers={**SECURITY_HEADERS, "Cache-Control": "max-age=3600"})
