"""``DataloopClient``: configuration plus one lazily built repository per platform resource."""
from __future__ import annotations

import os
from functools import cached_property
from typing import Optional, Union

from ._transport import Transport, TransportOptions
from .credentials import Credentials

ENV_BASE_URL = "DATALOOP_BASE_URL"
ENV_VERIFY = "DATALOOP_VERIFY_SSL"
KNOWN_CONSOLES = {
    "https://gate.dataloop.ai": "https://console.dataloop.ai/",
    "https://rc-gate.dataloop.ai": "https://rc-con.dataloop.ai/",
    "https://dev-gate.dataloop.ai": "https://dev-con.dataloop.ai/",
}


class DataloopClient:
    """Entry point: ``DataloopClient(base_url=..., token=...)``, ``credentials=Credentials...``, or the
    ``DATALOOP_*`` environment variables (``DATALOOP_BASE_URL`` and those of :meth:`Credentials.from_env`).

    ``base_url`` is the gate root (``https://gate.dataloop.ai`` or an emulator's ``http://127.0.0.1:4020``);
    the client adds ``/api/v1``. Repositories hang off the client and off entities as in the official SDK.
    A pickled client carries no secret: unpickled, it signs in from the ``DATALOOP_*`` environment of its
    process, and its first request raises ``Unauthorized`` ("client was unpickled without credentials")
    when that has none.
    """

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, *,
                 credentials: Optional[Credentials] = None,
                 timeout: Union[float, tuple] = (10.0, 120.0), max_retries: int = 5,
                 verify: Optional[Union[bool, str]] = None, pool_size: int = 32,
                 console_url: Optional[str] = None, state_dir: Optional[str] = None,
                 transport: Optional[Transport] = None):
        if transport is None:
            base_url = base_url or os.environ.get(ENV_BASE_URL)
            if token is None and credentials is None:
                credentials = Credentials.find_in_env()
            if verify is None:
                verify = os.environ.get(ENV_VERIFY, "true").lower() not in ("0", "false", "no")
            options = TransportOptions(timeout=timeout, max_retries=max_retries, verify=verify, pool_size=pool_size)
            transport = Transport(base_url, token, options, credentials=credentials)
        self.transport = transport
        self.console_url = (console_url or KNOWN_CONSOLES.get(transport.gate_url)
                            or transport.gate_url + "/console/")
        self.state_dir = state_dir or os.path.join(os.getcwd(), ".dataloop")

    def with_options(self, **changes) -> "DataloopClient":
        """A client whose transport has some options changed (``timeout``, ``max_retries``, ``pool_size``...)."""
        return DataloopClient(transport=self.transport.with_options(**changes), console_url=self.console_url,
                              state_dir=self.state_dir)

    def __getstate__(self) -> dict:
        """What a pickle keeps: the transport (pickled without secrets) and the settings; no repositories."""
        return {"transport": self.transport, "console_url": self.console_url, "state_dir": self.state_dir}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    @property
    def base_url(self) -> str:
        return self.transport.gate_url

    @property
    def user_email(self) -> Optional[str]:
        """The ``email`` claim of the token (the platform fills owner/creator fields with it)."""
        return self.transport.token_claims.get("email")

    def __repr__(self) -> str:
        return f"DataloopClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "DataloopClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- repositories (unscoped; entities expose scoped ones) --------------------------------------
    @cached_property
    def runs(self):
        """Status, wait and cancel of any run by ``(kind, id)`` (``dataloop_core.runs``)."""
        from .runs import Runs
        return Runs(self)

    @cached_property
    def organizations(self):
        from .repositories.organizations import Organizations
        return Organizations(self)

    @cached_property
    def integrations(self):
        from .repositories.integrations import Integrations
        return Integrations(self)

    @cached_property
    def projects(self):
        from .repositories.projects import Projects
        return Projects(self)

    @cached_property
    def datasets(self):
        from .repositories.datasets import Datasets
        return Datasets(self)

    @cached_property
    def drivers(self):
        from .repositories.drivers import Drivers
        return Drivers(self)

    @cached_property
    def items(self):
        from .repositories.items import Items
        return Items(self)

    @cached_property
    def annotations(self):
        from .repositories.annotations import Annotations
        return Annotations(self)

    @cached_property
    def recipes(self):
        from .repositories.recipes import Recipes
        return Recipes(self)

    @cached_property
    def ontologies(self):
        from .repositories.ontologies import Ontologies
        return Ontologies(self)

    @cached_property
    def commands(self):
        from .repositories.commands import Commands
        return Commands(self)

    @cached_property
    def tasks(self):
        from .repositories.tasks import Tasks
        return Tasks(self)

    @cached_property
    def assignments(self):
        from .repositories.assignments import Assignments
        return Assignments(self)

    @cached_property
    def packages(self):
        from .repositories.packages import Packages
        return Packages(self)

    @cached_property
    def codebases(self):
        from .repositories.codebases import Codebases
        return Codebases(self)

    @cached_property
    def services(self):
        from .repositories.services import Services
        return Services(self)

    @cached_property
    def bots(self):
        from .repositories.bots import Bots
        return Bots(self)

    @cached_property
    def triggers(self):
        from .repositories.triggers import Triggers
        return Triggers(self)

    @cached_property
    def executions(self):
        from .repositories.executions import Executions
        return Executions(self)

    @cached_property
    def pipelines(self):
        from .repositories.pipelines import Pipelines
        return Pipelines(self)

    @cached_property
    def pipeline_executions(self):
        from .repositories.pipeline_executions import PipelineExecutions
        return PipelineExecutions(self)
