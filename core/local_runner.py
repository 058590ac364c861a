"""Run a package's function on this machine with mock inputs — no server run, no deploy (``test_local_package``).

Also the local-only package helpers: loading a runner class from an entry point, checking a class against its
module definition, parsing requirements files, generating a package skeleton, and the ``dtlpy`` stand-in that
lets runner code written for the official SDK load where dtlpy is not installed (here and in emulator workers).
"""
from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
import logging
import os
import re
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List, Optional

from .entities.function_io import ENTITY_TYPES, INPUT_TYPES
from .entities.package import (DEFAULT_CLASS_NAME, DEFAULT_ENTRY_POINT, DEFAULT_FUNCTION_NAME, DEFAULT_MODULE_NAME,
                               PackageModule, PackageRequirement)

logger = logging.getLogger("dataloop_core.local_runner")
PACKAGE_FILENAME = "package.json"
MOCK_FILENAME = "mock.json"
REQUIREMENTS_FILENAME = "requirements.txt"
IGNORED_ARGUMENTS = ("self", "progress", "context")
# entity input type -> (client repository, id key)
ENTITY_REPOSITORIES = {"Item": ("items", "item_id"), "Dataset": ("datasets", "dataset_id"),
                       "Annotation": ("annotations", "annotation_id"), "Project": ("projects", "project_id"),
                       "Task": ("tasks", "task_id"), "Assignment": ("assignments", "assignment_id"),
                       "Service": ("services", "service_id"), "Package": ("packages", "package_id"),
                       "Execution": ("executions", "execution_id"), "Recipe": ("recipes", "recipe_id"),
                       "Model": ("models", "model_id")}


class Progress:
    """What a local run hands to functions taking ``progress``: it only records the updates."""

    def __init__(self):
        self.updates: List[dict] = []

    def update(self, status: Optional[str] = None, progress: Optional[int] = None, message: Optional[str] = None,
               output: Any = None, duration: Optional[float] = None, action: Optional[str] = None) -> None:
        self.updates.append({"status": status, "progress": progress, "message": message, "output": output,
                             "action": action})


class BaseServiceRunner:
    """Stand-in for ``dtlpy.BaseServiceRunner``: SDK-style runner classes subclass it."""


def dtlpy_stand_in(**names) -> types.ModuleType:
    """A minimal ``dtlpy`` module: ``BaseServiceRunner``, ``Progress``, the given ``names`` and every public name of
    ``dataloop_core`` (``Item``, ``Filters``, ...); any other attribute raises an error that says dtlpy is missing."""
    import dataloop_core
    from .entities.dataset import Dataset
    from .entities.project import Project
    module = types.ModuleType("dtlpy", "Stand-in for the official SDK, backed by dataloop_core.")
    module.__dict__.update(BaseServiceRunner=BaseServiceRunner, Progress=Progress, Dataset=Dataset, Project=Project)
    module.__dict__.update(names)

    def missing(name: str):
        if name in dataloop_core.__all__:
            return getattr(dataloop_core, name)
        raise AttributeError(f"dtlpy is not installed here; dtlpy.{name} is unavailable (receive entities as "
                             "function inputs, or use dataloop_core)")
    module.__getattr__ = missing
    return module


@contextlib.contextmanager
def dtlpy_importable(**names) -> Iterator[None]:
    """Inside the block ``import dtlpy`` works: the real SDK when installed, else :func:`dtlpy_stand_in`."""
    if "dtlpy" in sys.modules or importlib.util.find_spec("dtlpy") is not None:
        yield
        return
    sys.modules["dtlpy"] = dtlpy_stand_in(**names)
    try:
        yield
    finally:
        sys.modules.pop("dtlpy", None)


def load_class(entry_point_path: str, class_name: str):
    """Import ``entry_point_path`` and return its ``class_name`` (``ValueError`` naming what is missing); the
    entry point may ``import dtlpy`` even where the SDK is not installed."""
    if not os.path.isfile(entry_point_path):
        raise ValueError(f"entry point file not found: {entry_point_path}")
    spec = importlib.util.spec_from_file_location(f"_dl_local_{abs(hash(entry_point_path))}", entry_point_path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(entry_point_path))
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        with dtlpy_importable():
            spec.loader.exec_module(module)
    finally:
        if added:
            sys.path.remove(folder)
    if not hasattr(module, class_name):
        raise ValueError(f"class {class_name!r} not found in {os.path.basename(entry_point_path)}")
    return getattr(module, class_name)


