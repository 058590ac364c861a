"""Console pages of the remaining deep-linked entities: commands (the caller's), recipes with their labels, and an
organization's members."""
from __future__ import annotations

from markupsafe import Markup

from ..errors import Forbidden
from ..resources.commands import get_command, list_all
from ..resources.organizations import org_role
from . import lookup, overlay
from .data import crumbs_of
from .html import badge, fields, json_block, link, page, progress_bar, swatch, table, url

COMMANDS_SHOWN = 200


def commands_page(ctx):
    """The caller's background commands, newest first."""
    commands = list_all(ctx)[:COMMANDS_SHOWN]  # the caller's, newest first, as GET /commands answers
    rows = [(link(url("commands", c["id"]), c["id"]), c.get("type"), badge(c.get("status")),
             progress_bar(c.get("progress")), c.get("createdAt"), (c.get("error") or "")[:200] or None)
            for c in commands]
    return page("Commands", table(("command", "type", "status", "progress", "created", "error"), rows,
                                  "no commands yet"), [("Commands", None)], ctx.user)


def command_page(ctx, command_id):
    command = get_command(ctx, command_id)
    body = Markup("{}<h2>Spec</h2>{}").format(fields([
        ("type", command.get("type")), ("status", badge(command.get("status"))),
        ("progress", progress_bar(command.get("progress"))), ("error", command.get("error")),
        ("created", command.get("createdAt")), ("updated", command.get("updatedAt"))]), json_block(command.get("spec")))
    return page(f"Command {command_id}", body, [("Commands", url("commands")), (command_id, None)], ctx.user,
                run_status=command.get("status"))


def recipes_page(ctx, project_id):
    project = lookup.project(ctx, project_id)
    recipes = ctx.store.list("recipe", where="EXISTS (SELECT 1 FROM json_each(doc, '$.projectIds') p "
                                             "WHERE p.value = ?)", params=(project_id,))
    rows = [(link(url("projects", project_id, "recipes", r["id"]), r.get("title")), r["id"]) for r in recipes]
    return page("Recipes", table(("recipe", "id"), rows, "no recipes"), crumbs_of(project, ("Recipes", None)),
                ctx.user)


def recipe_page(ctx, project_id, recipe_id):
    """A recipe: its ontologies' labels with their colours."""
    project = lookup.project(ctx, project_id)
    recipe = lookup.in_project(ctx, "recipe", project_id, recipe_id, key="projectIds")
    colors = overlay.label_colors(ctx, {"metadata": {"system": {"recipes": [recipe_id]}}})
    rows = [(Markup("{}{}").format(swatch(overlay.hex_color(rgb)), tag), overlay.hex_color(rgb))
            for tag, rgb in sorted(colors.items())]
    return page(f"Recipe {recipe.get('title')}", table(("label", "colour"), rows, "no labels"), crumbs_of(
        project, ("Recipes", url("projects", project_id, "recipes")), (recipe.get("title"), None)), ctx.user)


def org_members_page(ctx, org_id):
    """``/console/iam/<org>/members``: an organization the caller belongs to, and its members."""
    org = lookup.entity(ctx, "org", org_id)
    if org_role(org, ctx.user) is None:
        raise Forbidden("Permission denied")
    rows = [(m.get("email"), m.get("role"), m.get("type")) for m in org.get("members") or []]
    return page(f"Members of {org.get('name')}", table(("email", "role", "type"), rows),
                [("Projects", url("projects")), (org.get("name"), None)], ctx.user)
