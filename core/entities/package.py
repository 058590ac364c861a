"""Package: FaaS code (modules → functions → typed inputs/outputs) plus its codebase (wire §3.12, §8 Package)."""
from __future__ import annotations

from functools import cached_property
from typing import List, Optional

from .base import Entity, Field, Parent, clone_json
from .function_io import FunctionIO, PackageInputType

DEFAULT_MODULE_NAME = "default_module"
DEFAULT_FUNCTION_NAME = "run"
DEFAULT_CLASS_NAME = "ServiceRunner"
DEFAULT_ENTRY_POINT = "main.py"


def _ios(values) -> List[dict]:
    if values is None:
        return []
    if not isinstance(values, list):
        values = [values]
    return [v.to_json() if isinstance(v, FunctionIO) else FunctionIO(json=v).to_json() for v in values]


class PackageFunction:
    """``{"name", "description", "input": [IO], "output": [IO], "displayName"?, "computeConfig"?}``."""

    def __init__(self, name: str = DEFAULT_FUNCTION_NAME, inputs=None, outputs=None, description: str = "",
                 display_name: Optional[str] = None, json: Optional[dict] = None):
        self._json = dict(json) if json is not None else {
            "name": name, "description": description, "input": _ios(inputs), "output": _ios(outputs)}
        if display_name is not None:
            self._json["displayName"] = display_name
        self._json.setdefault("input", [])
        self._json.setdefault("output", [])

    @classmethod
    def from_json(cls, json: dict) -> "PackageFunction":
        return cls(json=json)

    name = property(lambda self: self._json.get("name"))
    description = property(lambda self: self._json.get("description"))

    @property
    def inputs(self) -> List[FunctionIO]:
        return [FunctionIO(json=j) for j in self._json.get("input") or []]

    @inputs.setter
    def inputs(self, values) -> None:
        self._json["input"] = _ios(values)

    @property
    def outputs(self) -> List[FunctionIO]:
        return [FunctionIO(json=j) for j in self._json.get("output") or []]

    @outputs.setter
    def outputs(self, values) -> None:
        self._json["output"] = _ios(values)

    def to_json(self) -> dict:
        return clone_json(self._json)

    def __repr__(self) -> str:
        return f"PackageFunction(name={self.name!r})"


class PackageModule:
    """``{"name", "entryPoint", "className", "initInputs": [IO], "functions": [PackageFunction]}``."""

    def __init__(self, name: str = DEFAULT_MODULE_NAME, entry_point: str = DEFAULT_ENTRY_POINT,
                 class_name: str = DEFAULT_CLASS_NAME, init_inputs=None, functions=None, json: Optional[dict] = None):
        if json is None:
            json = {"name": name, "entryPoint": entry_point, "className": class_name,
                    "initInputs": _ios(init_inputs), "functions": []}
            for function in functions or []:
                json["functions"].append(function.to_json() if isinstance(function, PackageFunction)
                                         else PackageFunction(json=function).to_json())
        self._json = dict(json)
        names = [f.get("name") for f in self._json.get("functions") or []]
        if len(names) != len(set(names)):
            raise ValueError(f"module {self._json.get('name')!r} has two functions with the same name: {names}")

    @classmethod
    def from_json(cls, json: dict) -> "PackageModule":
        return cls(json=json)

    name = property(lambda self: self._json.get("name", DEFAULT_MODULE_NAME))
    entry_point = property(lambda self: self._json.get("entryPoint", DEFAULT_ENTRY_POINT))
    class_name = property(lambda self: self._json.get("className", DEFAULT_CLASS_NAME))

    @property
    def init_inputs(self) -> List[FunctionIO]:
        return [FunctionIO(json=j) for j in self._json.get("initInputs") or []]

    @property
    def functions(self) -> List[PackageFunction]:
        return [PackageFunction(json=j) for j in self._json.get("functions") or []]

    def add_function(self, function) -> None:
        function = function if isinstance(function, PackageFunction) else PackageFunction(json=function)
        if function.name in [f.name for f in self.functions]:
            raise ValueError(f"module {self.name!r} already has a function named {function.name!r}")
        self._json.setdefault("functions", []).append(function.to_json())

    def to_json(self) -> dict:
        return clone_json(self._json)

    def __repr__(self) -> str:
        return f"PackageModule(name={self.name!r}, entry_point={self.entry_point!r})"


