"""Pipeline graph parts: node IO ports, connections and nodes (code, function, task, dataset) as JSON (wire §8)."""
from __future__ import annotations

import inspect
import json
import textwrap
import uuid
from enum import Enum
from typing import Callable, List, Optional

from .base import clone_json
from .function_io import PackageInputType, check_input_type

NODE_SIZE = (200, 87)
RUNNER_TEMPLATE = '''class ServiceRunner:
    """Runner generated from the function {name}."""

    @staticmethod
{code}'''


def runner_code(method: Callable) -> str:
    """A main.py whose ``ServiceRunner`` has ``method`` (its source) as a static method: code nodes and
    ``Services.deploy(func=...)`` ship functions this way."""
    if not callable(method):
        raise ValueError("expected a function")
    source = textwrap.indent(textwrap.dedent(inspect.getsource(method)), "    ")
    return RUNNER_TEMPLATE.format(name=method.__name__, code=source)


class PipelineNodeType(str, Enum):
    TASK = "task"
    CODE = "code"
    FUNCTION = "function"
    STORAGE = "storage"
    ML = "ml"


class PipelineNodeIO:
    """A port: ``{"portId", "type", "name", "displayName", "color", "variableName", "portPercentage", ...}``."""

    def __init__(self, input_type=PackageInputType.ITEM, name: str = "item", display_name: Optional[str] = None,
                 port_id: Optional[str] = None, color=None, port_percentage=None, default_value=None,
                 variable_name: Optional[str] = None, actions: Optional[list] = None, description: Optional[str] = None):
        self._json = {"portId": port_id or str(uuid.uuid4()), "type": check_input_type(input_type), "name": name,
                      "color": color, "displayName": display_name or name, "variableName": variable_name,
                      "portPercentage": port_percentage}
        for key, value in (("actions", actions), ("defaultValue", default_value), ("description", description)):
            if value:
                self._json[key] = value

    @classmethod
    def from_json(cls, json: dict) -> "PipelineNodeIO":
        port = cls.__new__(cls)
        port._json = dict(json)
        return port

    port_id = property(lambda self: self._json.get("portId"))
    name = property(lambda self: self._json.get("name"))
    input_type = property(lambda self: self._json.get("type"))
    actions = property(lambda self: self._json.get("actions"))

    def to_json(self) -> dict:
        return clone_json(self._json)


class PipelineConnection:
    """``{"src": {"nodeId","portId"}, "tgt": {...}, "condition"?: "<JSON DQL filter>", "action"?}``."""

    def __init__(self, source_node_id: str, source_port_id: str, target_node_id: str, target_port_id: str,
                 filters=None, action: Optional[str] = None):
        self._json = {"src": {"nodeId": source_node_id, "portId": source_port_id},
                      "tgt": {"nodeId": target_node_id, "portId": target_port_id}}
        if action:
            self._json["action"] = action
        if filters:
            condition = filters.prepare(query_only=True).get("filter", {}) if hasattr(filters, "prepare") else filters
            self._json["condition"] = json.dumps(condition)

    @classmethod
    def from_json(cls, json: dict) -> "PipelineConnection":
        connection = cls.__new__(cls)
        connection._json = dict(json)
        return connection

    source = property(lambda self: self._json.get("src") or {})
    target = property(lambda self: self._json.get("tgt") or {})
    action = property(lambda self: self._json.get("action"))

    @property
    def filters(self) -> Optional[dict]:
        condition = self._json.get("condition")
        return json.loads(condition) if condition else None

    def to_json(self) -> dict:
        return clone_json(self._json)


def _position(position) -> dict:
    return {"x": position[0] * 1.7 * NODE_SIZE[0] + NODE_SIZE[0] / 2,
            "y": position[1] * 1.5 * NODE_SIZE[1] + NODE_SIZE[1], "z": 0}


def _namespace(function_name: str, project_name: str, service_name: Optional[str] = None,
               module_name: Optional[str] = None, package_name: Optional[str] = None) -> dict:
    namespace = {"functionName": function_name, "projectName": project_name}
    for key, value in (("serviceName", service_name), ("moduleName", module_name), ("packageName", package_name)):
        if value:
            namespace[key] = value
    return namespace


