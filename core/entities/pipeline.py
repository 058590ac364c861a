"""Pipeline: nodes, connections, start nodes, variables and settings (wire §3.18, §8 Pipeline)."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import List, Optional

from .base import Entity, Field, clone_json
from .pipeline_node import PipelineConnection, PipelineNode, PipelineNodeIO


class PipelineResumeOption(str, Enum):
    TERMINATE_EXISTING_CYCLES = "terminateExistingCycles"
    RESUME_EXISTING_CYCLES = "resumeExistingCycles"


class CompositionStatus(str, Enum):
    CREATED = "Created"
    INITIALIZING = "Initializing"
    INSTALLED = "Installed"
    ACTIVATED = "Activated"
    DEACTIVATED = "Deactivated"
    UNINSTALLED = "Uninstalled"
    TERMINATING = "Terminating"
    TERMINATED = "Terminated"
    UPDATING = "Updating"
    FAILURE = "Failure"


class PipelineSettings:
    """``{"defaultResumeOption", "keepTriggersActive", "activeTriggerAskAgain", "lastUpdate"}``."""

    KEYS = {"default_resume_option": "defaultResumeOption", "keep_triggers_active": "keepTriggersActive",
            "active_trigger_ask_again": "activeTriggerAskAgain", "last_update": "lastUpdate"}

    def __init__(self, default_resume_option=None, keep_triggers_active=None, active_trigger_ask_again=None,
                 last_update=None):
        self.default_resume_option = default_resume_option
        self.keep_triggers_active = keep_triggers_active
        self.active_trigger_ask_again = active_trigger_ask_again
        self.last_update = last_update

    @classmethod
    def from_json(cls, json: Optional[dict]) -> "PipelineSettings":
        json = json or {}
        return cls(**{attr: json.get(key) for attr, key in cls.KEYS.items()})

    def to_json(self) -> dict:
        json = {}
        for attr, key in self.KEYS.items():
            value = getattr(self, attr)
            if value is not None:
                json[key] = value.value if isinstance(value, Enum) else value
        return json


class PipelineStats:
    """``GET /pipelines/{id}/statistics``: counters of pipeline executions and node executions by status."""

    def __init__(self, json: dict):
        self._json = json or {}
        self.pipeline_counters = [dict(c) for c in self._json.get("pipelineExecutionCounters") or []]
        self.node_counters = [dict(c) for c in self._json.get("nodeExecutionsCounters") or []]
        self.pipeline_averages = dict(self._json.get("pipelineExecutionStatistics") or {})
        self.node_averages = [dict(c) for c in self._json.get("nodeExecutionStatistics") or []]

    def count(self, status: str) -> int:
        """Pipeline executions with ``status`` since the last reset."""
        return sum(c.get("count", 0) for c in self.pipeline_counters if c.get("status") == status)

    def to_json(self) -> dict:
        return clone_json(self._json)

    def __repr__(self) -> str:
        return f"PipelineStats({self.pipeline_counters})"


class Pipeline(Entity):
    name = Field("name")
    project_id = Field("projectId", readonly=True)
    org_id = Field("orgId", readonly=True)
    composition_id = Field("compositionId", readonly=True)
    status = Field("status", readonly=True)
    start_nodes = Field("startNodes", default=list)
    description = Field("description")
    preview = Field("preview")
    revisions = Field("revisions", readonly=True)
    updated_by = Field("updatedBy", readonly=True)

    @property
    def nodes(self) -> List[PipelineNode]:
        return [PipelineNode.from_json(n) for n in self._json.get("nodes") or []]

    @property
    def connections(self) -> List[PipelineConnection]:
        return [PipelineConnection.from_json(c) for c in self._json.get("connections") or []]

    @property
    def variables(self) -> List[dict]:
        return self._json.setdefault("variables", [])

    @property
    def settings(self) -> PipelineSettings:
        return PipelineSettings.from_json(self._json.get("settings"))

    @settings.setter
    def settings(self, settings: PipelineSettings) -> None:
        self._json["settings"] = settings.to_json()

    def settings_changed(self) -> bool:
        return self._json.get("settings") != self._platform_json.get("settings")

    def variables_changed(self) -> bool:
        return self._json.get("variables") != self._platform_json.get("variables")

    # -- local graph edits (then ``update()``) ---------------------------------------------------
    def add_node(self, node: PipelineNode) -> PipelineNode:
        """Add a node (once); the first node becomes the start node."""
        nodes = self._json.setdefault("nodes", [])
        if all(n.get("id") != node.node_id for n in nodes):
            nodes.append(node.to_json())
        if not self.start_nodes:
            self.set_start_node(node)
        return node

    def remove_node(self, node: PipelineNode) -> None:
        """Remove a node with its connections and start-node entry."""
        node_id = node.node_id
        self._json["nodes"] = [n for n in self._json.get("nodes") or [] if n.get("id") != node_id]
        self._json["connections"] = [c for c in self._json.get("connections") or []
                                     if node_id not in (c["src"]["nodeId"], c["tgt"]["nodeId"])]
        self._json["startNodes"] = [s for s in self.start_nodes if s.get("nodeId") != node_id]

    def connect(self, source: PipelineNode, target: PipelineNode, source_port: Optional[PipelineNodeIO] = None,
                target_port: Optional[PipelineNodeIO] = None, filters=None, action: Optional[str] = None):
        """Connect ``source``'s output port to ``target``'s input port (first ports by default)."""
        self.add_node(source)
        self.add_node(target)
        source_port = source_port or (source.outputs[0] if source.outputs else None)
        target_port = target_port or (target.inputs[0] if target.inputs else None)
        if source_port is None or target_port is None:
            raise ValueError(f"cannot connect {source.name!r} to {target.name!r}: a node has no ports")
        if action is None and source_port.actions:
            action = source_port.actions[0]
        connection = PipelineConnection(source.node_id, source_port.port_id, target.node_id, target_port.port_id,
                                        filters=filters, action=action)
        self._json.setdefault("connections", []).append(connection.to_json())
        return target

    def set_start_node(self, node: PipelineNode) -> None:
        """Make ``node`` the root node."""
        others = [s for s in self.start_nodes if s.get("type") != "root" and s.get("nodeId") != node.node_id]
        self._json["startNodes"] = [{"nodeId": node.node_id, "type": "root"}] + others

    def update_variables_values(self, **values) -> None:
        """Set ``value`` of variables by name."""
        for variable in self.variables:
            if variable.get("name") in values:
                variable["value"] = values[variable["name"]]

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/pipelines/{self.id}"

    # -- repositories ----------------------------------------------------------------------------
    @cached_property
    def pipelines(self):
        from ..repositories.pipelines import Pipelines
        return Pipelines(self._client, project=self._context.get("project"))

    @cached_property
    def pipeline_executions(self):
        from ..repositories.pipeline_executions import PipelineExecutions
        return PipelineExecutions(self._client, project=self._context.get("project"), pipeline=self)

    @cached_property
    def triggers(self):
        from ..repositories.triggers import Triggers
        return Triggers(self._client, project=self._context.get("project"), pipeline=self)

    # -- actions ---------------------------------------------------------------------------------
    def update(self) -> "Pipeline":
        return self.pipelines.update(pipeline=self)

    def delete(self) -> bool:
        return self.pipelines.delete(pipeline=self)

    def install(self, resume_option=None) -> "Pipeline":
        return self.pipelines.install(pipeline=self, resume_option=resume_option)

    def pause(self, keep_triggers_active: Optional[bool] = None) -> None:
        return self.pipelines.pause(pipeline=self, keep_triggers_active=keep_triggers_active)

    def reset(self, stop_if_running: bool = False) -> bool:
        return self.pipelines.reset(pipeline=self, stop_if_running=stop_if_running)

    def stats(self) -> PipelineStats:
        return self.pipelines.stats(pipeline=self)

    def execute(self, execution_input=None, node_id: Optional[str] = None):
        return self.pipeline_executions.create(pipeline_id=self.id, execution_input=execution_input,
                                               node_id=node_id)

    def test(self, execution_input=None):
        return self.pipelines.test(pipeline=self, execution_input=execution_input)

    def execute_batch(self, filters, execution_inputs=None, wait: bool = True, node_id: Optional[str] = None):
        return self.pipeline_executions.create_batch(pipeline_id=self.id, filters=filters,
                                                     execution_inputs=execution_inputs, wait=wait, node_id=node_id)

    def validate(self):
        return self.pipelines.validate(pipeline_json=self.to_json())

    def open_in_web(self) -> None:
        self.pipelines.open_in_web(pipeline=self)