def check_cls_arguments(cls, missing: list, function_name: str, function_inputs) -> None:
    """Append to ``missing`` every argument of ``cls.function_name`` that is neither declared nor defaulted."""
    function = getattr(cls, function_name)
    spec = inspect.getfullargspec(function)
    inputs = function_inputs if isinstance(function_inputs, list) else [function_inputs]
    declared = {i["name"] if isinstance(i, dict) else i.name for i in inputs}
    defaulted = set(spec.args[len(spec.args) - len(spec.defaults or ()):])
    for argument in spec.args:
        if argument not in IGNORED_ARGUMENTS and argument not in declared and argument not in defaulted:
            missing.append(f'missing input name: "{argument}" in function definition: "{function_name}"')


def sanity_check(src_path: str, modules) -> List[PackageModule]:
    """Check every module's entry point, class, functions and arguments; ``ValueError`` listing conflicts."""
    modules = [m if isinstance(m, PackageModule) else PackageModule(json=m) for m in modules or []] or \
        [default_module()]
    missing: List[str] = []
    for module in modules:
        path = os.path.join(src_path, module.entry_point)
        try:
            cls = load_class(path, module.class_name)
        except ValueError as exc:
            missing.append(str(exc))
            continue
        if module.init_inputs or "__init__" in vars(cls):
            check_cls_arguments(cls, missing, "__init__", [i.to_json() for i in module.init_inputs])
        for function in module.functions:
            if not hasattr(cls, function.name):
                missing.append(f'missing function: "{function.name}" in class: "{module.class_name}"')
            else:
                check_cls_arguments(cls, missing, function.name, [i.to_json() for i in function.inputs])
    if missing:
        raise ValueError("There are conflicts between modules and source code:\n" + "\n".join(missing) +
                         "\nFix them or push with ignore_sanity_check=True")
    return modules


def default_module() -> PackageModule:
    return PackageModule(json={"name": DEFAULT_MODULE_NAME, "entryPoint": DEFAULT_ENTRY_POINT,
                               "className": DEFAULT_CLASS_NAME, "initInputs": [],
                               "functions": [{"name": DEFAULT_FUNCTION_NAME, "description": "", "input": [],
                                              "output": []}]})


