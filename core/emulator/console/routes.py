"""The console's route table, mounted by the app under ``/console`` (the API's bearer auth does not apply: the
pages check the console session cookie themselves)."""
from __future__ import annotations

from ..routing import Route
from . import data, faas, media, misc, session, work
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
    (P + "/tasks", work.tasks_page),
    (P + "/tasks/<task_id>", work.task_page),
    (P + "/tasks/<task_id>/assignments", work.assignments_page),
    (P + "/tasks/<task_id>/assignments/<assignment_id>", work.task_assignment_page),
    (P + "/assignments/<assignment_id>", work.assignment_page),
    (P + "/services", faas.services_page),
    (P + "/services/<service_id>", faas.service_page),
    (P + "/services/<service_id>/main", faas.service_page),
    (P + "/services/<service_id>/executions/<execution_id>", faas.execution_page),
    (P + "/packages", faas.packages_page),
    (P + "/packages/<package_id>/main", faas.package_page),
    (P + "/triggers/<trigger_id>", faas.trigger_page),
    (P + "/pipelines", faas.pipelines_page),
    (P + "/pipelines/<pipeline_id>", faas.pipeline_page),
    (P + "/pipelines/<pipeline_id>/executions/<execution_id>", faas.pipeline_execution_page),
    (P + "/recipes", misc.recipes_page),
    (P + "/recipes/<recipe_id>", misc.recipe_page),
    ("/iam/<org_id>/members", misc.org_members_page),
    ("/commands", misc.commands_page),
    ("/commands/<command_id>", misc.command_page),
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