class PipelineNode:
    """A node as JSON: ``{"id","name","type","namespace","projectId","inputs","outputs","metadata","config"?}``."""

    def __init__(self, name: str, node_type, namespace: dict, project_id: str, inputs=None, outputs=None,
                 metadata: Optional[dict] = None, config: Optional[dict] = None, position=(1, 1),
                 node_id: Optional[str] = None):
        self._json = {"id": node_id or str(uuid.uuid4()), "name": name,
                      "type": node_type.value if isinstance(node_type, Enum) else node_type,
                      "namespace": namespace, "projectId": project_id,
                      "inputs": [p.to_json() if isinstance(p, PipelineNodeIO) else p for p in inputs or []],
                      "outputs": [p.to_json() if isinstance(p, PipelineNodeIO) else p for p in outputs or []],
                      "metadata": dict(metadata or {}), "dpkName": None, "appName": None}
        self._json["metadata"].setdefault("position", _position(position))
        if config is not None:
            self._json["config"] = config

    @classmethod
    def from_json(cls, json: dict) -> "PipelineNode":
        node = cls.__new__(NODE_CLASSES.get(json.get("type"), PipelineNode))
        node._json = dict(json)
        return node

    node_id = property(lambda self: self._json.get("id"))
    id = node_id
    name = property(lambda self: self._json.get("name"))
    node_type = property(lambda self: self._json.get("type"))
    namespace = property(lambda self: self._json.get("namespace") or {})
    metadata = property(lambda self: self._json.setdefault("metadata", {}))
    config = property(lambda self: self._json.get("config"))
    project_id = property(lambda self: self._json.get("projectId"))

    @property
    def inputs(self) -> List[PipelineNodeIO]:
        return [PipelineNodeIO.from_json(p) for p in self._json.get("inputs") or []]

    @property
    def outputs(self) -> List[PipelineNodeIO]:
        return [PipelineNodeIO.from_json(p) for p in self._json.get("outputs") or []]

    def to_json(self) -> dict:
        return clone_json(self._json)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.node_id!r}, name={self.name!r})"


def _item_port(actions: Optional[list] = None) -> PipelineNodeIO:
    return PipelineNodeIO(PackageInputType.ITEM, "item", display_name=actions[0] if actions else "item",
                          actions=actions)


class CodeNode(PipelineNode):
    """Inline code: ``config = {"package": {"code", "name", "type": "code"}}``; ``method`` becomes the function."""

    def __init__(self, name: str, project_id: str, project_name: str, method: Callable, outputs=None, inputs=None,
                 position=(1, 1)):
        if not callable(method):
            raise ValueError("CodeNode needs a function as method")
        config = {"package": {"code": runner_code(method), "name": method.__name__, "type": "code"}}
        super().__init__(name, PipelineNodeType.CODE, _namespace(method.__name__, project_name), project_id,
                         inputs if inputs is not None else [_item_port()],
                         outputs if outputs is not None else [_item_port()], config=config, position=position)


class FunctionNode(PipelineNode):
    """A function of a deployed service: ports come from the package's function definition."""

    def __init__(self, name: str, service, function_name: str, position=(1, 1), project_id: Optional[str] = None,
                 project_name: Optional[str] = None):
        package = service.package
        module_name = service.module_name or "default_module"
        function = next((f for m in package.modules if m.name == module_name for f in m.functions
                         if f.name == function_name), None)
        if function is None:
            raise ValueError(f"function {function_name!r} not found in module {module_name!r} of package "
                             f"{package.name!r}")

        def ports(ios):
            return [PipelineNodeIO(io.type, io.name, default_value=io.value, actions=io.actions or []) for io in ios]
        project_id = project_id or service.project_id
        namespace = _namespace(function_name, project_name or service.project.name, service.name, module_name,
                               package.name)
        super().__init__(name, PipelineNodeType.FUNCTION, namespace, project_id, ports(function.inputs),
                         ports(function.outputs), position=position)


class TaskNode(PipelineNode):
    """Moves items into an annotation/QA task; output port actions are the task's actions."""

    def __init__(self, name: str, project_id: str, dataset_id: str, recipe_title: str, recipe_id: str,
                 task_owner: str, workload: list, task_type: str = "annotation", position=(1, 1),
                 actions: Optional[list] = None, repeatable: bool = True, priority: int = 2, due_date=None):
        if not actions:
            actions = ["approve" if task_type == "qa" else "complete", "discard"]
        workload = [w.to_json() if hasattr(w, "to_json") else w for w in (workload if isinstance(workload, list)
                                                                          else [workload])]
        metadata = {"datasetId": dataset_id, "recipeTitle": recipe_title, "recipeId": recipe_id,
                    "taskOwner": task_owner, "taskType": task_type, "workload": workload,
                    "repeatable": repeatable, "priority": priority, "dueDate": due_date}
        super().__init__(name, PipelineNodeType.TASK,
                         _namespace("move_to_task", "DataloopTasks", "pipeline-utils"), project_id,
                         [_item_port()], [_item_port(actions)], metadata=metadata, position=position)


class DatasetNode(PipelineNode):
    """Puts items into a dataset (``metadata.datasetId``, optional ``metadata.dir``)."""

    def __init__(self, name: str, project_id: str, dataset_id: str, dataset_folder: Optional[str] = None,
                 position=(1, 1)):
        metadata = {"datasetId": dataset_id}
        if dataset_folder:
            metadata["dir"] = dataset_folder if dataset_folder.startswith("/") else "/" + dataset_folder
        super().__init__(name, PipelineNodeType.STORAGE,
                         _namespace("dataset_handler", "DataloopTasks", "pipeline-utils"), project_id,
                         [_item_port()], [_item_port()], metadata=metadata, position=position)


NODE_CLASSES = {"code": CodeNode, "function": FunctionNode, "task": TaskNode, "storage": DatasetNode}