def build_requirements(filepath: str) -> List[PackageRequirement]:
    """Parse a pip requirements file (comments, ``-r`` includes, ``a>=1,<2`` ranges)."""
    if not os.path.isfile(filepath):
        raise ValueError(f"requirements file {filepath} does not exist")
    requirements: List[PackageRequirement] = []
    with open(filepath, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split(" #")[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("-r "):
                requirements.extend(build_requirements(os.path.join(os.path.dirname(filepath), line[3:].strip())))
                continue
            name = None
            for part in line.split(","):
                match = re.match(r"^\s*([^<>=!~\s]*)\s*(<=|>=|==|<|>)?\s*(\S*)\s*$", part)
                part_name, operator, version = match.group(1) or name, match.group(2), match.group(3) or None
                name = part_name
                requirements.append(PackageRequirement(name=part_name, version=version if operator else None,
                                                       operator=operator))
    return requirements


def is_multithread(inputs: list) -> bool:
    """Mock inputs as a list of lists mean one run per inner list (run concurrently)."""
    multi = bool(inputs) and isinstance(inputs[0], list)
    if multi and not all(isinstance(i, list) for i in inputs):
        raise ValueError("mock.json inputs must be a list of dicts or a list of lists")
    return multi


class LocalServiceRunner:
    """Loads ``entry_point``'s ``class_name`` from ``cwd`` and calls ``function_name`` with ``mock.json`` inputs."""

    def __init__(self, client, packages, cwd: Optional[str] = None, multithreading: bool = False,
                 concurrency: int = 10, package=None, module_name: str = DEFAULT_MODULE_NAME,
                 function_name: str = DEFAULT_FUNCTION_NAME, class_name: str = DEFAULT_CLASS_NAME,
                 entry_point: str = DEFAULT_ENTRY_POINT, mock_file_path: Optional[str] = None):
        self._client = client
        self._packages = packages
        self.cwd = cwd or os.getcwd()
        self.multithreading = multithreading
        self.concurrency = concurrency or 10
        self.package = package
        self._defaults = {"module_name": module_name, "function_name": function_name, "class_name": class_name,
                          "entry_point": entry_point}
        with open(os.path.join(self.cwd, mock_file_path or MOCK_FILENAME), encoding="utf-8") as handle:
            self.mock_json = json.load(handle)

    def __getattr__(self, name: str):
        if name in ("module_name", "function_name", "class_name", "entry_point"):
            return self.mock_json.get(name, self._defaults[name])
        raise AttributeError(name)

    def get_mainpy_run_service(self):
        """An instance of the runner class, built with the mock's ``init_params`` (or ``config``)."""
        cls = load_class(os.path.join(self.cwd, self.entry_point), self.class_name)
        kwargs = self.mock_json.get("init_params", self.mock_json.get("config")) or {}
        return cls(**kwargs)

    def _function_inputs(self) -> List[dict]:
        if self.package is not None:
            modules = [m.to_json() for m in self.package.modules]
        else:
            package_file = os.path.join(self.cwd, PACKAGE_FILENAME)
            modules = []
            if os.path.isfile(package_file):
                with open(package_file, encoding="utf-8") as handle:
                    modules = json.load(handle).get("modules") or []
        if not modules:
            modules = [default_module().to_json()]
        module = next((m for m in modules if m.get("name") == self.module_name), None)
        if module is None:
            raise ValueError(f"module {self.module_name!r} does not exist in the package modules")
        function = next((f for f in module.get("functions") or [] if f.get("name") == self.function_name), None)
        if function is None:
            raise ValueError(f"function {self.function_name!r} does not exist in module {self.module_name!r}")
        return function.get("input") or []

    def run_local_project(self, project=None):
        """Call the function once (or once per mock input list, concurrently); return its result(s)."""
        inputs = self._function_inputs()
        function = getattr(self.get_mainpy_run_service(), self.function_name)
        wants_progress = "progress" in inspect.signature(function).parameters

        def kwargs_for(mock_inputs) -> dict:
            kwargs = {i["name"]: self.get_field(i["name"], i["type"], self.mock_json, project, mock_inputs)
                      for i in inputs}
            if wants_progress:
                kwargs["progress"] = Progress()
            return kwargs
        if not self.multithreading:
            return function(**kwargs_for(None))
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            jobs = [pool.submit(function, **kwargs_for(single)) for single in self.mock_json["inputs"]]
            return [job.result() for job in jobs]

    def get_field(self, field_name: str, field_type: str, mock_json: dict, project=None, mock_inputs=None):
        """The value of one input from the mock; entity types are fetched from the platform by id."""
        mock_inputs = mock_json.get("inputs") or [] if mock_inputs is None else mock_inputs
        matches = [m for m in mock_inputs if m.get("name") == field_name]
        if len(matches) != 1:
            state = "No entry" if not matches else "Duplicate entries"
            raise ValueError(f"{state} for field {field_name!r} found in mock")
        if field_type not in INPUT_TYPES:
            raise ValueError(f"unknown input type {field_type!r} for field {field_name!r}")
        value = matches[0].get("value")
        base = field_type[:-2] if field_type.endswith("[]") else field_type
        if base not in ENTITY_TYPES:
            return value
        if field_type.endswith("[]"):
            return [self._fetch(base, v) for v in (value if isinstance(value, list) else [value])]
        return self._fetch(base, value)

    def _fetch(self, type_name: str, value):
        repository, key = ENTITY_REPOSITORIES[type_name]
        entity_id = value.get(key) if isinstance(value, dict) else value
        return getattr(self._client, repository).get(**{key: entity_id})


# -- package skeleton (Packages.generate) ----------------------------------------------------------
MAIN_TEMPLATE = '''import logging

logger = logging.getLogger(__name__)


class ServiceRunner:
    """Package runner: one method per function of the module."""

    def __init__(self):
        """Load models or configuration here."""

    def run(self, item, progress=None):
        """Called with the item the function was triggered on."""
        logger.info("item received: %s", item.filename)
        return item
'''
GITIGNORE_TEMPLATE = ".dataloop/\n__pycache__/\n*.pyc\n.venv/\n"


def generate_files(name: str, service_name: str) -> dict:
    """``{filename: content}`` of a new package: package.json (with one service and trigger), mock.json,
    main.py and .gitignore."""
    module = default_module().to_json()
    module["functions"][0]["input"] = [{"name": "item", "type": "Item"}]
    trigger = {"name": service_name, "type": "Event", "active": True,
               "spec": {"filter": {}, "resource": "Item", "actions": ["Created"], "executionMode": "Once",
                        "input": {}, "operation": {"type": "function", "functionName": DEFAULT_FUNCTION_NAME}}}
    package = {"name": name, "modules": [module],
               "services": [{"name": service_name, "moduleName": DEFAULT_MODULE_NAME, "packageRevision": "latest",
                             "runtime": {"concurrency": 10, "numReplicas": 1}, "initParams": {},
                             "triggers": [trigger]}]}
    mock = {"init_params": {}, "inputs": [{"name": "item", "value": {"dataset_id": "", "item_id": ""}}]}
    return {PACKAGE_FILENAME: json.dumps(package, indent=2), MOCK_FILENAME: json.dumps(mock, indent=2),
            DEFAULT_ENTRY_POINT: MAIN_TEMPLATE, ".gitignore": GITIGNORE_TEMPLATE}
