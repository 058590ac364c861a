"""Services (wire §3.14): deploy (create or update), get/list, pause/resume/restart, status, revisions,
logs, execute, slot activation, checkout and console links."""
from __future__ import annotations

import copy
import datetime
import inspect
import json
import os
import tempfile
import webbrowser
from typing import List, Optional

from .._repository import Repository, exactly_one, own_filters, path, prune
from ..entities.function_io import FunctionIO, PackageInputType
from ..entities.service import KubernetesRuntime, Service
from ..entities.service_log import ServiceLog
from ..exceptions import NotFound
from ..filters import Filters, FiltersResource
from ..paging import PagedEntities
from .projects import load_state, save_state

SERVICE_FILE = "service.json"


def init_params(init_input) -> dict:
    """``initParams`` from a dict, a ``FunctionIO`` or a list of them."""
    if init_input is None:
        return {}
    if isinstance(init_input, dict):
        return dict(init_input)
    values = init_input if isinstance(init_input, list) else [init_input]
    if not all(isinstance(v, FunctionIO) for v in values):
        raise ValueError(f"init_input must be a dict, a FunctionIO or a list of FunctionIO, not {init_input!r}")
    return {v.name: v.value for v in values}


def runtime_json(runtime, pod_type=None) -> Optional[dict]:
    body = runtime.to_json() if isinstance(runtime, KubernetesRuntime) else copy.deepcopy(runtime)
    if body is not None and not isinstance(body, dict):
        raise ValueError(f"runtime must be a KubernetesRuntime or a dict, got {type(runtime).__name__}")
    if pod_type is not None:
        body = {**(body or {}), "podType": getattr(pod_type, "value", pod_type)}
    return body


