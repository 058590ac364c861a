"""The worker process: runs one service's user code, one execution at a time, never inside the server.

Started by :mod:`.pool` (``pool.BOOTSTRAP`` calls :func:`main`). It imports the package's entry point from the
extracted codebase, instantiates the runner class once (with the service's ``initParams``) and then serves
``("run", job)`` messages from its pipe. Everything the user code prints or logs is sent back as
``("log", execution_id, level, line)``; the end of a job as ``("done", execution_id, result)``.

Each job carries a short-lived token of the service's identity (its bot). The SDK's module-level API works
with it, as on the platform: the official ``dtlpy``, when this interpreter has it, is logged in against the
emulator (``add_environment``/``setenv``/``login_token``) and builds the entity inputs; otherwise ``import
dtlpy`` gives the stand-in, whose ``dl.items``, ``dl.datasets``, ``dl.projects``... are the repositories of a
``dataloop_core`` client signed in with that token, and entity inputs (``{"item_id", "dataset_id"}``...) are
``dataloop_core`` entities.
"""
from __future__ import annotations

import importlib.util
import inspect
import io
import json
import logging
import os
import sys
import threading
import traceback
from typing import Any, Optional

SDK_ALIAS = "dataloop-emulator-faas"
# the SDK's module-level repositories (dl.items, ...) that the stand-in takes from the job's client
SDK_REPOSITORIES = ("organizations", "integrations", "projects", "datasets", "drivers", "items", "annotations",
                    "recipes", "ontologies", "commands", "tasks", "assignments", "packages", "codebases", "services",
                    "bots", "triggers", "executions", "pipelines", "pipeline_executions")
# input type -> (client repository, id key); the official SDK has the same module-level names
ENTITY_INPUTS = {
    "Item": ("items", "item_id"), "Dataset": ("datasets", "dataset_id"),
    "Annotation": ("annotations", "annotation_id"), "Project": ("projects", "project_id"),
    "Task": ("tasks", "task_id"), "Assignment": ("assignments", "assignment_id"),
    "Service": ("services", "service_id"), "Package": ("packages", "package_id"),
    "Execution": ("executions", "execution_id"), "Recipe": ("recipes", "recipe_id"),
}


class Channel:
    """The pipe back to the server, safe to use from any thread of the user code."""

    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()
        self.execution_id: Optional[str] = None

    def send(self, message) -> None:
        with self.lock:
            self.conn.send(message)

    def log(self, level: str, line: str) -> None:
        if self.execution_id is not None and line.strip():
            self.send(("log", self.execution_id, level, line.rstrip("\n")))


class _StreamCapture(io.TextIOBase):
    def __init__(self, channel: Channel, level: str):
        self.channel, self.level, self._buffer = channel, level, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self.channel.log(self.level, line)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self.channel.log(self.level, self._buffer)
            self._buffer = ""


