"""Entity base: the JSON the platform sent, untouched, plus typed accessors and repositories.

An entity keeps every key it received (unknown ones too), so a get/update round trip never drops data,
and remembers the JSON as received so diff updates (wire §1.9) send only what changed.
"""
from __future__ import annotations

from typing import Any, Optional, TYPE_CHECKING

from ..exceptions import MissingEntity

if TYPE_CHECKING:
    from .._client import DataloopClient


def clone_json(value: Any) -> Any:
    """A fast deep copy for JSON-shaped data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: clone_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone_json(v) for v in value]
    return value


def json_diff(before: dict, after: dict) -> dict:
    """What changed from ``before`` to ``after``: nested dicts hold only changed leaves, removed keys are
    ``None`` and a changed list is sent whole."""
    diff = {}
    for key, new in after.items():
        if key not in before:
            diff[key] = new
        elif before[key] != new:
            old = before[key]
            diff[key] = json_diff(old, new) if isinstance(old, dict) and isinstance(new, dict) else new
    for key in before.keys() - after.keys():
        diff[key] = None
    return diff


class Field:
    """A top-level JSON key exposed as an attribute (``Field("createdAt")`` → ``entity.created_at``)."""

    def __init__(self, key: str, default: Any = None, readonly: bool = False):
        self.key, self.default, self.readonly = key, default, readonly

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj._json.get(self.key, None)
        if value is None and self.default is not None:
            value = self.default() if callable(self.default) else self.default
            obj._json[self.key] = value
        return value

    def __set__(self, obj, value):
        if self.readonly:
            raise AttributeError(f"{type(obj).__name__}.{self.name} is read-only")
        obj._json[self.key] = value


class Parent:
    """A parent entity: the one this entity was reached through, else fetched once by id.

    ``project = Parent()`` on an entity with a ``project_id`` attribute gives ``entity.project`` from
    ``client.projects.get(project_id=...)``; the names derive from the attribute name.
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        parent_id = getattr(obj, f"{self.name}_id")
        parent = obj._context.get(self.name)
        if parent is None or (parent_id is not None and parent.id != parent_id):
            if parent_id is None:
                return None
            repository = getattr(obj._client, f"{self.name}s")
            parent = repository.get(**{f"{self.name}_id": parent_id})
            obj._context[self.name] = parent
        return parent


class Unbound:
    """The client of an unpickled entity: pickles never carry a client (nor its token), so using one fails
    clearly until ``entity.bind(client)``."""

    def __getattr__(self, name):
        raise MissingEntity("2001", "entity was unpickled without a client: call entity.bind(client) first")

    def __bool__(self) -> bool:
        return False


class Entity:
    """Base of every platform entity. ``context`` holds parents (project, dataset, item, ...).

    Pickles and ``to_dict()`` hold the JSON only, never the client: results cross process boundaries as data.
    """

    id = Field("id", readonly=True)
    url = Field("url", readonly=True)
    created_at = Field("createdAt", readonly=True)
    updated_at = Field("updatedAt", readonly=True)
    creator = Field("creator", readonly=True)

    def __init__(self, client: "DataloopClient", json: Optional[dict] = None, **context):
        self._client = client
        self._json: dict = json if json is not None else {}
        self._platform_json: dict = clone_json(self._json)
        self._context = context

    @classmethod
    def from_json(cls, client: "DataloopClient", json: dict, **context):
        return cls(client, json, **context)

    def to_json(self) -> dict:
        """A copy of the full JSON document (every key received, with local edits)."""
        return clone_json(self._json)

    def to_dict(self) -> dict:
        """Plain JSON (the same as ``to_json()``): what an orchestrator task may return."""
        return self.to_json()

    def _data(self) -> dict:
        """The instance state minus the client and the cached repositories bound to it."""
        from .._repository import Repository
        return {k: v for k, v in self.__dict__.items() if k != "_client" and not isinstance(v, Repository)}

    def __getstate__(self) -> dict:
        return self._data()

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._client = Unbound()

    def bind(self, client: "DataloopClient") -> "Entity":
        """Attach a client (to an unpickled entity and its parents); returns the entity."""
        data = self._data()
        self.__dict__.clear()
        self.__dict__.update(data)
        self._client = client
        for parent in self._context.values():
            if isinstance(parent, Entity):
                parent.bind(client)
        return self

    def diff(self) -> dict:
        """Local edits since the entity was received, in the platform's diff-update shape."""
        return json_diff(self._platform_json, self._json)

    def _refresh_from(self, json: dict) -> None:
        self._json = json
        self._platform_json = clone_json(json)

    @property
    def client(self) -> "DataloopClient":
        return self._client

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.id is not None and self.id == other.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        name = self._json.get("name") or self._json.get("title") or self._json.get("filename")
        label = f", name={name!r}" if name else ""
        return f"{type(self).__name__}(id={self.id!r}{label})"
