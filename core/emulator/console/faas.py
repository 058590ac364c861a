"""Console pages of FaaS and pipelines: services, a service's executions, an execution (status history, input,
output, logs), packages, triggers, pipelines (nodes, connections, the last runs' node statuses) and one run."""
from __future__ import annotations

from typing import Optional

from markupsafe import Markup

from . import lookup
from .data import crumbs_of, cursor
from .html import badge, fields, json_block, link, page, pager, table, url

RECENT = 50  # executions listed per page of a service
LAST_RUNS = 10  # pipeline runs shown on a pipeline's page
LOG_PAGE = 1000  # log lines per page of an execution


def _status(execution: dict) -> Optional[str]:
    return (execution.get("latestStatus") or {}).get("status")


def execution_url(project_id: str, execution: dict) -> str:
    return url("projects", project_id, "services", execution.get("serviceId") or "-", "executions", execution["id"])


def services_page(ctx, project_id):
    project = lookup.project(ctx, project_id)
    rows = [(link(url("projects", project_id, "services", s["id"], "main"), s["name"]),
             badge("active" if s.get("active") else "paused"), s.get("packageRevision"), s.get("moduleName"),
             s.get("createdAt")) for s in ctx.store.list("service", scope=project_id)]
    return page("Services", table(("name", "state", "package revision", "module", "created"), rows,
                                  "no services yet"), crumbs_of(project, ("Services", None)), ctx.user)


def service_page(ctx, project_id, service_id):
    """A service and a page of its executions, newest first (``?before=<id>``: the page after that one)."""
    project = lookup.project(ctx, project_id)
    service = lookup.in_project(ctx, "service", project_id, service_id)
    before = ctx.args.get("before")
    where, params = "json_extract(doc, '$.serviceId') = ?", [service_id]
    if before:
        lookup.check_id(before, "page cursor")
        where, params = where + " AND id < ?", params + [before]
    executions = ctx.store.list("execution", scope=project_id, where=where, params=params, order="id DESC",
                                limit=RECENT + 1)
    rows = [(link(execution_url(project_id, e), e["id"]), e.get("functionName"), badge(_status(e)),
             e.get("duration"), e.get("createdAt")) for e in executions[:RECENT]]
    here = lambda **q: url("projects", project_id, "services", service_id, "main", **q)
    older = here(before=executions[RECENT - 1]["id"]) if len(executions) > RECENT else None
    package = ctx.store.find("package", service.get("packageId") or "") or {}
    facts = fields([("state", badge("active" if service.get("active") else "paused")),
                    ("package", link(url("projects", project_id, "packages", package["id"], "main"),
                                     package.get("name")) if package else None),
                    ("module", service.get("moduleName")), ("runtime", json_block(service.get("runtime"))),
                    ("bot", service.get("botUserName")), ("id", service["id"])])
    body = Markup("{}<h2>Executions</h2>{}{}").format(
        facts, table(("execution", "function", "status", "duration (s)", "created"), rows, "no executions yet"),
        pager(here() if before else None, older))
    return page(f"Service {service['name']}", body, crumbs_of(
        project, ("Services", url("projects", project_id, "services")), (service["name"], None)), ctx.user)


