"""Console pages of the data plane: projects, a project, its datasets, a dataset's items (folder tree, keyset
pages, thumbnails) and one item with its annotations drawn over it."""
from __future__ import annotations

import json
from typing import List, Optional

from markupsafe import Markup

from ..errors import BadRequest
from ..resources.datasets import OF_TYPE
from ..resources.projects import project_role, visible_projects
from . import lookup, media, overlay
from .html import badge, fields, json_block, link, page, pager, swatch, table, url

PAGE_SIZE = 100  # items per page of a folder
MAX_FOLDERS = 2000  # folders shown in a dataset's tree
# one folder's visible children after a rowid, in rowid order: served by the index ix_item_dir (scope, dir, rowid)
FOLDER_PAGE = ("SELECT rowid, doc FROM docs WHERE kind='item' AND scope=? AND json_extract(doc, '$.dir')=? "
               "AND rowid > ? AND json_extract(doc, '$.hidden') = 0 ORDER BY rowid LIMIT ?")


def crumbs_of(project: dict, *more):
    return [("Projects", url("projects")), (project["name"], url("projects", project["id"])), *more]


def projects_page(ctx):
    """``/console/`` and ``/console/projects``: the caller's projects."""
    rows = [(link(url("projects", p["id"]), p["name"]), p["id"], project_role(p, ctx.user), p.get("createdAt"))
            for p in visible_projects(ctx)]
    return page("Projects", table(("name", "id", "your role", "created"), rows, "no projects yet"),
                [("Projects", None)], ctx.user)


def project_page(ctx, project_id):
    project = lookup.project(ctx, project_id)
    counts = [(kind, ctx.store.count(kind, scope=project_id)) for kind in ("dataset", "task", "service", "pipeline")]
    sections = {"dataset": "datasets", "task": "tasks", "service": "services", "pipeline": "pipelines"}
    rows = [(link(url("projects", project_id, sections[kind]), sections[kind].capitalize()), count)
            for kind, count in counts]
    rows.append((link(url("projects", project_id, "packages"), "Packages"), ctx.store.count("package",
                                                                                          scope=project_id)))
    members = [(m.get("email"), m.get("role"), m.get("type")) for m in project.get("contributors") or []]
    body = Markup("{}<h2>Members</h2>{}<h2>Project</h2>{}").format(
        table(("section", "count"), rows), table(("email", "role", "type"), members), json_block(project))
    return page(project["name"], body, crumbs_of(project), ctx.user)


def datasets_page(ctx, project_id):
    project = lookup.project(ctx, project_id)
    rows = []
    for dataset in ctx.store.list("dataset", scope=project_id):
        files = ctx.store.execute(OF_TYPE.format("count(*)"), (dataset["id"], "file")).fetchone()[0]
        rows.append((link(url("projects", project_id, "datasets", dataset["id"], "items"), dataset["name"]),
                     dataset["id"], files, dataset.get("createdAt")))
    return page("Datasets", table(("name", "id", "items", "created"), rows, "no datasets yet"),
                crumbs_of(project, ("Datasets", None)), ctx.user)


def dataset_page(ctx, project_id, dataset_id):
    """``/console/projects/<p>/datasets/<d>``: the platform opens the dataset's items."""
    return items_page(ctx, project_id, dataset_id)


def _folder(ctx) -> str:
    folder = ctx.args.get("dir", "/")
    if not folder.startswith("/") or "\x00" in folder:
        raise BadRequest(f"invalid folder {folder!r}: a folder is a path starting with '/'")
    return folder.rstrip("/") or "/"


def cursor(ctx) -> int:
    """The keyset cursor ``?after=<rowid>`` of a paged listing (0: the first page)."""
    raw = ctx.args.get("after", "0")
    if not raw.isdigit():
        raise BadRequest(f"invalid page cursor {raw!r}: use the page links")
    return int(raw)


def items_page(ctx, project_id, dataset_id):
    """One folder of a dataset: its tree, then a page of its folders and files (keyset paging by rowid)."""
    project = lookup.project(ctx, project_id)
    dataset = lookup.dataset(ctx, project_id, dataset_id)
    folder, after = _folder(ctx), cursor(ctx)
    rows = ctx.store.execute(FOLDER_PAGE, (dataset_id, folder, after, PAGE_SIZE + 1)).fetchall()
    here = lambda **q: url("projects", project_id, "datasets", dataset_id, "items", **q)
    cards = Markup("").join(_card(project_id, json.loads(doc), here) for _, doc in rows[:PAGE_SIZE])
    following = here(dir=folder, after=rows[PAGE_SIZE - 1][0]) if len(rows) > PAGE_SIZE else None
    total = ctx.store.execute(OF_TYPE.format("count(*)"), (dataset_id, "file")).fetchone()[0]
    listing = Markup('<p class="muted">{} items in the dataset; folder <b>{}</b></p><div class="grid">{}</div>{}'
                     ).format(total, folder, cards or Markup('<p class="muted">empty folder</p>'),
                              pager(here(dir=folder) if after else None, following))
    body = Markup('<div class="cols"><nav class="tree">{}</nav><div class="grow">{}</div></div>').format(
        _tree(ctx, dataset_id, folder, here), listing)
    return page(dataset["name"], body, crumbs_of(project, ("Datasets", url("projects", project_id, "datasets")),
                                                 (dataset["name"], None)), ctx.user)


