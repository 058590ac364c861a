"""``FaasRuntime`` (``emulator.extensions["faas"]``): executions, their statuses and logs, worker pools.

The server process only keeps documents and pipes here; user code runs in :mod:`.worker` processes
driven by :mod:`.pool`. Every status change is one store transaction; a finished execution never changes
status again (a late ``done`` after a terminate is ignored).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from types import SimpleNamespace
from typing import Callable, Dict, Optional

from ..errors import BadRequest, EmulatorError, not_found
from ..ids import now_iso
from .codebase import codebase_dir, entry_dir
from .dispatch import TriggerDispatcher
from .inputs import check_inputs
from .logstore import LogStore
from .pool import POLL_SECONDS, ServicePool
from .requirements import Environments

logger = logging.getLogger("dataloop_core.emulator.faas")
TERMINAL = frozenset({"success", "failed", "terminated", "aborted", "canceled", "system-failure"})
FUNCTION_END_LINE = "[Done] Executing function."
DEFAULT_MEMORY_LIMIT = 1024 ** 3
DEFAULT_TIMEOUT = 3600
# why a running execution was stopped -> (final status, message)
STOP_REASONS = {
    "terminate": ("terminated", "termination signal"),
    "service deleted": ("aborted", "service deleted"),
    "service paused": ("failed", "service paused (force)"),
    "restart": ("failed", "service restarted"),
}


def status_entry(status: str, percent: int = 0, message: Optional[str] = None, **extra) -> dict:
    entry = {"status": status, "percentComplete": percent, "timestamp": now_iso(), "message": message}
    entry.update({k: v for k, v in extra.items() if v is not None})
    return entry


class FaasRuntime:
    def __init__(self, emulator, memory_limit: Optional[int] = None):
        self.emulator = emulator
        self.store = emulator.store
        root = os.path.join(emulator.data_dir, "faas")
        os.makedirs(root, exist_ok=True)
        self.logs = LogStore(os.path.join(root, "faas.sqlite3"))
        env_limit = os.environ.get("DATALOOP_EMULATOR_FAAS_MEMORY_MB")
        self.memory_limit = memory_limit or (int(env_limit) * 1024 ** 2 if env_limit else DEFAULT_MEMORY_LIMIT)
        self.python = os.environ.get("DATALOOP_EMULATOR_FAAS_PYTHON") or sys.executable
        self.root = root
        self.environments = Environments(os.path.join(root, "envs"), self.python)
        self._pools: Dict[str, ServicePool] = {}
        self._callbacks: Dict[str, Callable[[dict], None]] = {}
        self._lock = threading.RLock()
        self._closing = False
        self.api_url: Optional[str] = None  # the server's API root, learned from requests
        self._adopt_bots()
        self._recover()
        self.triggers = TriggerDispatcher(self)

    # -- packages and functions ------------------------------------------------------------------
    def module_of(self, service: dict) -> dict:
        package = self.store.find("package", service.get("packageId") or "")
        if package is None:
            raise not_found("Package", service.get("packageId"))
        modules = package.get("modules") or []
        name = service.get("moduleName")
        module = next((m for m in modules if m.get("name") == name), None) if name else (modules or [None])[0]
        if module is None:
            known = ", ".join(m.get("name", "?") for m in modules) or "none"
            raise BadRequest(f"module {name!r} not found in package {package.get('name')!r} (modules: {known})")
        return module

    def function_of(self, service: dict, function_name: str) -> dict:
        module = self.module_of(service)
        functions = module.get("functions") or []
        function = next((f for f in functions if f.get("name") == function_name), None)
        if function is None:
            known = ", ".join(f.get("name", "?") for f in functions) or "none"
            raise BadRequest(f"function {function_name!r} not found in module {module.get('name')!r} "
                             f"(functions: {known})")
        return function

    def worker_config(self, service: dict) -> dict:
        """What a worker of ``service`` is started with: code, interpreter, requirement folder (installed on
        first use), the secrets' environment variables; ``BadRequest`` naming what is missing or failed."""
        from ..resources.services import secret_environment
        package = self.store.find("package", service.get("packageId") or "")
        if package is None:
            raise not_found("Package", service.get("packageId"))
        module = self.module_of(service)
        entry_point = module.get("entryPoint") or "main.py"
        folder = entry_dir(codebase_dir(self.emulator, package), entry_point)
        if not os.access(self.python, os.X_OK):
            raise BadRequest(f"the FaaS interpreter {self.python!r} (DATALOOP_EMULATOR_FAAS_PYTHON) is not executable")
        requirements = self.environments.folder(package.get("requirements"))
        return {"codebaseDir": folder, "entryPoint": entry_point, "className": module.get("className")
                or "ServiceRunner", "initParams": service.get("initParams") or {}, "memoryLimit": self.memory_limit,
                "codebase": repr(package.get("codebase")), "python": self.python,
                "paths": [requirements] if requirements else [], "env": secret_environment(self.store, service),
                "sdkHome": os.path.join(self.root, "sdk-home")}

    @staticmethod
    def identity(service: dict, execution: dict) -> str:
        """Who the function acts as: the service's bot; the execution's creator with ``useUserJwt``."""
        creator = execution.get("creator") or "faas@dataloop.local"
        return creator if service.get("useUserJwt") else service.get("botUserName") or creator

    # -- executions ------------------------------------------------------------------------------
    def execute(self, service, function_name: Optional[str], input, creator: str, api_url: str, pipeline=None,
                trigger_id: Optional[str] = None, on_done: Optional[Callable[[dict], None]] = None,
                project_id: Optional[str] = None) -> dict:
        """Create an execution of ``function_name`` on ``service`` (doc or id) and queue it; returns its doc."""
        if isinstance(service, str):
            service = self.store.get("service", service)
        function_name = function_name or "run"
        function = self.function_of(service, function_name)
        clean, _ = check_inputs(self.store, function, input)
        package = self.store.find("package", service["packageId"]) or {}
        created = status_entry("created")
        doc = {
            "id": self.store.new_id(), "creator": creator, "projectId": project_id or service.get("projectId"),
            "orgId": service.get("orgId"), "serviceId": service["id"], "serviceName": service.get("name"),
            "functionName": function_name, "triggerId": trigger_id, "input": clean, "output": None,
            "status": [created], "statusLog": [created], "latestStatus": created, "attempts": 1,
            "maxAttempts": service.get("maxAttempts") or 3, "toTerminate": False, "duration": None,
            "feedbackQueue": None, "syncReplyTo": None, "serviceVersion": service.get("version"),
            "packageId": service.get("packageId"), "packageName": package.get("name"),
            "packageRevision": service.get("packageRevision"), "pipeline": pipeline, "driverId":
                service.get("driverId"), "moduleName": service.get("moduleName"),
        }
        doc["url"] = f"{api_url}/executions/{doc['id']}"
        self.store.insert("execution", doc, scope=doc["projectId"])
        if on_done is not None:
            self._callbacks[doc["id"]] = on_done
        self.pool(service).submit(doc["id"])
        return doc

    def _update(self, execution_id: str, change: Callable[[dict], bool]) -> Optional[dict]:
        """Apply ``change`` to a stored execution in one transaction; it returns False to leave it as is."""
        with self.store.transaction():
            doc = self.store.find("execution", execution_id)
            if doc is None or not change(doc):
                return None
            return self.store.replace("execution", doc)

    def set_status(self, execution_id: str, entry: dict) -> Optional[dict]:
        def change(doc):
            if doc["latestStatus"]["status"] in TERMINAL:
                return False
            doc["status"].append(entry)
            doc["statusLog"].append(entry)
            doc["latestStatus"] = entry
            return True
        return self._update(execution_id, change)

    def finish(self, execution_id: str, status: str, output=None, error: Optional[str] = None,
               message: Optional[str] = None, attempt: Optional[int] = None) -> Optional[dict]:
        """Move an execution to a terminal status once; later calls are ignored (returns ``None``), and so are
        calls about an earlier ``attempt`` than the current one (a rerun started meanwhile)."""
        def change(doc):
            latest = doc["latestStatus"]
            if latest["status"] in TERMINAL or (attempt is not None and doc.get("attempts") != attempt):
                return False
            percent = 100 if status == "success" else latest.get("percentComplete") or 0
            entry = status_entry(status, percent, message or error, replicaId=latest.get("replicaId"))
            started = next((s["timestamp"] for s in doc["status"] if s["status"] == "in-progress"), None)
            doc["status"].append(entry)
            doc["statusLog"].append(entry)
            doc["latestStatus"] = entry
            if status == "success":
                doc["output"] = output
            if started:
                doc["duration"] = round(_seconds(entry["timestamp"]) - _seconds(started), 3)
            return True
        doc = self._update(execution_id, change)
        if doc is None:
            return None
        level = "INFO" if status == "success" else "ERROR"
        detail = f": {message or error}" if (message or error) else ""
        self.logs.append(doc, [(level, f"Execution {execution_id} {status}{detail}"), ("INFO", FUNCTION_END_LINE)],
                         doc["latestStatus"].get("replicaId"))
        callback = self._callbacks.pop(execution_id, None)
        if callback is not None:
            try:
                callback(doc)
            except Exception:  # a consumer's bug must not break the runtime
                logger.exception("on_done callback failed for execution %s", execution_id)
        return doc

    def progress(self, execution_id: str, body: dict) -> dict:
        """``POST /executions/{id}/progress``: inProgress updates, or completion with an output."""
        doc = self.store.get("execution", execution_id, "Execution")
        status = str(body.get("status") or "inProgress")
        percent = body.get("percentComplete")
        if percent is not None and (not isinstance(percent, (int, float)) or isinstance(percent, bool)
                                    or not 0 <= percent <= 100):
            raise BadRequest(f"percentComplete must be a number between 0 and 100, got {percent!r}")
        if doc["latestStatus"]["status"] in TERMINAL:
            raise BadRequest(f"Execution {execution_id} is already {doc['latestStatus']['status']}")
        if status in ("completed", "success"):
            return self.finish(execution_id, "success", output=body.get("output"), message=body.get("message")) \
                or self.store.get("execution", execution_id)
        if status == "failed":
            return self.finish(execution_id, "failed", message=body.get("message")) \
                or self.store.get("execution", execution_id)
        if status not in ("inProgress", "in-progress"):
            raise BadRequest(f"unknown progress status {status!r}; expected inProgress, completed or failed")
        latest = doc["latestStatus"]
        entry = status_entry("in-progress", int(percent if percent is not None else latest.get("percentComplete")
                                                or 0), body.get("message"), replicaId=latest.get("replicaId"))
        return self.set_status(execution_id, entry) or self.store.get("execution", execution_id)

    def terminate(self, execution_id: str) -> dict:
        doc = self.store.get("execution", execution_id, "Execution")
        if doc["latestStatus"]["status"] not in TERMINAL:
            pool = self._pools.get(doc["serviceId"])
            if pool is not None and not pool.cancel(execution_id):
                slot = pool.slot_running(execution_id)
                if slot is not None:
                    slot.stop(execution_id, "terminate")
            self._update(execution_id, lambda d: d.update(toTerminate=True) or True)
            self.finish(execution_id, "terminated", message="termination signal")
        return self.store.get("execution", execution_id)

    def rerun(self, execution_id: str) -> dict:
        doc = self.store.get("execution", execution_id, "Execution")
        status = doc["latestStatus"]["status"]
        if status not in TERMINAL:
            raise BadRequest(f"Execution {execution_id} is {status}; only finished executions can be rerun")
        service = self.store.find("service", doc["serviceId"])
        if service is None:
            raise not_found("Service", doc["serviceId"])
        self._requeue(execution_id, "rerun")
        self.pool(service).submit(execution_id)
        return self.store.get("execution", execution_id)

    def _requeue(self, execution_id: str, message: str) -> None:
        def change(doc):
            entry = status_entry("created", 0, message)
            doc.update(attempts=int(doc.get("attempts") or 1) + 1, output=None, toTerminate=False, duration=None)
            doc["status"].append(entry)
            doc["statusLog"].append(entry)
            doc["latestStatus"] = entry
            return True
        self._update(execution_id, change)

    # -- running (called by pool slots) ----------------------------------------------------------
    def run_on_slot(self, slot, execution_id: str) -> None:
        doc = self.store.find("execution", execution_id)
        if doc is None or doc["latestStatus"]["status"] in TERMINAL:
            return
        service = self.store.find("service", doc["serviceId"])
        if service is None:
            self.finish(execution_id, "aborted", message="service deleted")
            return
        try:
            config = self.worker_config(service)
        except EmulatorError as exc:
            self.finish(execution_id, "failed", error=exc.message)
            return
        attempt = doc.get("attempts")
        worker = slot.ensure_worker(config)
        if self.set_status(execution_id, status_entry("in-progress", 0, replicaId=slot.name)) is None:
            return
        self.logs.append(doc, [("INFO", f"[Start] Executing function {doc['functionName']!r} "
                                        f"(execution {execution_id})")], slot.name)
        timeout = float(service.get("executionTimeout") or DEFAULT_TIMEOUT)
        job = {"executionId": execution_id, "functionName": doc["functionName"], "input": doc.get("input") or {},
               "inputTypes": self._input_types(service, doc["functionName"]), "serviceId": service["id"],
               "projectId": doc.get("projectId"), "triggerId": doc.get("triggerId"),
               "apiUrl": self.api_url or doc["url"].rsplit("/executions/", 1)[0],
               "token": self.emulator.auth.issue(self.identity(service, doc), int(timeout) + 600)}
        result = self._drive(slot, worker, doc, job, time.monotonic() + timeout)
        if result is not None:
            self.finish(execution_id, result["status"], output=result.get("output"), error=result.get("error"),
                        attempt=attempt)
            return
        timed_out = worker.alive and not slot.stop_reason  # still running: the deadline passed
        slot.discard_worker()
        if self._closing:
            return
        if slot.stop_reason:
            self._stopped(execution_id, slot.stop_reason, attempt)
        elif timed_out:
            self.finish(execution_id, "failed", error=f"Execution timed out after {timeout:g} seconds",
                        attempt=attempt)
        else:
            self.finish(execution_id, "failed", error=f"worker process died unexpectedly "
                                                      f"(exit code {worker.exitcode})", attempt=attempt)

    def _drive(self, slot, worker, doc: dict, job: dict, deadline: float) -> Optional[dict]:
        """Send the job and relay its logs; the worker's result, or ``None`` (stopped, dead or timed out)."""
        try:
            worker.conn.send(("run", job))
            while not slot.stop_reason:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                if worker.conn.poll(min(POLL_SECONDS, remaining)):
                    message = worker.conn.recv()
                    if message[0] == "log":
                        self.logs.append(doc, [(message[2], message[3])], slot.name)
                    elif message[0] == "done":
                        return message[2]
                elif not worker.alive and not worker.conn.poll():
                    return None
        except (EOFError, OSError):
            _wait_exit(worker)
        return None

    def _stopped(self, execution_id: str, reason: str, attempt: Optional[int] = None) -> None:
        if reason == "restart":
            doc = self.store.find("execution", execution_id) or {}
            service = self.store.find("service", doc.get("serviceId") or "") or {}
            if service.get("onReset") == "rerun" and int(doc.get("attempts") or 1) < int(doc.get("maxAttempts") or 1):
                self._requeue(execution_id, "service restarted: rerun")
                self.pool(service).submit(execution_id)
                return
        status, message = STOP_REASONS.get(reason, ("failed", reason))
        self.finish(execution_id, status, message=message, attempt=attempt)

    def _input_types(self, service: dict, function_name: str) -> dict:
        try:
            function = self.function_of(service, function_name)
        except EmulatorError:
            return {}
        return {io.get("name"): io.get("type") or "Json" for io in function.get("input") or []}

    # -- services --------------------------------------------------------------------------------
    def pool(self, service: dict) -> ServicePool:
        concurrency = (service.get("runtime") or {}).get("concurrency") or 1
        with self._lock:
            pool = self._pools.get(service["id"])
            if pool is None:
                pool = self._pools[service["id"]] = ServicePool(self, service["id"], concurrency,
                                                                active=service.get("active", True) is not False)
            return pool

    def service_updated(self, service: dict) -> None:
        pool = self.pool(service)
        pool.set_limit((service.get("runtime") or {}).get("concurrency") or 1)
        pool.set_active(service.get("active", True) is not False)

    def pause(self, service: dict, force: bool = False) -> None:
        pool = self.pool(service)
        pool.set_active(False)
        if force:
            pool.restart("service paused")

    def resume(self, service: dict) -> None:
        self.pool(service).set_active(True)

    def restart(self, service: dict) -> None:
        self.pool(service).restart("restart")

    def service_deleted(self, service_id: str) -> None:
        with self._lock:
            pool = self._pools.pop(service_id, None)
        if pool is not None:
            for execution_id in pool.close():
                self.finish(execution_id, "aborted", message="service deleted")

    def service_status(self, service: dict) -> dict:
        pool = self._pools.get(service["id"])
        queued = len(pool.pending) if pool else 0
        return {"status": "Running" if service.get("active", True) is not False else "Paused",
                "active": service.get("active", True) is not False,
                "replicas": pool.replicas() if pool else [], "queuedExecutions": queued,
                "runningExecutions": len(pool.running()) if pool else 0,
                "concurrencyLimit": pool.limit if pool else None}

    # -- lifecycle -------------------------------------------------------------------------------
    def _adopt_bots(self) -> None:
        """Services stored by an emulator whose services had no real bot (older data dirs) get their project's."""
        from ..resources.bots import service_bot
        for service in self.store.list("service"):
            if self.store.find_by("bot", "email", service.get("botUserName"), scope=service["projectId"]):
                continue
            project = self.store.find("project", service["projectId"])
            if project is not None:
                ctx = SimpleNamespace(store=self.store, user=service.get("creator") or "")
                self.store.patch("service", service["id"], {"botUserName": service_bot(ctx, project)["email"]})

    def _recover(self) -> None:
        """After a restart: queued executions run again, ones that were running are failed."""
        where = "json_extract(doc, '$.latestStatus.status') IN ('created', 'in-progress')"
        for doc in self.store.list("execution", where=where):
            if doc["latestStatus"]["status"] == "in-progress":
                self.finish(doc["id"], "failed", error="emulator restarted while the execution was running")
                continue
            service = self.store.find("service", doc["serviceId"])
            if service is None:
                self.finish(doc["id"], "aborted", message="service deleted")
            else:
                self.pool(service).submit(doc["id"])

    def close(self) -> None:
        self._closing = True
        self.triggers.close()
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
        self.logs.close()


def _wait_exit(worker, seconds: float = 1.0) -> None:
    deadline = time.monotonic() + seconds
    while worker.alive and time.monotonic() < deadline:
        time.sleep(0.02)


def _seconds(stamp: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