class _LogHandler(logging.Handler):
    def __init__(self, channel: Channel):
        super().__init__(logging.DEBUG)
        self.channel = channel
        self.setFormatter(logging.Formatter("[%(levelname)s] %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.channel.log(record.levelname, self.format(record))
        except Exception:  # a log line must never break the user's function
            pass


class Progress:
    """Handed to functions that take a ``progress`` argument (SDK style ``progress.update(progress=50)``)."""

    def __init__(self, client, execution_id: str):
        self._client, self.execution_id = client, execution_id

    def update(self, status: Optional[str] = None, progress: Optional[int] = None, message: Optional[str] = None,
               output: Any = None, duration: Optional[float] = None, action: Optional[str] = None):
        return self._client.executions.progress_update(execution_id=self.execution_id, status=status,
                                                       percent_complete=progress, message=message, output=output)


class Context:
    """Handed to functions that take a ``context`` argument."""

    def __init__(self, client, job: dict, progress: Progress):
        self.client = client
        self.execution_id = job["executionId"]
        self.service_id = job.get("serviceId")
        self.project_id = job.get("projectId")
        self.trigger_id = job.get("triggerId")
        self.function_name = job.get("functionName")
        self.progress = progress
        self.logger = logging.getLogger(f"execution.{self.execution_id}")


def _limit_memory(limit: Optional[int]) -> None:
    if not limit:
        return
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: run without the cap
        pass


class Sdk:
    """``dtlpy`` as functions see it: the official SDK when installed here, else the shared stand-in with this
    worker's ``Progress`` and ``Context`` (:func:`dataloop_core.local_runner.dtlpy_stand_in`)."""

    def __init__(self):
        self.official = importlib.util.find_spec("dtlpy") is not None
        if self.official:
            import dtlpy
            self.module = dtlpy
        else:
            from dataloop_core.local_runner import dtlpy_stand_in
            self.module = sys.modules["dtlpy"] = dtlpy_stand_in(Progress=Progress, Context=Context)
        self._environment: Optional[str] = None

    def sign_in(self, job: dict, client) -> None:
        """Make the module-level API act with the job's token."""
        if not self.official:
            self.module.__dict__.update({name: getattr(client, name) for name in SDK_REPOSITORIES})
            return
        if self._environment != job["apiUrl"]:
            gate = job["apiUrl"].rsplit("/api/v1", 1)[0]
            self.module.add_environment(environment=job["apiUrl"], gate_url=gate, alias=SDK_ALIAS, verify_ssl=False)
            self.module.setenv(SDK_ALIAS)
            self._environment = job["apiUrl"]
        self.module.login_token(job["token"])

    def repositories(self, client):
        """Where entity inputs are fetched: the official SDK's module, or the job's client."""
        return self.module if self.official else client


def _load_runner(config: dict):
    path = os.path.join(config["codebaseDir"], config.get("entryPoint") or "main.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"entry point {config.get('entryPoint')!r} not found in the package codebase")
    spec = importlib.util.spec_from_file_location("__faas_main__", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["__faas_main__"] = module
    spec.loader.exec_module(module)
    class_name = config.get("className") or "ServiceRunner"
    runner_class = getattr(module, class_name, None)
    if runner_class is None:
        raise AttributeError(f"class {class_name!r} not found in {config.get('entryPoint')!r}")
    return runner_class(**(config.get("initParams") or {}))


def _to_entity(repositories, type_name: str, value: Any) -> Any:
    if value is None:
        return None
    if type_name.endswith("[]"):
        return [_to_entity(repositories, type_name[:-2], v) for v in (value or [])]
    reference = ENTITY_INPUTS.get(type_name)
    if reference is None:
        return value
    repository_name, key = reference
    entity_id = value.get(key) if isinstance(value, dict) else value
    return getattr(repositories, repository_name).get(**{key: entity_id})


def _reference(value: Any) -> Any:
    """Entities in outputs (``dataloop_core``'s or the official SDK's) become references
    (``{"item_id", "dataset_id"}``), as the platform stores them."""
    kind = type(value).__name__
    if kind in ENTITY_INPUTS and isinstance(getattr(value, "id", None), str) and hasattr(value, "to_json"):
        snake = "".join("_" + c.lower() if c.isupper() else c for c in kind).lstrip("_")
        ref = {f"{snake}_id": value.id}
        for key in ("dataset_id", "item_id"):
            if key != f"{snake}_id" and getattr(value, key, None) is not None:
                ref[key] = getattr(value, key)
        return ref
    if isinstance(value, (list, tuple)):
        return [_reference(v) for v in value]
    if isinstance(value, dict):
        return {k: _reference(v) for k, v in value.items()}
    return value


def _run(job: dict, config: dict, state: dict, channel: Channel) -> dict:
    from dataloop_core import DataloopClient
    os.environ["DATALOOP_BASE_URL"] = job["apiUrl"]
    os.environ["DATALOOP_TOKEN"] = job["token"]
    client = DataloopClient(base_url=job["apiUrl"], token=job["token"], max_retries=2)
    try:
        if state.get("sdk") is None:  # here, so a broken SDK install fails the execution with its traceback
            state["sdk"] = Sdk()
        sdk = state["sdk"]
        sdk.sign_in(job, client)
        if state.get("runner") is None:
            state["runner"] = _load_runner(config)
        function = getattr(state["runner"], job["functionName"], None)
        if not callable(function):
            raise AttributeError(f"function {job['functionName']!r} not found on {config.get('className')!r}")
        repositories = sdk.repositories(client)
        kwargs = {name: _to_entity(repositories, job["inputTypes"].get(name, "Json"), value)
                  for name, value in job["input"].items()}
        parameters = inspect.signature(function).parameters
        progress = Progress(client, job["executionId"])
        if "progress" in parameters and "progress" not in kwargs:
            kwargs["progress"] = progress
        if "context" in parameters and "context" not in kwargs:
            kwargs["context"] = Context(client, job, progress)
        output = _reference(function(**kwargs))
        json.dumps(output)
        return {"status": "success", "output": output}
    except BaseException as exc:  # the user's failure (even SystemExit) ends the execution, not the worker
        trace = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # drop this frame
        channel.log("ERROR", "".join(traceback.format_exception(type(exc), exc, trace)))
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        client.close()


def main(conn) -> None:
    """Serve jobs on ``conn``; the first message is the worker's configuration."""
    config = conn.recv()
    _limit_memory(config.get("memoryLimit"))
    channel = Channel(conn)
    sys.stdout = _StreamCapture(channel, "INFO")
    sys.stderr = _StreamCapture(channel, "ERROR")
    root = logging.getLogger()
    root.handlers[:] = [_LogHandler(channel)]
    root.setLevel(logging.INFO)
    codebase = config["codebaseDir"]
    sys.path.insert(0, codebase)
    os.chdir(codebase)
    state: dict = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "run":
            return
        job = message[1]
        channel.execution_id = job["executionId"]
        result = _run(job, config, state, channel)
        channel.send(("done", job["executionId"], result))

