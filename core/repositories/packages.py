"""Packages (wire §3.12): list/get/revisions, push (pack codebase + create/update), update, delete, deploy,
pull/build, and the local helpers (generate, requirements, trigger dicts, local test runs)."""
from __future__ import annotations

import json
import logging
import os
import sys
import webbrowser
from typing import List, Optional

from .. import local_runner
from .._repository import Repository, own_filters, path
from .._transfer import safe_join
from ..entities.package import (DEFAULT_CLASS_NAME, DEFAULT_ENTRY_POINT, DEFAULT_FUNCTION_NAME, DEFAULT_MODULE_NAME,
                                Package, PackageRequirement, modules_json)
from ..exceptions import BadRequest, NotFound
from ..filters import Filters, FiltersResource
from ..paging import PagedEntities
from .projects import load_state, save_state

logger = logging.getLogger("dataloop_core.packages")
REVISION_INCREMENTS = ("patch", "minor", "major")


def bump_version(version: str, revision_increment: str) -> str:
    """``1.2.3`` bumped by ``patch``/``minor``/``major`` (lower parts reset as in semver)."""
    if revision_increment not in REVISION_INCREMENTS:
        raise ValueError(f"revision_increment must be one of {REVISION_INCREMENTS}, got {revision_increment!r}")
    parts = str(version or "1.0.0").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"package version {version!r} is not a 3-part semver")
    major, minor, patch = map(int, parts)
    if revision_increment == "major":
        return f"{major + 1}.0.0"
    if revision_increment == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