class Services(Repository):
    """``project.services``, ``package.services`` (scoped to the package) or ``client.services``."""

    def _build(self, json: dict) -> Service:
        return Service(self._client, json, project=self._parent("project", required=False),
                       package=self._parent("package", required=False))

    def _project_id(self, project_id: Optional[str] = None) -> str:
        if project_id:
            return project_id
        project = self._parent("project", required=False)
        package = self._parent("package", required=False)
        if project is None and package is None:
            self._parent("project")
        return project.id if project is not None else package.project_id

    # -- reads -----------------------------------------------------------------------------------
    def list(self, filters: Optional[Filters] = None) -> PagedEntities:
        """Services of the project (and package) via ``POST /query/faas``."""
        filters = own_filters(filters, FiltersResource.SERVICE)
        project = self._parent("project", required=False)
        package = self._parent("package", required=False)
        if project is not None:
            filters.add(field="projectId", values=project.id)
        if package is not None:
            filters.add(field="packageId", values=package.id)
        return PagedEntities(lambda body: self._request("POST", "/query/faas", json=body, retry_safe=True),
                             filters, self._build)

    def get(self, service_name: Optional[str] = None, service_id: Optional[str] = None, checkout: bool = False,
            fetch: Optional[bool] = None) -> Service:
        """A service by id or by name (within the project/package); with neither, the checked-out one."""
        if fetch is False and (service_id or service_name):
            return self._build({"id": service_id, "name": service_name})
        if service_id is not None:
            service = self._build(self._request("GET", path("/services/{}", service_id)))
            if service_name is not None and service.name != service_name:
                raise ValueError(f"service {service_id} is named {service.name!r}, not {service_name!r}")
        elif service_name is not None:
            service = self._get_by_name(service_name)
        else:
            checked_out = load_state(self._client.state_dir).get("service")
            if not checked_out:
                raise ValueError("pass service_id or service_name (no service is checked out)")
            service = self._build(checked_out)
        if checkout:
            self.checkout(service=service)
        return service

    def _get_by_name(self, name: str) -> Service:
        filters = Filters(field="name", values=name, resource=FiltersResource.SERVICE, use_defaults=False)
        found = self.list(filters=filters)
        if found.items_count != 1:
            reason = "not found" if found.items_count == 0 else "is not unique; get it by id"
            raise NotFound("404", f"Service {reason}: {name}")
        return found.items[0]

    def _resolve(self, service: Optional[Service] = None, service_id: Optional[str] = None,
                 service_name: Optional[str] = None) -> Service:
        exactly_one(service=service, service_id=service_id, service_name=service_name)
        if service is not None:
            return service
        if service_id is not None:
            return self._build({"id": service_id})
        return self.get(service_name=service_name)

    def status(self, service_name: Optional[str] = None, service_id: Optional[str] = None) -> dict:
        service = self._resolve(service_id=service_id, service_name=service_name)
        return self._request("GET", path("/services/{}/status", service.id))

    def revisions(self, service: Optional[Service] = None, service_id: Optional[str] = None) -> list:
        service = self._resolve(service=service, service_id=service_id)
        return self._request("GET", path("/services/{}/revisions", service.id))

    def name_validation(self, name: str) -> None:
        """Raise ``BadRequest`` when the platform rejects ``name`` as a service name."""
        self._request("GET", path("/piper-misc/naming/services/{}", name))

    # -- deploy ----------------------------------------------------------------------------------
    def deploy(self, service_name: Optional[str] = None, package=None, bot=None, revision: Optional[str] = None,
               init_input=None, runtime=None, pod_type=None, sdk_version: Optional[str] = None,
               agent_versions: Optional[dict] = None, verify: bool = True, checkout: bool = False,
               module_name: Optional[str] = None, project_id: Optional[str] = None, driver_id: Optional[str] = None,
               func=None, run_execution_as_process: Optional[bool] = None, execution_timeout: Optional[int] = None,
               drain_time: Optional[int] = None, max_attempts: Optional[int] = None, on_reset: Optional[str] = None,
               force: bool = False, secrets: Optional[list] = None, active: bool = True, **kwargs) -> Service:
        """Create the service, or update the one of that name in the project (wire §3.14)."""
        if func is not None:
            if package is not None:
                raise ValueError("pass either func or package, not both")
            service_name = service_name or "default-service"
            package = self._push_function(func, service_name, project_id or self._project_id())
        package = package if package is not None else self._parent("package", required=False)
        if package is None:
            raise ValueError("deploy needs a package: package.deploy(...) or services.deploy(package=...)")
        if service_name is None:
            service_name = (package.service_config or {}).get("name") or package.name
        project_id = project_id or getattr(package, "project_id", None) or self._project_id()
        params = init_params(init_input) if init_input is not None else None
        versions = agent_versions or ({"dtlpy": sdk_version} if sdk_version else None)
        secrets = secrets if secrets is None or isinstance(secrets, list) else [secrets]
        filters = Filters(field="name", values=service_name, resource=FiltersResource.SERVICE, use_defaults=False)
        filters.add(field="projectId", values=project_id)
        existing = self.list(filters=filters)
        if existing.items_count > 1:
            raise ValueError(f"more than one service named {service_name!r}; pass project_id")
        if existing.items_count == 1:
            service = existing.items[0]
            changes = prune({"runtime": runtime_json(runtime, pod_type) if runtime or pod_type else None,
                             "initParams": params, "packageRevision": revision, "versions": versions,
                             "driverId": driver_id, "secrets": secrets, "executionTimeout": execution_timeout,
                             "drainTime": drain_time, "maxAttempts": max_attempts, "onReset": on_reset,
                             "runExecutionAsProcess": run_execution_as_process, "moduleName": module_name})
            service._json.update(changes)
            service = self.update(service=service, force=force)
        else:
            body = {"name": service_name, "projectId": project_id, "packageId": package.id,
                    "initParams": params or {}, "versions": versions,
                    "packageRevision": revision if revision is not None else package.version,
                    "driverId": driver_id, "active": active}
            body.update(prune({"runtime": runtime_json(runtime, pod_type), "moduleName": module_name,
                               "secrets": secrets, "maxAttempts": max_attempts, "drainTime": drain_time,
                               "runExecutionAsProcess": run_execution_as_process, "onReset": on_reset,
                               "executionTimeout": execution_timeout, "integrations": kwargs.get("integrations")}))
            service = self._build(self._request("POST", "/services", json=body))
        if checkout:
            self.checkout(service=service)
        return service

    def _push_function(self, func, name: str, project_id: str):
        """Push a package named ``name`` whose one function is ``func`` (inputs typed by argument name, as the
        SDK does: ``item`` is an Item, ``dataset`` a Dataset, anything else Json)."""
        from ..entities.package import PackageFunction, PackageModule
        from ..entities.pipeline_node import runner_code
        from .packages import Packages
        if not callable(func):
            raise ValueError(f"func must be a function, got {type(func).__name__}")
        types = {t.value.lower(): t.value for t in PackageInputType if not t.value.endswith("[]")}
        inputs = [FunctionIO(types.get(arg, "Json"), arg) for arg in inspect.signature(func).parameters
                  if arg not in ("progress", "context")]
        module = PackageModule(functions=[PackageFunction(func.__name__, inputs=inputs)])
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "main.py"), "w", encoding="utf-8") as handle:
                handle.write(runner_code(func))
            return Packages(self._client).push(project_id=project_id, package_name=name, src_path=folder,
                                               modules=[module])

    def deploy_from_local_folder(self, cwd: Optional[str] = None, service_file: Optional[str] = None, bot=None,
                                 checkout: bool = False, force: bool = False) -> Service:
        """Deploy as ``service.json`` describes (package by ``packageName``) and create its ``triggers``."""
        cwd = cwd or os.getcwd()
        service_file = service_file or os.path.join(cwd, SERVICE_FILE)
        if not os.path.isfile(service_file):
            raise ValueError(f"service file not found: {service_file}")
        with open(service_file, encoding="utf-8") as handle:
            spec = json.load(handle)
        project = self._parent("project")
        package = project.packages.get(package_name=spec.get("packageName")) if spec.get("packageName") \
            else project.packages.get()
        service = self.deploy(service_name=spec.get("name"), package=package, revision=spec.get("revision"),
                              init_input=spec.get("initParams"), runtime=spec.get("runtime") or None,
                              agent_versions=spec.get("versions"), module_name=spec.get("module_name"),
                              execution_timeout=spec.get("execution_timeout"), drain_time=spec.get("drain_time"),
                              on_reset=spec.get("on_reset"), max_attempts=spec.get("maxAttempts"), force=force,
                              run_execution_as_process=spec.get("run_execution_as_process"), checkout=checkout)
        for trigger in spec.get("triggers") or []:
            service.triggers.create(name=trigger.get("name"), filters=trigger.get("filter") or {},
                                    resource=trigger.get("resource", "Item"), actions=trigger.get("actions"),
                                    function_name=trigger.get("function", "run"),
                                    execution_mode=trigger.get("executionMode", "Once"),
                                    trigger_type=trigger.get("type", "Event"), cron=trigger.get("cron"))
        return service

    # -- writes ----------------------------------------------------------------------------------
    def update(self, service: Service, force: bool = False) -> Service:
        """Send the full service JSON (``?force=true`` restarts running replicas)."""
        answer = self._request("PATCH", path("/services/{}", service.id), json=service.to_json(),
                               params={"force": "true"} if force else None)
        service._refresh_from(answer)
        return service

    def delete(self, service_name: Optional[str] = None, service_id: Optional[str] = None,
               force: bool = False) -> bool:
        service = self._resolve(service_id=service_id, service_name=service_name)
        self._request("DELETE", path("/services/{}", service.id), params={"force": "true"} if force else None)
        return True

    def pause(self, service_name: Optional[str] = None, service_id: Optional[str] = None,
              force: bool = False) -> bool:
        """Stop taking executions (queued ones wait); ``force`` also stops the running ones."""
        service = self._resolve(service_id=service_id, service_name=service_name)
        self._request("POST", path("/services/{}/stop", service.id), params={"force": "true"} if force else None)
        return True

    def resume(self, service_name: Optional[str] = None, service_id: Optional[str] = None,
               force: bool = False) -> dict:
        service = self._resolve(service_id=service_id, service_name=service_name)
        return self._request("POST", path("/services/{}/resume", service.id),
                             params={"force": "true"} if force else None)

    def restart(self, service: Service, replica_name: Optional[str] = None) -> bool:
        """Restart the service's replicas (running executions follow ``onReset``)."""
        self._request("POST", path("/services/{}/restart", service.id), json=prune({"replicaName": replica_name}))
        return True

    # -- logs and executions ---------------------------------------------------------------------
    def log(self, service: Service, size: int = 100, checkpoint: Optional[dict] = None, start: Optional[str] = None,
            end: Optional[str] = None, follow: bool = False, text: Optional[str] = None,
            execution_id: Optional[str] = None, function_name: Optional[str] = None,
            replica_id: Optional[str] = None, system: bool = False, view: bool = True,
            until_completed: bool = True, log_level: str = "DEBUG", project_id: Optional[str] = None):
        """A ``ServiceLog`` (iterate it for lines); ``view=True`` prints them instead and returns ``None``."""
        if not isinstance(service, Service):
            raise ValueError("log needs a Service entity")
        if start is None:
            today = datetime.date.today()
            start = datetime.datetime(today.year, today.month, today.day).isoformat()
        body = {"direction": "asc", "follow": follow, "system": system, "logLevel": str(log_level).upper(),
                "serviceId": service.id, "size": size, "start": start,
                "projectId": project_id or service.project_id}
        body.update(prune({"executionId": [execution_id] if execution_id else None, "functionName": function_name,
                           "text": text, "replicaId": replica_id, "checkpoint": checkpoint, "end": end}))
        page = self._request("POST", "/services/logs", json=body, retry_safe=True) or {}
        logs = ServiceLog(page, service=service, services=self, start=start, follow=follow,
                          execution_id=execution_id, function_name=function_name, replica_id=replica_id,
                          system=system, size=size, text=text, end=end)
        if view:
            logs.view(until_completed=until_completed)
            return None
        return logs

    def execute(self, service: Optional[Service] = None, service_id: Optional[str] = None,
                service_name: Optional[str] = None, sync: bool = False, function_name: Optional[str] = None,
                stream_logs: bool = False, execution_input=None, resource=None, item_id: Optional[str] = None,
                dataset_id: Optional[str] = None, annotation_id: Optional[str] = None,
                project_id: Optional[str] = None):
        """Run a function of the service (see ``Executions.create``)."""
        service = self._resolve(service=service, service_id=service_id, service_name=service_name)
        from .executions import Executions
        return Executions(self._client, service=service, project=self._parent("project", required=False)).create(
            execution_input=execution_input, function_name=function_name, resource=resource, item_id=item_id,
            dataset_id=dataset_id, annotation_id=annotation_id, project_id=project_id, sync=sync,
            stream_logs=stream_logs)

    def activate_slots(self, service: Service, project_id: Optional[str] = None, task_id: Optional[str] = None,
                       dataset_id: Optional[str] = None, org_id: Optional[str] = None,
                       user_email: Optional[str] = None, slots=None, role=None, prevent_override: bool = True,
                       visible: bool = True, icon: str = "fas fa-magic", **kwargs) -> List[dict]:
        """One setting per scope that shows the package's slots as buttons (existing ones are updated)."""
        scopes = [("project", project_id), ("task", task_id), ("dataset", dataset_id), ("org", org_id),
                  ("user", user_email)]
        scopes = [(kind, value) for kind, value in scopes if value is not None]
        if kwargs.get("is_global"):
            scopes = [("DATALOOP", "*")]
        if not scopes:
            raise ValueError("pass at least one scope: project_id, task_id, dataset_id, org_id or user_email")
        if slots is None:
            slots = service.package.slots
        slots = [s.to_json() if hasattr(s, "to_json") else s for s in slots or []]
        if not slots:
            raise ValueError("the service's package has no slots")
        settings = []
        for kind, scope_id in scopes:
            body = {"name": service.name, "valueType": "boolean", "settingType": "feature", "value": True,
                    "defaultValue": True, "description": service.name, "icon": icon, "sectionName": "Applications",
                    "scope": {"type": kind, "id": scope_id, "role": getattr(role, "value", role) or "*",
                              "preventOverride": prevent_override, "visible": visible},
                    "metadata": {"serviceId": service.id, "serviceName": service.name,
                                 "projectId": service.project_id, "slots": slots}}
            settings.append(self._upsert_setting(body))
        return settings

    def _upsert_setting(self, body: dict) -> dict:
        from ..exceptions import BadRequest
        try:
            return self._request("POST", "/settings", json=body)
        except BadRequest as exc:
            if "settings already exist" not in exc.message:
                raise
        query = {"filter": {"$and": [{"name": body["name"]}, {"scope.type": body["scope"]["type"]},
                                     {"scope.id": body["scope"]["id"]}]}, "page": 0, "pageSize": 1,
                 "resource": "setting"}
        existing = self._request("POST", "/settings/query", json=query, retry_safe=True)["items"][0]
        return self._request("PATCH", path("/settings/{}", existing["id"]), json=body)

    # -- local -----------------------------------------------------------------------------------
    def checkout(self, service: Optional[Service] = None, service_name: Optional[str] = None,
                 service_id: Optional[str] = None) -> None:
        if service is None:
            service = self.get(service_name=service_name, service_id=service_id)
        save_state(self._client.state_dir, "service", service.to_json())

    def open_in_web(self, service: Optional[Service] = None, service_id: Optional[str] = None,
                    service_name: Optional[str] = None) -> None:
        if service is None or service.project_id is None:
            service = self.get(service_id=service_id or getattr(service, "id", None), service_name=service_name)
        webbrowser.open(url=service.platform_url, new=2, autoraise=True)
