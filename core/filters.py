"""DQL query builder: ``Filters`` produces exactly the body the platform's query endpoints take (wire §2.2-2.4)."""
from __future__ import annotations

import copy
import json
import os
from enum import Enum
from typing import Any, List, Optional

from ._enums import coerce


class FiltersResource(str, Enum):
    ITEM = "items"
    ANNOTATION = "annotations"
    EXECUTION = "executions"
    PACKAGE = "packages"
    DPK = "dpks"
    APP = "apps"
    SERVICE = "services"
    TRIGGER = "triggers"
    MODEL = "models"
    WEBHOOK = "webhooks"
    RECIPE = "recipe"
    DATASET = "datasets"
    ONTOLOGY = "ontology"
    TASK = "tasks"
    PIPELINE = "pipeline"
    PIPELINE_EXECUTION = "pipelineState"
    COMPOSITION = "composition"
    FEATURE = "feature_vectors"
    FEATURE_SET = "feature_sets"
    ORGANIZATIONS = "organizations"
    DRIVERS = "drivers"
    SETTINGS = "setting"


class FiltersOperations(str, Enum):
    OR = "or"
    AND = "and"
    IN = "in"
    NOT_EQUAL = "ne"
    EQUAL = "eq"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"
    EXISTS = "exists"
    MATCH = "match"
    NIN = "nin"
    GREATER_THAN_OR_EQUAL = "gte"
    LESS_THAN_OR_EQUAL = "lte"


class FiltersMethod(str, Enum):
    OR = "or"
    AND = "and"


class FiltersOrderByDirection(str, Enum):
    DESCENDING = "descending"
    ASCENDING = "ascending"


class FiltersKnownFields(str, Enum):
    DIR = "dir"
    ANNOTATED = "annotated"
    FILENAME = "filename"
    CREATED_AT = "createdAt"
    UPDATED_AT = "updatedAt"
    LABEL = "label"
    NAME = "name"
    HIDDEN = "hidden"
    TYPE = "type"


# every annotation type but "note" (wire §2.3)
DEFAULT_ANNOTATION_TYPES = ["box", "cube", "cube_3d", "class", "comparison", "ellipse", "point", "segment",
                            "polyline", "pose", "binary", "subtitle", "text_mark", "gis", "ref_semantic_3d",
                            "polyline_3d", "text", "ref_image"]
SMALL_PAGE_RESOURCES = {FiltersResource.EXECUTION, FiltersResource.PIPELINE_EXECUTION, FiltersResource.DPK}
KEYSET_RESOURCES = {FiltersResource.ITEM, FiltersResource.ANNOTATION, FiltersResource.FEATURE}


class SingleFilter:
    """One ``{field: value}`` or ``{field: {"$op": value}}`` clause."""

    def __init__(self, field: str, values: Any, operator: Optional[FiltersOperations] = None):
        if not isinstance(field, str) or not field:
            raise ValueError(f"filter field must be a non-empty string, got {field!r}")
        self.field = field
        self.values = values
        self.operator = None if operator is None else coerce(FiltersOperations, operator, "filter operator")

    @staticmethod
    def _recursive(value: str) -> str:
        if value.endswith("*") or os.path.splitext(value)[-1].startswith("."):
            return value
        return value + ("**" if value.endswith("/") else "/**")

    def prepare(self, recursive: bool = False) -> dict:
        values = self.values
        if recursive and self.field == "filename":
            if isinstance(values, str):
                values = self._recursive(values)
            elif isinstance(values, list):
                values = [self._recursive(v) if isinstance(v, str) else v for v in values]
        if self.operator is None:
            return {self.field: values}
        return {self.field: {f"${self.operator.value}": values}}


class RawFilter:
    """A DQL filter expression given as a dict, sent verbatim as one ``$and`` clause."""

    field = None

    def __init__(self, expression: dict):
        self.expression = expression

    def prepare(self, recursive: bool = False) -> dict:
        return copy.deepcopy(self.expression)