def _card(project_id: str, item: dict, here) -> Markup:
    if item.get("type") == "dir":
        return Markup('<div class="card folder"><a href="{}"><div class="icon">folder</div><div class="name">{}'
                      '</div></a></div>').format(here(dir=item["filename"]), item.get("name"))
    href = url("projects", project_id, "datasets", item["datasetId"], "items", item["id"])
    preview = Markup('<img loading="lazy" alt="" src="{}">').format(url("media", "items", item["id"], "thumbnail")) \
        if media.mimetype(item) in media.IMAGE_TYPES else Markup('<div class="icon">{}</div>').format(
            media.mimetype(item) or "file")
    count = item.get("annotationsCount") or 0
    return Markup('<div class="card item"><a href="{}">{}<div class="name">{}</div></a><div class="muted">{}</div>'
                  '</div>').format(href, preview, item.get("name"), f"{count} annotations" if count else "")


def _tree(ctx, dataset_id: str, current: str, here) -> Markup:
    """The dataset's folders (the first ``MAX_FOLDERS``), indented by depth, the current one marked."""
    found = [row[0] for row in ctx.store.execute(
        OF_TYPE.format("json_extract(doc, '$.filename')") + f" LIMIT {MAX_FOLDERS}", (dataset_id, "dir"))]
    folders = sorted({path for path in found if path} | {"/"})
    lines = []
    for path in folders:
        depth = 0 if path == "/" else path.count("/")
        name = "/" if path == "/" else path.rsplit("/", 1)[1]
        css = "here" if path == current else ""
        lines.append(Markup('<li class="{}" data-depth="{}">{}{}</li>').format(
            css, depth, Markup("&nbsp;&nbsp;") * depth, link(here(dir=path), name)))
    if len(found) == MAX_FOLDERS:
        lines.append(Markup('<li class="muted">only the first {} folders</li>').format(MAX_FOLDERS))
    return Markup("<ul>{}</ul>").format(Markup("").join(lines))


def item_page(ctx, project_id, dataset_id, item_id):
    """An item with its annotations drawn over its image, its annotations listed, and its metadata."""
    project = lookup.project(ctx, project_id)
    dataset = lookup.dataset(ctx, project_id, dataset_id)
    item = lookup.child(ctx, "item", dataset_id, item_id, "datasetId")
    annotations = _annotations(ctx, dataset_id, item_id)
    colors = overlay.label_colors(ctx, dataset)
    size = media.image_size(ctx, item) if media.is_image(ctx, item) else None
    drawing, problems = overlay.svg(url("media", "items", item_id), size or (0, 0), annotations, colors)
    stage = Markup('<div class="stage">{}</div>').format(drawing) if size else \
        Markup('<p class="muted">no image preview for {}</p>').format(media.mimetype(item) or "this item")
    classes = [a.get("label") or "" for a in annotations if a.get("type") == "class"]
    if classes:
        stage += Markup('<p>classes: <b class="classes">{}</b></p>').format(", ".join(classes))
    rows = [(Markup("{}{}").format(swatch(overlay.hex_color(overlay.color_of(a.get("label"), colors))),
                                   a.get("label") or ""),
             a.get("type"), a.get("id"), a.get("creator"), json.dumps(a.get("attributes") or [])[:200],
             problems.get(a.get("id")) or ("drawn" if a.get("type") in overlay.DRAWN else "no geometry"))
            for a in annotations]
    system = (item.get("metadata") or {}).get("system") or {}
    facts = fields([("name", item.get("name")), ("path", item.get("filename")), ("id", item["id"]),
                    ("mimetype", system.get("mimetype")), ("size", system.get("size")),
                    ("dimensions", f"{size[0]} x {size[1]}" if size else None), ("created", item.get("createdAt")),
                    ("creator", item.get("creator")), ("annotations", len(annotations)),
                    ("task statuses", _statuses(ctx, project_id, system.get("refs") or []))])
    body = Markup("{}<h2>Annotations</h2>{}<h2>Item</h2>{}<h2>Metadata</h2>{}").format(
        stage, table(("label", "type", "id", "creator", "attributes", "on the image"), rows, "no annotations"), facts,
        json_block(item.get("metadata") or {}))
    folder = item.get("dir") or "/"
    return page(item.get("name") or item_id, body, crumbs_of(
        project, ("Datasets", url("projects", project_id, "datasets")),
        (dataset["name"], url("projects", project_id, "datasets", dataset_id, "items", dir=folder)),
        (item.get("name") or item_id, None)), ctx.user)


def _annotations(ctx, dataset_id: str, item_id: str) -> List[dict]:
    rows = ctx.store.execute("SELECT doc FROM docs WHERE kind='annotation' AND scope=? "
                             "AND json_extract(doc, '$.itemId')=? ORDER BY id", (dataset_id, item_id))
    return [json.loads(row[0]) for row in rows]


def _statuses(ctx, project_id: str, refs: list) -> Optional[Markup]:
    """The item's status in each task it is in, linking to the task."""
    parts = []
    for ref in refs:
        if not isinstance(ref, dict) or ref.get("type") != "task":
            continue
        task = ctx.store.find("task", ref.get("id") or "")
        if task is None:
            continue
        status = (ref.get("metadata") or {}).get("status")
        parts.append(Markup("{} {}").format(link(url("projects", project_id, "tasks", task["id"]), task["name"]),
                                            badge(status or "open")))
    return Markup(", ").join(parts) if parts else None