def execution_page(ctx, project_id, service_id, execution_id):
    """An execution: status, its status history, input, output and its log lines."""
    project = lookup.project(ctx, project_id)
    service = lookup.in_project(ctx, "service", project_id, service_id)
    execution = lookup.child(ctx, "execution", service_id, execution_id, "serviceId")
    after = cursor(ctx)
    lines = ctx.emulator.extensions["faas"].logs.query(service_id, after, LOG_PAGE + 1, [execution_id])
    logs = table(("time", "level", "message"), [(line["timestamp"], line["level"], line["message"])
                                                for line in lines[:LOG_PAGE]], "no log lines", css="log")
    here = lambda **q: url("projects", project_id, "services", service_id, "executions", execution_id, **q)
    following = here(after=lines[LOG_PAGE - 1]["seq"]) if len(lines) > LOG_PAGE else None
    latest = execution.get("latestStatus") or {}
    facts = fields([("status", badge(latest.get("status"))), ("message", latest.get("message")),
                    ("function", execution.get("functionName")), ("attempts", execution.get("attempts")),
                    ("duration (s)", execution.get("duration")), ("created", execution.get("createdAt")),
                    ("pipeline", _pipeline_link(project_id, execution.get("pipeline"))), ("id", execution["id"])])
    history = table(("status", "percent", "message", "time"), [
        (badge(s.get("status")), s.get("percentComplete"), s.get("message"), s.get("timestamp"))
        for s in execution.get("statusLog") or execution.get("status") or [] if isinstance(s, dict)])
    body = Markup("{}<h2>Status history</h2>{}<h2>Input</h2>{}<h2>Output</h2>{}<h2>Logs</h2>{}{}").format(
        facts, history, json_block(execution.get("input")), json_block(execution.get("output")), logs,
        pager(here() if after else None, following))
    return page(f"Execution {execution_id}", body, crumbs_of(
        project, ("Services", url("projects", project_id, "services")),
        (service["name"], url("projects", project_id, "services", service_id, "main")), (execution_id, None)),
        ctx.user, run_status=latest.get("status"))


def _pipeline_link(project_id: str, pipeline) -> Optional[Markup]:
    if not isinstance(pipeline, dict) or not pipeline.get("id"):
        return None
    if pipeline.get("executionId"):
        return link(url("projects", project_id, "pipelines", pipeline["id"], "executions", pipeline["executionId"]),
                    pipeline.get("executionId"))
    return link(url("projects", project_id, "pipelines", pipeline["id"]), pipeline["id"])


def packages_page(ctx, project_id):
    project = lookup.project(ctx, project_id)
    rows = [(link(url("projects", project_id, "packages", p["id"], "main"), p["name"]), p.get("version"),
             p.get("type"), p.get("createdAt")) for p in ctx.store.list("package", scope=project_id)]
    return page("Packages", table(("name", "version", "type", "created"), rows, "no packages yet"),
                crumbs_of(project, ("Packages", None)), ctx.user)


def package_page(ctx, project_id, package_id):
    project = lookup.project(ctx, project_id)
    package = lookup.in_project(ctx, "package", project_id, package_id)
    functions = [(module.get("name"), function.get("name"),
                  ", ".join(f"{i.get('name')}: {i.get('type')}" for i in function.get("input") or []),
                  ", ".join(f"{o.get('name')}: {o.get('type')}" for o in function.get("output") or []))
                 for module in package.get("modules") or [] for function in module.get("functions") or []]
    services = [(link(url("projects", project_id, "services", s["id"], "main"), s["name"]), s.get("packageRevision"))
                for s in ctx.store.find_by("service", "packageId", package_id, scope=project_id)]
    body = Markup("{}<h2>Functions</h2>{}<h2>Services</h2>{}").format(
        fields([("version", package.get("version")), ("type", package.get("type")), ("id", package["id"])]),
        table(("module", "function", "inputs", "outputs"), functions, "no functions"),
        table(("service", "revision"), services, "not deployed"))
    return page(f"Package {package['name']}", body, crumbs_of(
        project, ("Packages", url("projects", project_id, "packages")), (package["name"], None)), ctx.user)


def trigger_page(ctx, project_id, trigger_id):
    project = lookup.project(ctx, project_id)
    trigger = lookup.in_project(ctx, "trigger", project_id, trigger_id)
    return page(f"Trigger {trigger.get('name')}", json_block(trigger),
                crumbs_of(project, (trigger.get("name"), None)), ctx.user)


def pipelines_page(ctx, project_id):
    project = lookup.project(ctx, project_id)
    rows = [(link(url("projects", project_id, "pipelines", p["id"]), p["name"]), badge(p.get("status")),
             len(p.get("nodes") or []), ctx.store.count("pipeline_execution", scope=p["id"]), p.get("createdAt"))
            for p in ctx.store.list("pipeline", scope=project_id)]
    return page("Pipelines", table(("name", "status", "nodes", "runs", "created"), rows, "no pipelines yet"),
                crumbs_of(project, ("Pipelines", None)), ctx.user)


