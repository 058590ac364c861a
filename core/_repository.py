"""Repository base: what every repository shares, so each one stays small and declarative."""
from __future__ import annotations

import copy
from typing import Any, Optional, TYPE_CHECKING
from urllib.parse import quote

from .exceptions import MissingEntity
from .filters import Filters, FiltersResource, as_filters

if TYPE_CHECKING:
    from ._client import DataloopClient


def path(template: str, *params: Any) -> str:
    """Fill ``{}`` placeholders with URL-quoted, non-empty path parameters."""
    quoted = []
    for value in params:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(f"empty path parameter for {template!r}")
        quoted.append(quote(str(value), safe=""))
    return template.format(*quoted)


def prune(mapping: dict) -> dict:
    """Drop keys whose value is ``None``."""
    return {k: v for k, v in mapping.items() if v is not None}


def exactly_one(**candidates) -> str:
    """Return the name of the only argument given; raise ``ValueError`` if none or several are."""
    given = [name for name, value in candidates.items() if value is not None]
    if len(given) != 1:
        names = ", ".join(candidates)
        state = "none" if not given else "both " + " and ".join(given) if len(given) == 2 else ", ".join(given)
        raise ValueError(f"pass exactly one of {names} (got {state})")
    return given[0]


def own_filters(filters: Optional[Filters], resource: FiltersResource) -> Filters:
    """The query a repository may extend: a copy of the caller's ``filters`` (never mutated) or a fresh one,
    checked to be of ``resource``. A dict is taken as a DQL body or filter."""
    filters = as_filters(filters, resource)
    if filters is None:
        return Filters(resource=resource)
    if not isinstance(filters, Filters) or filters.resource != resource:
        got = filters.resource.value if isinstance(filters, Filters) else type(filters).__name__
        raise ValueError(f"filters must be Filters(resource=FiltersResource.{resource.name}), got {got!r}")
    return copy.deepcopy(filters)


def confirm_delete(sure: bool, really: bool, what: str) -> None:
    """The platform's guard: deletes of whole projects/datasets need ``sure=True, really=True``."""
    from .exceptions import Forbidden
    if not (sure and really):
        raise Forbidden("403", f"refusing to delete {what}: pass sure=True and really=True")


class Repository:
    """Base class: holds the client and the parent entities the repository is scoped to."""

    def __init__(self, client: "DataloopClient", **context):
        self._client = client
        self._context = {k: v for k, v in context.items() if v is not None}

    @property
    def _transport(self):
        return self._client.transport

    def _request(self, method: str, url: str, **kwargs) -> Any:
        """Send a request through the client's transport and return its decoded JSON."""
        return self._transport.json(method, url, **kwargs)

    def _parent(self, name: str, required: bool = True) -> Optional[Any]:
        """A parent entity (``project``, ``dataset``, ...) or a clear error when the repository has none."""
        entity = self._context.get(name)
        if entity is None and required:
            raise MissingEntity("2001", f"{type(self).__name__} needs a {name}: use {name}.{_attr(self)} "
                                        f"or pass the {name} explicitly")
        return entity

    def __repr__(self) -> str:
        scope = ", ".join(f"{k}={getattr(v, 'id', v)!r}" for k, v in self._context.items())
        return f"{type(self).__name__}({scope})"


def _attr(repository: Repository) -> str:
    name = type(repository).__name__
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