class PackageRequirement:
    """One pip requirement: ``{"name", "version"?, "operator"?}``."""

    def __init__(self, name: str, version: Optional[str] = None, operator: Optional[str] = None):
        self.name, self.version, self.operator = name, version, operator

    @classmethod
    def from_json(cls, json: dict) -> "PackageRequirement":
        return cls(json["name"], json.get("version"), json.get("operator"))

    def to_json(self) -> dict:
        json = {"name": self.name}
        if self.version is not None:
            json["version"] = self.version
        if self.operator is not None:
            json["operator"] = self.operator
        return json

    def __eq__(self, other) -> bool:
        return isinstance(other, PackageRequirement) and other.to_json() == self.to_json()

    def __repr__(self) -> str:
        return f"PackageRequirement({self.name}{self.operator or ''}{self.version or ''})"


def modules_json(modules) -> Optional[List[dict]]:
    """Modules as JSON (accepts PackageModule objects, dicts or one of either)."""
    if modules is None:
        return None
    if not isinstance(modules, list):
        modules = [modules]
    return [m.to_json() if isinstance(m, PackageModule) else PackageModule(json=m).to_json() for m in modules]


class Package(Entity):
    name = Field("name")
    version = Field("version")
    project_id = Field("projectId", readonly=True)
    package_type = Field("type")
    metadata = Field("metadata")
    service_config = Field("serviceConfig")
    is_global = Field("global")
    slots = Field("slots")
    ui_hooks = Field("uiHooks")

    @property
    def modules(self) -> List[PackageModule]:
        return [PackageModule(json=m) for m in self._json.get("modules") or []]

    @modules.setter
    def modules(self, modules) -> None:
        self._json["modules"] = modules_json(modules) or []

    @property
    def codebase(self):
        from .codebase import codebase_from_json
        raw = self._json.get("codebase")
        return codebase_from_json(self._client, raw, project=self._context.get("project")) if raw else None

    @codebase.setter
    def codebase(self, codebase) -> None:
        self._json["codebase"] = codebase.to_json() if hasattr(codebase, "to_json") else codebase

    @property
    def requirements(self) -> List[PackageRequirement]:
        return [PackageRequirement.from_json(r) for r in self._json.get("requirements") or []]

    @requirements.setter
    def requirements(self, requirements) -> None:
        self._json["requirements"] = [r.to_json() if isinstance(r, PackageRequirement) else r
                                      for r in requirements or []]

    @property
    def revisions(self) -> list:
        return self._json.get("revisions") or self.packages.revisions(package=self) or []

    project = Parent()

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/packages/{self.id}/main"

    # -- repositories ----------------------------------------------------------------------------
    @cached_property
    def packages(self):
        from ..repositories.packages import Packages
        return Packages(self._client, project=self._context.get("project"))

    @cached_property
    def services(self):
        from ..repositories.services import Services
        return Services(self._client, project=self._context.get("project"), package=self)

    @cached_property
    def codebases(self):
        from ..repositories.codebases import Codebases
        return Codebases(self._client, project=self.project)

    # -- actions ---------------------------------------------------------------------------------
    def update(self, revision_increment: Optional[str] = None) -> "Package":
        return self.packages.update(package=self, revision_increment=revision_increment)

    def delete(self) -> bool:
        return self.packages.delete(package=self)

    def deploy(self, service_name: Optional[str] = None, **kwargs):
        return self.packages.deploy(package=self, service_name=service_name, **kwargs)

    def push(self, codebase=None, src_path: Optional[str] = None, **kwargs) -> "Package":
        return self.packages.push(package_name=self.name, project=self._context.get("project"), codebase=codebase,
                                  src_path=src_path, modules=self.modules, **kwargs)

    def pull(self, version: Optional[str] = None, local_path: Optional[str] = None) -> str:
        return self.packages.pull(package=self, version=version, local_path=local_path)

    def build(self, module_name: Optional[str] = None, init_inputs: Optional[dict] = None,
              local_path: Optional[str] = None, from_local: Optional[bool] = None):
        return self.packages.build(package=self, module_name=module_name, init_inputs=init_inputs,
                                   local_path=local_path, from_local=from_local)

    def checkout(self) -> None:
        self.packages.checkout(package=self)

    def open_in_web(self) -> None:
        self.packages.open_in_web(package=self)


__all__ = ["Package", "PackageModule", "PackageFunction", "PackageRequirement", "FunctionIO", "PackageInputType",
           "modules_json"]