class Filters:
    """Build a DQL query; ``prepare()`` returns the request body."""

    def __init__(self, field: Optional[str] = None, values: Any = None, operator: Optional[FiltersOperations] = None,
                 method: Optional[FiltersMethod] = None, custom_filter: Optional[dict] = None,
                 resource: FiltersResource = FiltersResource.ITEM, use_defaults: bool = True,
                 context: Optional[dict] = None, page_size: Optional[int] = None):
        self._resource = coerce(FiltersResource, resource, "filter resource")
        if custom_filter is not None and not isinstance(custom_filter, dict):
            raise ValueError(f"custom_filter must be a dict, got {type(custom_filter).__name__}")
        self.or_filter_list: List[SingleFilter] = []
        self.and_filter_list: List[SingleFilter] = []
        self.custom_filter = custom_filter
        self.page = 0
        self.page_size = page_size if page_size is not None else (100 if self._resource in SMALL_PAGE_RESOURCES else 1000)
        self.method = FiltersMethod.AND
        self.sort: dict = {}
        self.join: Optional[dict] = None
        self.recursive = True
        self.context = context
        self._unique_fields: List[str] = []
        self._use_defaults = use_defaults
        self._system_space: Optional[bool] = None
        self._user_query = "true"
        self._references: Optional[dict] = None
        self._add_defaults()
        if field is not None:
            self.add(field=field, values=values, operator=operator, method=method)

    @classmethod
    def from_dict(cls, body: dict, resource=None) -> "Filters":
        """A ``Filters`` from a DQL body (``{"filter": {...}, "sort", "page", "pageSize", "join", "resource"}``,
        sent as given) or a bare filter expression (``{"dir": "/raw"}``, added to the resource's defaults).
        ``resource`` is the one expected (default: the body's own, else items)."""
        if not isinstance(body, dict):
            raise TypeError(f"a DQL body must be a dict, got {type(body).__name__}")
        full = "filter" in body
        if resource is None:
            resource = body.get("resource", FiltersResource.ITEM.value) if full else FiltersResource.ITEM
        resource = coerce(FiltersResource, resource, "filter resource")
        declared = body.get("resource", resource.value) if full else resource.value
        if declared != resource.value:
            raise ValueError(f"filters are for resource {resource.value!r}, not {declared!r}")
        expression = body["filter"] if full else body
        if not isinstance(expression, dict):
            raise TypeError(f"a DQL filter must be an object, got {type(expression).__name__}")
        filters = cls(resource=resource, use_defaults=not full)
        if expression:
            filters.and_filter_list.append(RawFilter(copy.deepcopy(expression)))
        if full:
            unknown = body.keys() - {"filter", "sort", "page", "pageSize", "join", "resource", "context"}
            if unknown:
                raise ValueError(f"unknown DQL body keys: {', '.join(sorted(unknown))}")
            filters.sort = dict(body.get("sort") or {})
            filters.page = body.get("page", 0)
            filters.page_size = body.get("pageSize", filters.page_size)
            filters.join = copy.deepcopy(body.get("join"))
            filters.context = body.get("context")
        return filters

    @property
    def resource(self) -> FiltersResource:
        return self._resource

    @resource.setter
    def resource(self, value) -> None:
        self._resource = coerce(FiltersResource, value, "filter resource")
        self.reset()

    @property
    def system_space(self) -> Optional[bool]:
        return self._system_space

    @system_space.setter
    def system_space(self, value: bool) -> None:
        self._system_space = value

    @property
    def max_page_size(self) -> int:
        return 100 if self._resource in (FiltersResource.EXECUTION, FiltersResource.PIPELINE_EXECUTION) else 1000

    def reset(self) -> None:
        """Drop every clause and restore the resource defaults."""
        self.or_filter_list, self.and_filter_list, self.join = [], [], None
        self._add_defaults()

    def _add_defaults(self) -> None:
        if not self._use_defaults:
            return
        if self._resource == FiltersResource.ITEM:
            self._unique_fields = ["type", "hidden"]
            self.add("hidden", False)
            self.add("type", "file")
        elif self._resource in (FiltersResource.SERVICE, FiltersResource.PACKAGE):
            self._unique_fields = ["global"]
            self.add("global", True, operator=FiltersOperations.NOT_EQUAL)
        elif self._resource == FiltersResource.ANNOTATION:
            self._unique_fields = ["type"]
            self.add("type", list(DEFAULT_ANNOTATION_TYPES), operator=FiltersOperations.IN)

    def add(self, field: str, values: Any, operator: Optional[FiltersOperations] = None,
            method: Optional[FiltersMethod] = None) -> None:
        """Add a clause; AND clauses on a unique field (items: type/hidden) replace the earlier one."""
        method = coerce(FiltersMethod, method or self.method, "filter method")
        clause = SingleFilter(field, values, operator)
        if method == FiltersMethod.OR:
            self.or_filter_list.append(clause)
            return
        if field in self._unique_fields:
            self.and_filter_list = [f for f in self.and_filter_list if f.field != field]
        self.and_filter_list.append(clause)

    def add_join(self, field: str, values: Any, operator: Optional[FiltersOperations] = None,
                 method: FiltersMethod = FiltersMethod.AND) -> None:
        """Filter items by their annotations (or annotations by their items)."""
        if self._resource not in (FiltersResource.ITEM, FiltersResource.ANNOTATION):
            raise ValueError(f"joins are only for items and annotations, not {self._resource.value}")
        method = coerce(FiltersMethod, method, "filter method")
        if self.join is None:
            if self._resource == FiltersResource.ITEM:
                on = {"resource": FiltersResource.ANNOTATION.value, "local": "itemId", "forigen": "id"}
            else:
                on = {"resource": FiltersResource.ITEM.value, "local": "id", "forigen": "itemId"}
            self.join = {"on": on, "filter": {}}
        clause = SingleFilter(field, values, operator).prepare()
        self.join["filter"].setdefault(f"${method.value}", []).append(clause)

    def has_field(self, field: str) -> bool:
        return any(f.field == field for f in self.or_filter_list + self.and_filter_list)

    def pop(self, field: str) -> None:
        """Remove every clause on ``field``."""
        self.or_filter_list = [f for f in self.or_filter_list if f.field != field]
        self.and_filter_list = [f for f in self.and_filter_list if f.field != field]

    def pop_join(self, field: str) -> None:
        if self.join is not None:
            for key, clauses in self.join["filter"].items():
                self.join["filter"][key] = [c for c in clauses if field not in c]

    def sort_by(self, field: str, value: FiltersOrderByDirection = FiltersOrderByDirection.ASCENDING) -> None:
        direction = coerce(FiltersOrderByDirection, value, "sort direction")
        self.sort[field] = direction.value

    def _query(self) -> dict:
        recursive = self.recursive and self._resource == FiltersResource.ITEM
        query = {}
        if self.or_filter_list:
            query["$or"] = [f.prepare(recursive) for f in self.or_filter_list]
        if self.and_filter_list:
            query["$and"] = [f.prepare(recursive) for f in self.and_filter_list]
        return query

    def _custom_query(self) -> dict:
        body = copy.deepcopy(self.custom_filter)
        if "filter" not in body:
            body = {"filter": body}
        body.setdefault("resource", self._resource.value)
        body.setdefault("page", self.page)
        body.setdefault("pageSize", self.page_size)
        if self.join is not None:
            body.setdefault("join", self.join)
        return body

    def prepare(self, operation: Optional[str] = None, update: Optional[dict] = None, query_only: bool = False,
                system_update: Optional[dict] = None, system_metadata: bool = False) -> dict:
        """The request body: ``filter``, then ``sort``/``page``/``pageSize``/``resource``, join, operation, context."""
        if self.custom_filter is not None:
            return self._custom_query()
        if not 0 <= int(self.page_size) <= self.max_page_size:
            raise ValueError(f"page_size must be between 0 and {self.max_page_size}, got {self.page_size}")
        body: dict = {"filter": self._query()}
        if not query_only:
            if self.sort:
                body["sort"] = dict(self.sort)
            body["page"] = self.page
            body["pageSize"] = self.page_size
            body["resource"] = self._resource.value
        if self.join is not None:
            body["join"] = copy.deepcopy(self.join)
        if self._references is not None:
            body["references"] = self._references
        elif operation == "update":
            body["update"] = {"metadata": {"user": update}} if update else {}
            if system_metadata and system_update:
                body["systemSpace"] = True
                body["update"].setdefault("metadata", {})["system"] = system_update
        elif operation == "delete":
            body["delete"] = True
            body.pop("sort", None)
            if self._resource == FiltersResource.ITEM:
                body.pop("page", None)
                body.pop("pageSize", None)
        elif operation is not None:
            raise ValueError(f"unknown filter operation {operation!r}; expected 'update' or 'delete'")
        if self.context is not None:
            body["context"] = self.context
        if self._system_space is not None:
            body["systemSpace"] = self._system_space
        return body

    def print(self, indent: int = 2) -> None:
        print(json.dumps(self.prepare(), indent=indent))

    def __repr__(self) -> str:
        return f"Filters({json.dumps(self.prepare())})"


def as_filters(filters, resource=None) -> Optional[Filters]:
    """The caller's query as ``Filters``: ``None`` and ``Filters`` as given, a dict as a DQL body or filter
    (``Filters.from_dict``); anything else is a ``TypeError`` naming the expected types."""
    if filters is None or isinstance(filters, Filters):
        return filters
    if isinstance(filters, dict):
        return Filters.from_dict(filters, resource)
    raise TypeError(f"filters must be a Filters or a dict (a DQL body or filter), not {type(filters).__name__}")