class Packages(Repository):
    """``project.packages`` (or ``client.packages`` with explicit ids)."""

    def _build(self, json: dict) -> Package:
        project = self._parent("project", required=False)
        if project is not None and project.id != json.get("projectId"):
            project = None
        return Package(self._client, json, project=project)

    def _project(self, project=None, project_id: Optional[str] = None):
        if project is not None:
            return project
        if project_id is not None:
            return self._client.projects.get(project_id=project_id)
        return self._parent("project")

    # -- reads -----------------------------------------------------------------------------------
    def list(self, filters: Optional[Filters] = None, project_id: Optional[str] = None) -> PagedEntities:
        """Packages of the project (``POST /query/faas``, resource ``packages``)."""
        filters = own_filters(filters, FiltersResource.PACKAGE)
        project = self._parent("project", required=False)
        project_id = project_id or (project.id if project is not None else None)
        if project_id is not None:
            filters.add(field="projectId", values=project_id)
        return PagedEntities(lambda body: self._request("POST", "/query/faas", json=body, retry_safe=True),
                             filters, self._build)

    def get(self, package_name: Optional[str] = None, package_id: Optional[str] = None, checkout: bool = False,
            fetch: Optional[bool] = None) -> Package:
        """A package by id, by name within the project, or the checked-out one."""
        if fetch is False:
            package = self._build({"id": package_id, "name": package_name})
        elif package_id is not None:
            package = self._build(self._request("GET", path("/packages/{}", package_id)))
            if package_name is not None and package.name != package_name:
                raise ValueError(f"package {package_id} is named {package.name!r}, not {package_name!r}")
        elif package_name is not None:
            filters = Filters(field="name", values=package_name, resource=FiltersResource.PACKAGE, use_defaults=False)
            pages = self.list(filters=filters)
            if pages.items_count == 0:
                raise NotFound("404", f"Package not found. Name: {package_name}")
            if pages.items_count > 1:
                raise BadRequest("400", f"More than one package named {package_name!r}: get it from its project")
            package = pages.items[0]
        else:
            checked_out = load_state(self._client.state_dir).get("package")
            if not checked_out:
                raise ValueError("pass package_id or package_name (no package is checked out)")
            package = self._build(checked_out)
        if checkout:
            self.checkout(package=package)
        return package

    def revisions(self, package: Optional[Package] = None, package_id: Optional[str] = None) -> list:
        """Every revision of the package (``GET /packages/{id}/revisions``), oldest first."""
        if package is None and package_id is None:
            raise ValueError("pass package or package_id")
        return self._request("GET", path("/packages/{}/revisions", package_id or package.id))

    # -- writes ----------------------------------------------------------------------------------
    def push(self, project=None, project_id: Optional[str] = None, package_name: Optional[str] = None,
             src_path: Optional[str] = None, codebase=None, modules=None, is_global: Optional[bool] = None,
             checkout: bool = False, revision_increment: Optional[str] = None, version: Optional[str] = None,
             ignore_sanity_check: bool = False, service_update: bool = False, service_config: Optional[dict] = None,
             slots: Optional[list] = None, requirements: Optional[list] = None, package_type=None,
             metadata: Optional[dict] = None) -> Package:
        """Pack ``src_path`` as the next codebase version (unless ``codebase`` is given) and create the package,
        or update it when one with that name exists."""
        project = self._project(project, project_id)
        if src_path is None and codebase is None:
            src_path = os.getcwd()
        from_file = {}
        if src_path is not None:
            if not os.path.isdir(src_path):
                raise ValueError(f"src_path is not a directory: {src_path}")
            package_file = os.path.join(src_path, local_runner.PACKAGE_FILENAME)
            if os.path.isfile(package_file):
                with open(package_file, encoding="utf-8") as handle:
                    from_file = json.load(handle)
            requirements_file = os.path.join(src_path, local_runner.REQUIREMENTS_FILENAME)
            if requirements is None and os.path.isfile(requirements_file):
                requirements = self.build_requirements(requirements_file)
        package_name = package_name or from_file.get("name") or "default-package"
        modules = modules if modules is not None else from_file.get("modules")
        slots = slots if slots is not None else from_file.get("slots")
        if codebase is None and not ignore_sanity_check:
            modules = local_runner.sanity_check(src_path, modules)
        modules = modules_json(modules)
        if slots:
            self._check_slots(slots, modules)
        self._request("GET", path("/piper-misc/naming/packages/{}", package_name))
        packed = codebase is None
        if packed:
            codebase = project.codebases.pack(directory=src_path, name=package_name)
        fields = {"modules": modules, "slots": slots, "global": is_global, "version": version,
                  "serviceConfig": service_config, "metadata": metadata, "type": package_type,
                  "codebase": codebase.to_json() if hasattr(codebase, "to_json") else codebase,
                  "requirements": None if requirements is None else [
                      r.to_json() if isinstance(r, PackageRequirement) else r for r in requirements]}
        fields = {k: v for k, v in fields.items() if v is not None}
        existing = self.list(filters=Filters(field="name", values=package_name, resource=FiltersResource.PACKAGE,
                                             use_defaults=False), project_id=project.id)
        if existing.items_count:
            package = existing.items[0]
            package._json.update(fields)
            package = self.update(package=package, revision_increment=revision_increment)
        else:
            body = {"name": package_name, "global": False, "type": "faas", "projectId": project.id, **fields}
            package = Package(self._client, self._request("POST", "/packages", json=body), project=project)
        if checkout:
            self.checkout(package=package)
        if service_update:
            service = package.services.get(service_name=package.name)
            service.package_revision = package.version
            service.update()
        return package

    @staticmethod
    def _check_slots(slots: list, modules: Optional[List[dict]]) -> None:
        for slot in slots:
            slot = slot.to_json() if hasattr(slot, "to_json") else slot
            module = next((m for m in modules or [] if m["name"] == slot.get("moduleName")), None)
            if module is None:
                raise ValueError(f"module {slot.get('moduleName')!r} of a slot is not defined in modules")
            if slot.get("functionName") not in [f["name"] for f in module.get("functions") or []]:
                raise ValueError(f"function {slot.get('functionName')!r} of a slot is not in module "
                                 f"{module['name']!r}")

    def update(self, package: Package, revision_increment: Optional[str] = None) -> Package:
        """Send the full package (``PATCH /packages/{id}``), its version bumped by ``revision_increment``."""
        if revision_increment is not None:
            package.version = bump_version(package.version, revision_increment)
        json_body = package.to_json()
        return self._build(self._request("PATCH", path("/packages/{}", package.id), json=json_body))

    def delete(self, package: Optional[Package] = None, package_name: Optional[str] = None,
               package_id: Optional[str] = None) -> bool:
        """Delete the package and its codebase versions in the Binaries dataset."""
        if package is None:
            package = self.get(package_id=package_id, package_name=package_name)
        try:
            codebases = self._project(project_id=package.project_id).codebases
            for version in list(codebases.list_versions(package.name).all()):
                version.delete()
        except NotFound:
            logger.debug("no codebases to delete for package %s", package.name)
        self._request("DELETE", path("/packages/{}", package.id))
        return True

    def deploy(self, package_id: Optional[str] = None, package_name: Optional[str] = None,
               package: Optional[Package] = None, service_name: Optional[str] = None, **kwargs):
        """Deploy a service of the package (``Services.deploy``)."""
        if package is None:
            package = self.get(package_id=package_id, package_name=package_name)
        return package.services.deploy(package=package, service_name=service_name, **kwargs)

    def deploy_from_file(self, project, json_filepath: str):
        """Push the package described by a package.json and deploy (create or update) its services and triggers.
        Returns ``(services, package)``."""
        with open(json_filepath, encoding="utf-8") as handle:
            data = json.load(handle)
        package = project.packages.push(package_name=data["name"], modules=data["modules"],
                                        src_path=os.path.dirname(os.path.abspath(json_filepath)))
        services = []
        for spec in data.get("services") or []:
            spec = dict(spec)
            triggers = spec.pop("triggers", None) or []
            spec.pop("packageRevision", None)
            try:
                service = project.services.get(service_name=spec["name"])
                service._json.update({k: v for k, v in spec.items() if k != "runtime"})
                service.package_revision = package.version
                service = service.update()
            except NotFound:
                service = package.services.deploy(service_name=spec["name"], module_name=spec.get("moduleName"),
                                                  init_input=spec.get("initParams"))
            existing = {t.name: t for t in service.triggers.list().all()}
            for trigger in triggers:
                spec_json = trigger["spec"]
                if trigger["name"] in existing:
                    current = existing[trigger["name"]]
                    current._json["spec"] = {**current._json.get("spec", {}), **spec_json,
                                             "operation": {**current._json["spec"]["operation"],
                                                           **spec_json.get("operation", {})}}
                    current.update()
                else:
                    service.triggers.create(name=trigger["name"], trigger_type=trigger.get("type", "Event"),
                                            function_name=spec_json["operation"]["functionName"],
                                            resource=spec_json.get("resource", "Item"),
                                            actions=spec_json.get("actions"), filters=spec_json.get("filter"),
                                            execution_mode=spec_json.get("executionMode", "Once"),
                                            cron=spec_json.get("cron"))
            services.append(service)
        return services, package

    # -- code on this machine --------------------------------------------------------------------
    def pull(self, package: Package, version: Optional[str] = None, local_path: Optional[str] = None,
             project_id: Optional[str] = None) -> str:
        """Download the package's codebase (of ``version``, default the current one); returns the folder."""
        revision = package
        if version is not None and version != package.version:
            matches = [r for r in self.revisions(package=package) if r.get("version") == version]
            if not matches:
                raise NotFound("404", f"Version not found: version={version}")
            revision = Package(self._client, matches[-1], **package._context)
        local_path = local_path or safe_join(os.path.join(self._client.state_dir, "packages"),
                                             f"/{package.name}-{package.id}/{revision.version}")
        codebase = revision.codebase
        if codebase is None or not codebase.is_remote:
            raise ValueError(f"package {package.name!r} has no item or git codebase to pull")
        project = self._project(project_id=project_id or package.project_id)
        return project.codebases.unpack(codebase=codebase, local_path=local_path)

    def build(self, package: Package, module_name: Optional[str] = None, init_inputs: Optional[dict] = None,
              local_path: Optional[str] = None, from_local: Optional[bool] = None):
        """An instance of the module's runner class, from the downloaded (or local) codebase."""
        module_name = module_name or DEFAULT_MODULE_NAME
        codebase = package.codebase
        if codebase is None:
            raise ValueError(f"package {package.name!r} has no codebase: unable to build a module")
        from_local = codebase.is_local if from_local is None else from_local
        if not from_local:
            local_path = self.pull(package=package, local_path=local_path)
        local_path = local_path or getattr(codebase, "local_path", None) or os.getcwd()
        module = next((m for m in package.modules if m.name == module_name), None)
        if module is None:
            raise ValueError(f"module {module_name!r} not in package (modules: {[m.name for m in package.modules]})")
        if local_path not in sys.path:
            sys.path.append(local_path)
        cls = local_runner.load_class(os.path.join(local_path, module.entry_point), module.class_name)
        return cls(**(init_inputs or {}))

    @staticmethod
    def build_requirements(filepath: str) -> List[PackageRequirement]:
        """Requirements of a pip requirements file."""
        return local_runner.build_requirements(filepath)

    @staticmethod
    def generate(name: Optional[str] = None, src_path: Optional[str] = None, service_name: Optional[str] = None,
                 package_type: str = "default_package_type") -> None:
        """Write a new package skeleton (package.json, mock.json, main.py, .gitignore); existing files are kept."""
        if package_type != "default_package_type":
            raise ValueError(f"package_type {package_type!r} is not supported; use 'default_package_type'")
        src_path = src_path or os.getcwd()
        os.makedirs(src_path, exist_ok=True)
        files = local_runner.generate_files(name or "default-package", service_name or "default-service")
        for filename, content in files.items():
            target = os.path.join(src_path, filename)
            if not os.path.exists(target):
                with open(target, "w", encoding="utf-8") as handle:
                    handle.write(content)

    @staticmethod
    def build_trigger_dict(actions, name: str = "default_module", filters=None, function: str = "run",
                           execution_mode: str = "Once", type_t: str = "Event") -> dict:
        """A trigger spec as package.json's services[].triggers expect it."""
        actions = actions if isinstance(actions, list) else [actions]
        filters = filters.prepare().get("filter", {}) if hasattr(filters, "prepare") else (filters or {})
        return {"name": name, "type": getattr(type_t, "value", type_t),
                "spec": {"filter": filters, "executionMode": getattr(execution_mode, "value", execution_mode),
                         "resource": "Item", "actions": [getattr(a, "value", a) for a in actions], "input": {},
                         "operation": {"type": "function", "functionName": function}}}

    @staticmethod
    def check_cls_arguments(cls, missing: list, function_name: str, function_inputs) -> None:
        """Append to ``missing`` the function's arguments that are neither declared inputs nor defaulted."""
        local_runner.check_cls_arguments(cls, missing, function_name, function_inputs)

    @staticmethod
    def is_multithread(inputs: list) -> bool:
        return local_runner.is_multithread(inputs)

    def test_local_package(self, cwd: Optional[str] = None, concurrency: Optional[int] = None,
                           package: Optional[Package] = None, module_name: str = DEFAULT_MODULE_NAME,
                           function_name: str = DEFAULT_FUNCTION_NAME, class_name: str = DEFAULT_CLASS_NAME,
                           entry_point: str = DEFAULT_ENTRY_POINT, mock_file_path: Optional[str] = None):
        """Run the function locally with the inputs of ``mock.json`` (entity inputs are fetched by id)."""
        cwd = cwd or os.getcwd()
        with open(os.path.join(cwd, mock_file_path or local_runner.MOCK_FILENAME), encoding="utf-8") as handle:
            inputs = json.load(handle).get("inputs") or []
        runner = local_runner.LocalServiceRunner(
            self._client, self, cwd=cwd, multithreading=self.is_multithread(inputs), concurrency=concurrency,
            package=package, module_name=module_name, function_name=function_name, class_name=class_name,
            entry_point=entry_point, mock_file_path=mock_file_path)
        return runner.run_local_project(project=self._parent("project", required=False))

    # -- local state and console -----------------------------------------------------------------
    def checkout(self, package: Optional[Package] = None, package_id: Optional[str] = None,
                 package_name: Optional[str] = None) -> None:
        if package is None:
            package = self.get(package_id=package_id, package_name=package_name)
        save_state(self._client.state_dir, "package", package.to_json())

    def open_in_web(self, package: Optional[Package] = None, package_id: Optional[str] = None,
                    package_name: Optional[str] = None) -> None:
        if package is None and (package_name is not None or package_id is not None):
            package = self.get(package_id=package_id, package_name=package_name)
        url = package.platform_url if package is not None else \
            f"{self._client.console_url}projects/{self._parent('project').id}/packages"
        webbrowser.open(url=url, new=2, autoraise=True)
