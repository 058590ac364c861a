"""Service: a package module deployed to run functions (wire §3.14, §8), and its runtime settings."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Optional

from .base import Entity, Field, Parent


class InstanceCatalog(str, Enum):
    """Pod types a service can run on."""

    REGULAR_XS = "regular-xs"
    REGULAR_S = "regular-s"
    REGULAR_M = "regular-m"
    REGULAR_L = "regular-l"
    HIGHMEM_XS = "highmem-xs"
    HIGHMEM_S = "highmem-s"
    HIGHMEM_M = "highmem-m"
    HIGHMEM_L = "highmem-l"
    GPU_T4 = "gpu-t4"
    GPU_T4_M = "gpu-t4-m"
    HIGHCPU_XS = "highcpu-xs"


class OnResetAction(str, Enum):
    RERUN = "rerun"
    FAILED = "failed"


class KubernetesAutoscalerType(str, Enum):
    RABBITMQ = "rabbitmq"
    RPS = "rps"


class KubernetesAutoscaler:
    """Base autoscaler settings (``runtime.autoscaler``)."""

    type = None

    def __init__(self, min_replicas: int = 0, max_replicas: int = 1, cooldown_period: Optional[int] = None,
                 polling_interval: Optional[int] = None, **extra):
        self.min_replicas, self.max_replicas = min_replicas, max_replicas
        self.cooldown_period, self.polling_interval = cooldown_period, polling_interval
        self.extra = extra

    def to_json(self) -> dict:
        body = {"type": getattr(self.type, "value", self.type), "minReplicas": self.min_replicas,
                "maxReplicas": self.max_replicas, "cooldownPeriod": self.cooldown_period,
                "pollingInterval": self.polling_interval, **self.extra}
        return {k: v for k, v in body.items() if v is not None}


class KubernetesRabbitmqAutoscaler(KubernetesAutoscaler):
    type = KubernetesAutoscalerType.RABBITMQ

    def __init__(self, min_replicas: int = 0, max_replicas: int = 1, queue_length: int = 10, **kwargs):
        super().__init__(min_replicas, max_replicas, **kwargs)
        self.queue_length = queue_length

    def to_json(self) -> dict:
        return {**super().to_json(), "queueLength": self.queue_length}


class KubernetesRPSAutoscaler(KubernetesAutoscaler):
    type = KubernetesAutoscalerType.RPS

    def __init__(self, min_replicas: int = 0, max_replicas: int = 1, threshold: int = 10, rate_seconds: int = 30,
                 **kwargs):
        super().__init__(min_replicas, max_replicas, **kwargs)
        self.threshold, self.rate_seconds = threshold, rate_seconds

    def to_json(self) -> dict:
        return {**super().to_json(), "threshold": self.threshold, "rateSeconds": self.rate_seconds}


class KubernetesRuntime:
    """``runtime`` of a service: pod type, replicas, concurrency (executions at once per replica), autoscaler."""

    def __init__(self, pod_type: InstanceCatalog = InstanceCatalog.REGULAR_S, num_replicas: int = 1,
                 concurrency: int = 10, runner_image: Optional[str] = None,
                 autoscaler: Optional[KubernetesAutoscaler] = None, **extra):
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        self.pod_type, self.num_replicas, self.concurrency = pod_type, num_replicas, concurrency
        self.runner_image, self.autoscaler, self.extra = runner_image, autoscaler, extra

    def to_json(self) -> dict:
        autoscaler = self.autoscaler.to_json() if isinstance(self.autoscaler, KubernetesAutoscaler) \
            else self.autoscaler
        body = {"podType": getattr(self.pod_type, "value", self.pod_type), "numReplicas": self.num_replicas,
                "concurrency": self.concurrency, "runnerImage": self.runner_image, "autoscaler": autoscaler,
                **self.extra}
        return {k: v for k, v in body.items() if v is not None}


class Service(Entity):
    name = Field("name", readonly=True)
    project_id = Field("projectId", readonly=True)
    package_id = Field("packageId", readonly=True)
    org_id = Field("orgId", readonly=True)
    package_revision = Field("packageRevision")
    version = Field("version", readonly=True)
    module_name = Field("moduleName")
    init_input = Field("initParams")
    versions = Field("versions")
    runtime = Field("runtime")
    active = Field("active", readonly=True)
    driver_id = Field("driverId")
    secrets = Field("secrets")
    integrations = Field("integrations")
    execution_timeout = Field("executionTimeout")
    drain_time = Field("drainTime")
    max_attempts = Field("maxAttempts")
    on_reset = Field("onReset")
    run_execution_as_process = Field("runExecutionAsProcess")
    use_user_jwt = Field("useUserJwt")
    bot = Field("botUserName", readonly=True)
    is_global = Field("global", readonly=True)
    type = Field("type", readonly=True)
    mode = Field("mode")
    metadata = Field("metadata")
    updated_by = Field("updatedBy", readonly=True)

    project = Parent()
    package = Parent()

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/services/{self.id}/main"

    # -- repositories ----------------------------------------------------------------------------
    @cached_property
    def services(self):
        from ..repositories.services import Services
        return Services(self._client, project=self._context.get("project"), package=self._context.get("package"))

    @cached_property
    def executions(self):
        from ..repositories.executions import Executions
        return Executions(self._client, service=self, project=self._context.get("project"))

    @cached_property
    def triggers(self):
        from ..repositories.triggers import Triggers
        return Triggers(self._client, service=self, project=self._context.get("project"))

    # -- actions ---------------------------------------------------------------------------------
    def update(self, force: bool = False) -> "Service":
        return self.services.update(service=self, force=force)

    def delete(self, force: bool = False) -> bool:
        return self.services.delete(service_id=self.id, force=force)

    def status(self) -> dict:
        return self.services.status(service_id=self.id)

    def pause(self, force: bool = False) -> bool:
        return self.services.pause(service_id=self.id, force=force)

    def resume(self, force: bool = False) -> dict:
        return self.services.resume(service_id=self.id, force=force)

    def restart(self, replica_name: Optional[str] = None) -> bool:
        return self.services.restart(service=self, replica_name=replica_name)

    def revisions(self) -> list:
        return self.services.revisions(service=self)

    def log(self, size: int = 100, checkpoint: Optional[dict] = None, start: Optional[str] = None,
            end: Optional[str] = None, follow: bool = False, text: Optional[str] = None,
            execution_id: Optional[str] = None, function_name: Optional[str] = None,
            replica_id: Optional[str] = None, system: bool = False, view: bool = True, until_completed: bool = True):
        return self.services.log(service=self, size=size, checkpoint=checkpoint, start=start, end=end,
                                 follow=follow, text=text, execution_id=execution_id, function_name=function_name,
                                 replica_id=replica_id, system=system, view=view, until_completed=until_completed)

    def execute(self, execution_input=None, function_name: Optional[str] = None, resource=None,
                item_id: Optional[str] = None, dataset_id: Optional[str] = None, annotation_id: Optional[str] = None,
                project_id: Optional[str] = None, sync: bool = False, stream_logs: bool = False,
                return_output: bool = False, timeout: Optional[float] = None):
        return self.executions.create(execution_input=execution_input, function_name=function_name,
                                      resource=resource, item_id=item_id, dataset_id=dataset_id,
                                      annotation_id=annotation_id, project_id=project_id, sync=sync,
                                      stream_logs=stream_logs, return_output=return_output, timeout=timeout)

    def activate_slots(self, project_id: Optional[str] = None, task_id: Optional[str] = None,
                       dataset_id: Optional[str] = None, org_id: Optional[str] = None,
                       user_email: Optional[str] = None, slots=None, role=None, prevent_override: bool = True,
                       visible: bool = True, icon: str = "fas fa-magic", **kwargs) -> list:
        return self.services.activate_slots(service=self, project_id=project_id, task_id=task_id,
                                            dataset_id=dataset_id, org_id=org_id, user_email=user_email,
                                            slots=slots, role=role, prevent_override=prevent_override,
                                            visible=visible, icon=icon, **kwargs)

    def checkout(self) -> None:
        self.services.checkout(service=self)

    def open_in_web(self) -> None:
        self.services.open_in_web(service=self)