def pipeline_page(ctx, project_id, pipeline_id):
    """A pipeline: its nodes, its connections and its last runs with each node's status."""
    project = lookup.project(ctx, project_id)
    pipeline = lookup.in_project(ctx, "pipeline", project_id, pipeline_id)
    nodes = [n for n in pipeline.get("nodes") or [] if isinstance(n, dict)]
    names = {n.get("id"): n.get("name") or n.get("id") for n in nodes}
    starts = {s.get("nodeId") for s in pipeline.get("startNodes") or [] if isinstance(s, dict)}
    node_rows = [(n.get("name"), n.get("type"), (n.get("namespace") or {}).get("functionName"),
                  ", ".join(str(p.get("name")) for p in n.get("inputs") or []),
                  ", ".join(str(p.get("name")) for p in n.get("outputs") or []), "start" if n.get("id") in starts
                  else "") for n in nodes]
    links = [(names.get((c.get("src") or {}).get("nodeId")), names.get((c.get("tgt") or {}).get("nodeId")),
              c.get("action")) for c in pipeline.get("connections") or [] if isinstance(c, dict)]
    runs = ctx.store.list("pipeline_execution", scope=pipeline_id, order="id DESC", limit=LAST_RUNS)
    run_rows = []
    for run in runs:
        status_of = {n.get("id"): n.get("status") for n in run.get("nodes") or [] if isinstance(n, dict)}
        run_rows.append((link(url("projects", project_id, "pipelines", pipeline_id, "executions", run["id"]),
                              run["id"]), badge(run.get("status")), run.get("createdAt"),
                         *(badge(status_of.get(n.get("id"))) for n in nodes)))
    body = Markup("{}<h2>Nodes</h2>{}<h2>Connections</h2>{}<h2>Last runs</h2>{}").format(
        fields([("status", badge(pipeline.get("status"))), ("id", pipeline["id"]),
                ("installed", pipeline.get("installedAt"))]),
        table(("node", "type", "function", "inputs", "outputs", ""), node_rows, "no nodes"),
        table(("from", "to", "action"), links, "no connections"),
        table(("run", "status", "created", *(names[n.get("id")] for n in nodes)), run_rows, "no runs yet",
              css="runs"))
    return page(f"Pipeline {pipeline['name']}", body, crumbs_of(
        project, ("Pipelines", url("projects", project_id, "pipelines")), (pipeline["name"], None)), ctx.user)


def pipeline_execution_page(ctx, project_id, pipeline_id, execution_id):
    """One pipeline run: its status, input, each node's status and the executions it ran per node."""
    project = lookup.project(ctx, project_id)
    pipeline = lookup.in_project(ctx, "pipeline", project_id, pipeline_id)
    run = lookup.child(ctx, "pipeline_execution", pipeline_id, execution_id, "pipelineId")
    executions = run.get("executions") or {}
    rows = []
    for node in run.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        ran = [e for e in executions.get(node.get("id")) or [] if isinstance(e, dict) and e.get("id")]
        rows.append((node.get("name"), node.get("type"), badge(node.get("status")), Markup(", ").join(
            Markup("{} {}").format(link(execution_url(project_id, e), e["id"]), badge(_status(e))) for e in ran)))
    body = Markup("{}<h2>Nodes</h2>{}<h2>Input</h2>{}").format(
        fields([("status", badge(run.get("status"))), ("created", run.get("createdAt")), ("id", run["id"])]),
        table(("node", "type", "status", "executions"), rows, "no nodes", css="nodes"), json_block(run.get("input")))
    return page(f"Pipeline run {execution_id}", body, crumbs_of(
        project, ("Pipelines", url("projects", project_id, "pipelines")),
        (pipeline["name"], url("projects", project_id, "pipelines", pipeline_id)), (execution_id, None)), ctx.user,
        run_status=run.get("status"))
