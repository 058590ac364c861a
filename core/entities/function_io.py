"""FunctionIO: one typed input/output of a FaaS function, and the input types the platform knows (wire §3.12)."""
from __future__ import annotations

import json as jsonlib
from enum import Enum
from typing import Any, Optional


class PackageInputType(str, Enum):
    DATASET = "Dataset"
    ITEM = "Item"
    ANNOTATION = "Annotation"
    EXECUTION = "Execution"
    TASK = "Task"
    ASSIGNMENT = "Assignment"
    SERVICE = "Service"
    PACKAGE = "Package"
    PROJECT = "Project"
    RECIPE = "Recipe"
    MODEL = "Model"
    JSON = "Json"
    STRING = "String"
    NUMBER = "Number"
    INT = "Integer"
    FLOAT = "Float"
    BOOLEAN = "Boolean"
    DATASETS = "Dataset[]"
    ITEMS = "Item[]"
    ANNOTATIONS = "Annotation[]"
    EXECUTIONS = "Execution[]"
    TASKS = "Task[]"
    ASSIGNMENTS = "Assignment[]"
    SERVICES = "Service[]"
    PACKAGES = "Package[]"
    PROJECTS = "Project[]"
    RECIPES = "Recipe[]"
    MODELS = "Model[]"
    JSONS = "Json[]"
    STRINGS = "String[]"
    NUMBERS = "Number[]"
    INTS = "Integer[]"
    FLOATS = "Float[]"
    BOOLEANS = "Boolean[]"


INPUT_TYPES = frozenset(t.value for t in PackageInputType)
ENTITY_TYPES = frozenset({"Dataset", "Item", "Annotation", "Execution", "Task", "Assignment", "Service", "Package",
                          "Project", "Recipe", "Model"})
_DEFAULT_NAMES = {"Item": "item", "Dataset": "dataset", "Annotation": "annotation", "Project": "project",
                  "Package": "package", "Service": "service", "Execution": "execution", "Model": "model"}


def check_input_type(value: Any) -> str:
    """The type string, or ``ValueError`` naming the allowed types."""
    value = value.value if isinstance(value, Enum) else value
    if value not in INPUT_TYPES:
        raise ValueError(f"invalid input type {value!r}; use one of dl.PackageInputType: {sorted(INPUT_TYPES)}")
    return value


class FunctionIO:
    """``{"name", "type", "value"?, "actions"?, "description"?}``; ``to_json(resource="execution")`` → ``{name: value}``."""

    def __init__(self, type: Any = None, name: Optional[str] = None, value: Any = None, actions: Optional[list] = None,
                 description: Optional[str] = None, json: Optional[dict] = None, **extra):
        data = dict(json or {})
        data.update(extra)
        if type is not None:
            data["type"] = type
        data["type"] = check_input_type(data.get("type"))
        if name is not None:
            data["name"] = name
        data.setdefault("name", _DEFAULT_NAMES.get(data["type"], "config"))
        if value is not None:
            data["value"] = value
        if actions is not None:
            data["actions"] = actions
        if description is not None:
            data["description"] = description
        if data["type"] == "Json" and "value" in data:
            try:
                jsonlib.dumps(data["value"])
            except (TypeError, ValueError):
                raise ValueError(f"value of Json input {data['name']!r} is not JSON serializable") from None
        self._json = data

    @classmethod
    def from_json(cls, json: dict) -> "FunctionIO":
        return cls(json=json)

    name = property(lambda self: self._json["name"], lambda self, v: self._json.__setitem__("name", v))
    type = property(lambda self: self._json["type"])
    value = property(lambda self: self._json.get("value"), lambda self, v: self._json.__setitem__("value", v))
    actions = property(lambda self: self._json.get("actions"))
    description = property(lambda self: self._json.get("description"))

    def to_json(self, resource: str = "package") -> dict:
        """The package form (definition) or, for ``execution``/``service``, ``{name: value}``."""
        if resource == "package":
            return {k: v for k, v in self._json.items() if k != "value"}
        if resource in ("execution", "service"):
            return {self.name: self.value}
        raise ValueError(f"resource must be 'package', 'execution' or 'service', got {resource!r}")

    def __eq__(self, other) -> bool:
        return isinstance(other, FunctionIO) and other._json == self._json

    def __repr__(self) -> str:
        return f"FunctionIO(type={self.type!r}, name={self.name!r}, value={self.value!r})"
