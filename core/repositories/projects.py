"""Projects (wire §3.3): create/get/list/update/delete, members, checkout and console links."""
from __future__ import annotations

import json
import logging
import os
import tempfile
import webbrowser
from typing import List, Optional

from .._enums import coerce
from .._repository import Repository, confirm_delete, path
from ..entities.project import MemberRole, Project
from ..entities.user import User
from ..exceptions import NotFound

logger = logging.getLogger("dataloop_core.projects")
STATE_FILE = "state.json"


def load_state(state_dir: str) -> dict:
    """The local checkout state (``<state_dir>/state.json``), ``{}`` when there is none."""
    try:
        with open(os.path.join(state_dir, STATE_FILE), encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def save_state(state_dir: str, key: str, value: dict) -> None:
    """Store one checked-out entity (``project``, ``dataset``, ...) atomically."""
    state = load_state(state_dir)
    state[key] = value
    os.makedirs(state_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".state-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    os.replace(tmp, os.path.join(state_dir, STATE_FILE))


def _role(role) -> str:
    return coerce(MemberRole, role, "project role").value


class Projects(Repository):
    """``client.projects`` (all projects of the user) or ``org.projects`` (one organization's)."""

    def _build(self, json: dict) -> Project:
        return Project(self._client, json)

    # -- reads -----------------------------------------------------------------------------------
    def list(self) -> List[Project]:
        """Every project the user is a member of (of the bound organization, if any)."""
        org = self._parent("org", required=False)
        url = path("/orgs/{}/projects", org.id) if org is not None else "/projects"
        return [self._build(j) for j in self._request("GET", url)]

    def get(self, project_name: Optional[str] = None, project_id: Optional[str] = None, checkout: bool = False,
            fetch: Optional[bool] = None, log_error: bool = True) -> Project:
        """A project by id or name; with neither, the checked-out one. ``fetch=False`` builds a local stub."""
        if fetch is False:
            if project_id is None and project_name is None:
                raise ValueError("fetch=False needs project_id or project_name")
            return self._build({"id": project_id, "name": project_name})
        if project_id is not None:
            project = self._build(self._request("GET", path("/projects/{}", project_id)))
            if project_name is not None and project.name != project_name:
                raise ValueError(f"project {project_id} is named {project.name!r}, not {project_name!r}")
        elif project_name is not None:
            project = self._get_by_name(project_name)
        else:
            checked_out = load_state(self._client.state_dir).get("project")
            if not checked_out:
                raise ValueError("pass project_id or project_name (no project is checked out)")
            project = self._build(checked_out)
        if checkout:
            self.checkout(project=project)
        return project

    def _get_by_name(self, name: str) -> Project:
        matches = self._request("GET", path("/projects/{}/name", name)) or []
        if not matches:
            raise NotFound("404", f"Project not found: {name}")
        if len(matches) > 1:
            raise NotFound("404", f"More than one project named {name!r}; get it by id")
        return self._build(matches[0])

    def get_system_project(self, org_id: Optional[str] = None) -> Project:
        """The organization's system project (``systemProject: true``)."""
        url = path("/orgs/{}/projects", org_id) if org_id is not None else "/projects"
        for project_json in self._request("GET", url):
            if project_json.get("systemProject") is True:
                return self._build(project_json)
        raise NotFound("404", f"System project not found for org_id: {org_id}")

    # -- writes ----------------------------------------------------------------------------------
    def create(self, project_name: str, checkout: bool = False) -> Project:
        """Create a project (form-urlencoded ``name=``, as the platform expects)."""
        if not isinstance(project_name, str) or not project_name.strip():
            raise ValueError("project_name must be a non-empty string")
        project = self._build(self._request("POST", "/projects", data={"name": project_name}))
        if checkout:
            self.checkout(project=project)
        return project

    def update(self, project: Project, system_metadata: bool = False) -> Project:
        """Send the full project JSON; the entity is refreshed from the answer."""
        params = {"system": "true"} if system_metadata else None
        answer = self._request("PATCH", path("/projects/{}", project.id), json=project.to_json(), params=params)
        if isinstance(answer, dict):
            project._refresh_from(answer)
        return project

    def delete(self, project_name: Optional[str] = None, project_id: Optional[str] = None, sure: bool = False,
               really: bool = False) -> bool:
        """Delete a project forever (needs ``sure=True, really=True``)."""
        confirm_delete(sure, really, "a project")
        if project_id is None:
            if project_name is None:
                raise ValueError("pass project_id or project_name")
            project_id = self._get_by_name(project_name).id
        self._request("DELETE", path("/projects/{}", project_id))
        return True

    # -- members ---------------------------------------------------------------------------------
    def add_member(self, email: str, project_id: str, role: MemberRole = MemberRole.DEVELOPER) -> dict:
        return self._request("POST", path("/projects/{}/members/{}", project_id, email), json={"role": _role(role)})

    def update_member(self, email: str, project_id: str, role: MemberRole = MemberRole.DEVELOPER) -> dict:
        return self._request("PATCH", path("/projects/{}/members/{}", project_id, email),
                             json={"role": _role(role)})

    def remove_member(self, email: str, project_id: str) -> dict:
        return self._request("DELETE", path("/projects/{}/members/{}", project_id, email))

    def list_members(self, project: Project, role: Optional[MemberRole] = None) -> List[User]:
        """Members of ``project`` (filtered by ``role`` when given)."""
        wanted = _role(role) if role is not None else None
        users = [User(self._client, j, project=project)
                 for j in self._request("GET", path("/projects/{}/members", project.id))]
        return [u for u in users if wanted is None or u.role == wanted]

    # -- local -----------------------------------------------------------------------------------
    def checkout(self, identifier: Optional[str] = None, project_name: Optional[str] = None,
                 project_id: Optional[str] = None, project: Optional[Project] = None) -> None:
        """Make a project the default one (stored in ``<state_dir>/state.json``)."""
        if project is None:
            if project_id is not None or project_name is not None:
                project = self.get(project_name=project_name, project_id=project_id)
            elif identifier is not None:
                project = self._get_by_identifier(identifier)
            else:
                raise ValueError("pass identifier, project_name, project_id or project to checkout")
        save_state(self._client.state_dir, "project", project.to_json())
        logger.info("checked out project %s", project.name)

    def _get_by_identifier(self, identifier: str) -> Project:
        matches = [p for p in self.list() if identifier in (p.id or "") or identifier in (p.name or "")]
        if len(matches) != 1:
            state = "no project" if not matches else f"{len(matches)} projects"
            raise NotFound("404", f"{state} match identifier {identifier!r}")
        return matches[0]

    @property
    def platform_url(self) -> str:
        return self._client.console_url + "projects"

    def open_in_web(self, project_name: Optional[str] = None, project_id: Optional[str] = None,
                    project: Optional[Project] = None) -> None:
        """Open the project (or the projects page) in the console."""
        if project is None and project_name is not None:
            project = self.get(project_name=project_name)
        if project is not None:
            url = project.platform_url
        elif project_id is not None:
            url = f"{self.platform_url}/{project_id}"
        else:
            url = self.platform_url
        webbrowser.open(url=url, new=2, autoraise=True)
