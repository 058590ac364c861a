"""Change feeds: react to the data rather than the clock (``dataloop_core.feed``).

``ItemFeed`` (items of a dataset created or updated), ``RunFeed`` (executions or pipeline executions finishing) and
``TaskFeed`` (an annotation task reaching a threshold). ``poll()`` returns ``Change`` records, in order, each once;
``feed.cursor`` is a short opaque string to persist and pass back (``cursor=``) to resume after a restart.
A feed object is polled from one thread at a time; its cursor is its whole state.

How ``ItemFeed`` and ``RunFeed`` stay exact on nothing but the platform's own DQL queries (wire §2):

- Order is the keyset ``(timestamp, id)`` ascending; timestamp is ``updatedAt`` (``createdAt`` for a feed of
  creations only). The cursor holds the position of the last change seen; the next query asks for what comes after
  it with single-field clauses: ``ts >= t AND (ts > t OR id > i)``. The id breaks ties, so any number of changes
  stamped in the same millisecond are paged through with no miss and no repeat, whatever the page size.
- Timestamps go back to the platform exactly as it wrote them (never re-formatted or rounded).
- Keyset, not offset, paging: an item updated while we page moves *after* the cursor and is found there again as
  a new change; nothing shifts under a page. (Deleted items are not changes this feed can see.)
- Settle window: two writes stamped t1 < t2 by concurrent requests can become visible in the order t2, t1. A poll
  therefore only reports changes stamped at least ``settle`` seconds before the server's clock (the query
  response's ``Date`` header; the local clock when there is none), so a late write still lands after the cursor.
  ``settle=0`` reports changes as soon as they are visible.
- Bounded: one poll sends at most ``ceil(max_changes / page_size) + 1`` requests.
"""
from __future__ import annotations

import base64
import binascii
import copy
import email.utils
import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, List, Optional, Sequence, Tuple, Union

from ._plain import checked_fields
from ._repository import exactly_one, path, prune
from .entities.execution import TERMINAL_STATUSES as EXECUTION_TERMINAL, Execution
from .entities.pipeline_execution import TERMINAL_STATUSES as PIPELINE_TERMINAL, PipelineExecution
from .exceptions import DataloopError
from .filters import Filters, FiltersResource, as_filters
from .runs import RunKind

DEFAULT_SETTLE = 2.0
CURSOR_PREFIX = "dlfeed1."
Position = Tuple[str, str]  # (timestamp as the platform wrote it, id); id "" = "from this instant on"
Since = Union[None, str, datetime]


class ChangeKind(str, Enum):
    ITEM_CREATED = "item_created"
    ITEM_UPDATED = "item_updated"
    TASK_COMPLETED = "task_completed"
    RUN_FINISHED = "run_finished"


@dataclass(frozen=True)
class Change:
    """One change: ``kind`` (a ``ChangeKind`` value), the entity ``id``, ``at`` (ISO-8601 UTC), ``data`` (a small
    plain JSON dict) and ``cursor``: the feed's cursor just after this change (resume there to continue after it)."""

    kind: str
    id: str
    at: str
    data: dict
    cursor: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Change":
        return cls(**checked_fields(cls, data))


# -- timestamps ------------------------------------------------------------------------------------------
def _instant(text: Any, what: str) -> datetime:
    """An ISO-8601 timestamp as an aware datetime (a timestamp without offset is UTC, as the platform writes)."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be an ISO-8601 timestamp string, got {type(text).__name__}")
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)", iso)
    if match:  # fromisoformat before 3.11 takes only 3 or 6 fraction digits
        iso = f"{match[1]}.{match[2][:6].ljust(6, '0')}{match[3]}"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"{what} is not an ISO-8601 timestamp: {text[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _platform_time(moment: datetime) -> str:
    """``2024-01-01T12:34:56.789Z``, the platform's format (wire §1.8), rounded down to the millisecond."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _since(since: Since) -> str:
    """``since`` (an aware datetime or an ISO-8601 string with an offset) in the platform's format."""
    if isinstance(since, str):
        if re.search(r"(Z|z|[+-]\d\d:?\d\d)$", since) is None:
            raise ValueError(f"since must carry a timezone (e.g. 2024-01-01T00:00:00Z), got {since[:40]!r}")
        return _platform_time(_instant(since, "since"))
    if isinstance(since, datetime):
        if since.tzinfo is None or since.utcoffset() is None:
            raise ValueError(f"since must be timezone-aware (e.g. datetime.now(timezone.utc)), got {since!r}")
        return _platform_time(since)
    raise TypeError(f"since must be a timezone-aware datetime or an ISO-8601 string, got {type(since).__name__}")


def _now_utc() -> str:
    return _platform_time(datetime.now(timezone.utc))


def _server_clock(response) -> datetime:
    """The server's time from the ``Date`` header (1 s resolution, rounded down), else the local clock."""
    header = response.headers.get("Date")
    try:
        moment = email.utils.parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        moment = None
    return moment.astimezone(timezone.utc) if moment and moment.tzinfo else datetime.now(timezone.utc)


# -- cursors ---------------------------------------------------------------------------------------------
def _scope_digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()[:12]


def _encode(feed: str, scope: str, state: list) -> str:
    raw = json.dumps([feed, scope, *state], separators=(",", ":")).encode()
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: Any, feed: str, scope: str, what: str) -> list:
    """The state list of a cursor made by a feed of type ``feed`` over ``scope``; ValueError naming the problem."""
    if not isinstance(cursor, str):
        raise ValueError(f"cursor must be a string from feed.cursor, got {type(cursor).__name__}")
    if not cursor.startswith(CURSOR_PREFIX):
        raise ValueError(f"cursor {cursor[:40]!r} is not a dataloop_core.feed cursor (it must start with "
                         f"{CURSOR_PREFIX!r})")
    body = cursor[len(CURSOR_PREFIX):]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        raise ValueError(f"cursor {cursor[:40]!r} is corrupt (not base64 JSON)") from None
    if not isinstance(decoded, list) or len(decoded) < 2 or not all(isinstance(p, str) for p in decoded[:2]):
        raise ValueError(f"cursor {cursor[:40]!r} is corrupt (unexpected content)")
    if decoded[0] != feed:
        raise ValueError(f"cursor belongs to a {decoded[0][:20]} feed, not to this {feed} feed")
    if decoded[1] != scope:
        raise ValueError(f"cursor was made for another {what}; start this feed without a cursor or with its own")
    return decoded[2:]


def _position(value: Any, what: str) -> Optional[Position]:
    """A stored ``[timestamp, id]`` (or null), checked."""
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise ValueError(f"cursor {what} is corrupt: expected [timestamp, id], got {value!r:.60}")
    _instant(value[0], f"cursor {what} timestamp")
    if value[1] and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value[1]):
        raise ValueError(f"cursor {what} id {value[1][:40]!r} is not a platform id")
    return value[0], value[1]


def _check_max_changes(max_changes: Any) -> int:
    if isinstance(max_changes, bool) or not isinstance(max_changes, int) or max_changes < 1:
        raise ValueError(f"max_changes must be an int >= 1, got {max_changes!r}")
    return max_changes


# -- the keyset engine shared by ItemFeed and RunFeed ------------------------------------------------------
def _after(query: dict, field: str, position: Optional[Position]) -> dict:
    """``query`` narrowed to what sorts after ``position`` by ``(field, id)``: ``field >= t AND (field > t OR
    id > i)`` in single-field clauses; the tie clause goes nested in ``$and`` when the query has its own ``$or``."""
    query = copy.deepcopy(query)
    if position is None:
        return query
    stamp, last_id = position
    query.setdefault("$and", []).append({field: {"$gte": stamp}})
    if last_id:
        tie = [{field: {"$gt": stamp}}, {"id": {"$gt": last_id}}]
        if "$or" in query:
            query["$and"].append({"$or": tie})
        else:
            query["$or"] = tie
    return query


class _KeysetFeed:
    """Pages a DQL listing sorted by ``(field, id)`` from a position; subclasses say what to query and what a row
    means. The cursor keeps the position and, when it differs, the reference: where the poll that made it started
    (an item created after the reference is new to the caller), so a resume from any change's cursor classifies
    the rest as the first run did."""

    FEED = ""
    MAX_PAGE_SIZE = 1000
    SCOPE_LABEL = "feed"

    def __init__(self, scope: str, field: str, cursor: Optional[str], since: Since, page_size: int, settle: float):
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= self.MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be an int from 1 to {self.MAX_PAGE_SIZE}, got {page_size!r}")
        if isinstance(settle, bool) or not isinstance(settle, (int, float)) or not 0 <= settle <= 3600:
            raise ValueError(f"settle must be a number of seconds from 0 to 3600, got {settle!r}")
        self._scope, self._field = scope, field
        self.page_size, self.settle = page_size, float(settle)
        self._position: Optional[Position] = None
        self._reference: Optional[Position] = None
        if cursor is not None:
            state = _decode(cursor, self.FEED, scope, self.SCOPE_LABEL)
            if len(state) not in (1, 2):
                raise ValueError(f"cursor {cursor[:40]!r} is corrupt (unexpected content)")
            self._position = _position(state[0], "position")
            self._reference = _position(state[-1], "reference")
        if since is not None:
            since = _since(since)  # checked even when a cursor wins, so a bad value fails on the first run too
            if cursor is None:
                self._position = self._reference = (since, "")

    @property
    def cursor(self) -> str:
        """Where the next poll continues: persist it and pass it back as ``cursor=``."""
        return self._cursor_at(self._position, self._reference)

    def _cursor_at(self, position: Optional[Position], reference: Optional[Position]) -> str:
        state = [list(p) if p else None for p in ([position] if reference == position else [position, reference])]
        return _encode(self.FEED, self._scope, state)

    # -- what subclasses define ------------------------------------------------------------------------------
    def _query_page(self, query: dict, page_size: int):
        """Send one DQL query; return the raw response (its ``Date`` header is the server's clock)."""
        raise NotImplementedError

    def _base_query(self) -> dict:
        raise NotImplementedError

    def _change(self, row: dict, reference: Optional[Position]) -> Optional[Tuple[str, dict]]:
        """``(kind, data)`` for a row, or None to pass over it (the cursor still moves past it)."""
        raise NotImplementedError

    def _before_first_poll(self) -> int:
        """Checks made once (e.g. that the parent exists); returns the number of requests sent."""
        return 0

    # -- polling ---------------------------------------------------------------------------------------------
    def poll(self, max_changes: int = 1000) -> List[Change]:
        """The changes after the cursor, oldest first, at most ``max_changes``; the cursor moves past them.
        Sends at most ``ceil(max_changes / page_size) + 1`` requests. If a request fails the feed stays where it
        was (the error propagates; the next poll repeats the same query)."""
        budget = math.ceil(_check_max_changes(max_changes) / self.page_size) + 1 - self._before_first_poll()
        position, reference, changes, more = self._position, self._reference, [], True
        while more and budget > 0 and len(changes) < max_changes:
            want = min(self.page_size, max_changes - len(changes))
            response = self._query_page(_after(self._base_query(), self._field, position), want)
            budget -= 1
            rows, more = self._settled_rows(response, want)
            for row in rows:
                self._check_order(position, row)
                position = (row[self._field], row["id"])
                found = self._change(row, reference)
                if found is not None:
                    changes.append(Change(found[0], row["id"], row[self._field], found[1],
                                          self._cursor_at(position, reference)))
                    if len(changes) == max_changes:
                        break
        self._position = self._reference = position
        return changes

    def _check_order(self, position: Optional[Position], row: dict) -> None:
        """A listing out of ``(timestamp, id)`` order (mixed timestamp formats) would make the feed skip changes:
        fail loudly instead."""
        if position is not None and (_instant(row[self._field], self._field), row["id"]) <= \
                (_instant(position[0], "cursor"), position[1]):
            raise DataloopError(f"{self.FEED} feed: the platform listed {row['id']} ({self._field} "
                                f"{row[self._field]}) after {position[1] or 'the start'} ({position[0]}): not in "
                                f"({self._field}, id) order, so the feed cannot follow this listing")

    def _settled_rows(self, response, want: int) -> Tuple[List[dict], bool]:
        """The page's rows stamped before the settle horizon, and whether a next page may hold more."""
        envelope = response.json() or {}
        rows = envelope.get("items") or []
        horizon = _server_clock(response) - timedelta(seconds=self.settle) if self.settle else None
        for index, row in enumerate(rows):
            if not isinstance(row.get(self._field), str) or not isinstance(row.get("id"), str):
                raise DataloopError(f"{self.FEED} feed: a listed entity has no {self._field} or id "
                                    f"({str(row)[:80]}); it cannot be ordered")
            if horizon is not None and _instant(row[self._field], self._field) > horizon:
                return rows[:index], False  # not settled yet: a later poll takes it
        return rows, len(rows) == want and bool(envelope.get("hasNextPage", True))

    def _body(self, query: dict, page_size: int, resource: str) -> dict:
        return {"filter": query, "sort": {self._field: "ascending", "id": "ascending"}, "page": 0,
                "pageSize": page_size, "resource": resource}


# -- items ---------------------------------------------------------------------------------------------------
ITEM_EVENTS = ("created", "updated")
_BODY_KEYS = {"filter", "join", "resource", "page", "pageSize", "context"}  # page and pageSize: the feed's own


def _item_query(filters) -> Tuple[dict, Optional[dict]]:
    """``(filter, join)`` of the caller's query (``as_filters``: a dict is a DQL body, sent as given, or a bare
    filter added to the item defaults); None is the defaults: files that are not hidden."""
    filters = as_filters(filters, FiltersResource.ITEM) or Filters()
    if filters.resource != FiltersResource.ITEM:
        raise ValueError(f"filters must be Filters(resource=FiltersResource.ITEM), got {filters.resource.value!r}")
    if filters.sort:
        raise ValueError("filters may not sort: the feed orders by (timestamp, id) itself")
    body = filters.prepare()
    extra = sorted(set(body) - _BODY_KEYS)
    if extra:
        raise ValueError(f"filters may not set {', '.join(extra)} in a feed")
    return body["filter"], body.get("join")


def _after_reference(row: dict, reference: Optional[Position]) -> bool:
    """Whether the item was created after ``reference`` (so the caller cannot have seen it before)."""
    if reference is None:
        return True
    return (_instant(row.get("createdAt"), "createdAt"), row["id"]) > (_instant(reference[0], "cursor"), reference[1])


class ItemFeed(_KeysetFeed):
    """Items of a dataset created or updated, matching ``filters``: ``None`` (files that are not hidden), a
    ``Filters`` of items, or a dict (a bare DQL filter such as ``{"dir": "/raw"}``, added to those defaults, or a
    DQL body ``{"filter": ...}``, sent as given). The feed sets sort and paging itself.

    ``events``: ``("created", "updated")`` (ordered by ``updatedAt``: an item changed several times between polls
    is reported once, at its latest state), ``("created",)`` (ordered by ``createdAt``: each item once, when it
    appears) or ``("updated",)``. An item is ``item_created`` when it was created after the position the poll
    started from, else ``item_updated``. Start: ``cursor`` (resume) or else ``since`` (changes stamped at or
    after it; so a caller may always pass both), or neither (every item from the beginning)."""

    FEED = "item"
    SCOPE_LABEL = "dataset or event set"

    def __init__(self, client, dataset_id: str, filters=None, cursor: Optional[str] = None, since: Since = None,
                 events: Sequence[str] = ITEM_EVENTS, page_size: int = 1000, *, settle: float = DEFAULT_SETTLE):
        if not isinstance(dataset_id, str) or not dataset_id.strip():
            raise ValueError(f"dataset_id must be a non-empty string, got {dataset_id!r}")
        if isinstance(events, str) or not events or not set(events) <= set(ITEM_EVENTS):
            raise ValueError(f"events must be a non-empty list of {' and '.join(ITEM_EVENTS)}, got {events!r}")
        self._client, self.dataset_id = client, dataset_id
        self.events = tuple(e for e in ITEM_EVENTS if e in events)
        self._query, self._join = _item_query(filters)
        field = "createdAt" if self.events == ("created",) else "updatedAt"
        super().__init__(_scope_digest(dataset_id, field), field, cursor, since, page_size, settle)

    def _base_query(self) -> dict:
        return self._query

    def _query_page(self, query: dict, page_size: int):
        body = self._body(query, page_size, "items")
        if self._join is not None:
            body["join"] = self._join
        return self._client.transport.request("POST", path("/datasets/{}/query", self.dataset_id), json=body,
                                              retry_safe=True)

    def _change(self, row: dict, reference: Optional[Position]) -> Optional[Tuple[str, dict]]:
        created = self._field == "createdAt" or _after_reference(row, reference)
        kind = ChangeKind.ITEM_CREATED if created else ChangeKind.ITEM_UPDATED
        if ("created" if created else "updated") not in self.events:
            return None
        system = (row.get("metadata") or {}).get("system") or {}
        data = prune({"id": row["id"], "datasetId": row.get("datasetId"), "filename": row.get("filename"),
                      "name": row.get("name"), "dir": row.get("dir"), "type": row.get("type"),
                      "createdAt": row.get("createdAt"), "updatedAt": row.get("updatedAt"),
                      "annotated": row.get("annotated"), "mimetype": system.get("mimetype"),
                      "size": system.get("size")})
        return kind.value, data

    def __repr__(self) -> str:
        return f"ItemFeed(dataset_id={self.dataset_id!r}, events={self.events!r}, position={self._position!r})"


# -- runs ----------------------------------------------------------------------------------------------------
class RunFeed(_KeysetFeed):
    """Executions (``kind="execution"``) or pipeline executions (``kind="pipeline_execution"``) reaching a terminal
    status, ordered by ``updatedAt``: of ``run_ids``, of a service (``service_id=``, executions) or of a pipeline
    (``pipeline_id=``). A run finishing again later (a rerun) is reported again. Start: ``cursor``, else ``since``,
    or neither (every finished run)."""

    FEED = "run"
    MAX_PAGE_SIZE = 100  # the platform's cap for executions and pipeline executions (wire §2.3)
    SCOPE_LABEL = "set of runs"
    _KINDS = {RunKind.EXECUTION.value: ("/query/faas", "executions", "latestStatus.status", EXECUTION_TERMINAL),
              RunKind.PIPELINE_EXECUTION.value: ("/pipelines/query", "pipelineState", "status", PIPELINE_TERMINAL)}

    def __init__(self, client, kind, run_ids: Optional[Sequence[str]] = None, *, service_id: Optional[str] = None,
                 pipeline_id: Optional[str] = None, cursor: Optional[str] = None, since: Since = None,
                 page_size: int = 100, settle: float = DEFAULT_SETTLE):
        kind = getattr(kind, "value", kind)
        if kind not in self._KINDS:
            raise ValueError(f"RunFeed follows kind 'execution' or 'pipeline_execution', got {kind!r} "
                             f"(for an annotation task use TaskFeed)")
        given = exactly_one(run_ids=run_ids, service_id=service_id, pipeline_id=pipeline_id)
        if (given, kind) in (("service_id", "pipeline_execution"), ("pipeline_id", "execution")):
            raise ValueError(f"{given} does not select runs of kind {kind!r}: executions are selected by "
                             f"service_id, pipeline executions by pipeline_id (or either by run_ids)")
        if given == "run_ids":
            if isinstance(run_ids, str) or not run_ids or not all(isinstance(r, str) and r.strip() for r in run_ids):
                raise ValueError(f"run_ids must be a non-empty list of run ids, got {run_ids!r}")
            selector = sorted(set(run_ids))
            clause = {"id": {"$in": selector}}
        else:
            selector = service_id or pipeline_id
            if not isinstance(selector, str) or not selector.strip():
                raise ValueError(f"{given} must be a non-empty string, got {selector!r}")
            clause = {"serviceId" if given == "service_id" else "pipelineId": selector}
        self._client, self.kind, self._selected_by = client, kind, given
        self._url, self._resource, status_field, terminal = self._KINDS[kind]
        self._filter = {"$and": [clause, {status_field: {"$in": sorted(terminal)}}]}
        self._parent_checked = given == "run_ids"
        self._parent_id = selector
        super().__init__(_scope_digest(kind, given, selector), "updatedAt", cursor, since, page_size, settle)

    def _before_first_poll(self) -> int:
        """An unknown service or pipeline raises NotFound on the first poll, rather than an empty feed forever."""
        if self._parent_checked:
            return 0
        url = "/services/{}" if self._selected_by == "service_id" else "/pipelines/{}"
        self._client.transport.request("GET", path(url, self._parent_id))
        self._parent_checked = True
        return 1

    def _base_query(self) -> dict:
        return self._filter

    def _query_page(self, query: dict, page_size: int):
        return self._client.transport.request("POST", self._url, json=self._body(query, page_size, self._resource),
                                              retry_safe=True)

    def _change(self, row: dict, reference: Optional[Position]) -> Optional[Tuple[str, dict]]:
        if self.kind == RunKind.EXECUTION.value:
            status = Execution(self._client, row).run_status()
            extra = {"serviceId": row.get("serviceId"), "functionName": row.get("functionName")}
        else:
            status = PipelineExecution(self._client, row).run_status()
            extra = {"pipelineId": row.get("pipelineId")}
        data = prune({"id": row["id"], "kind": self.kind, "status": status.status, "succeeded": status.succeeded,
                      "message": status.message, **extra})
        return ChangeKind.RUN_FINISHED.value, data

    def __repr__(self) -> str:
        return f"RunFeed(kind={self.kind!r}, {self._selected_by}=..., position={self._position!r})"


# -- tasks ---------------------------------------------------------------------------------------------------
class TaskFeed:
    """One ``task_completed`` change when the annotation task reaches ``min_percent`` (or, with ``statuses``, when
    every item has one of them). It fires again only after the task fell below the threshold and reached it anew.
    One request per poll."""

    FEED = "task"

    def __init__(self, client, task_id: str, min_percent: float = 100, cursor: Optional[str] = None, *,
                 statuses: Optional[List[str]] = None):
        if not isinstance(task_id, str) or not task_id.strip():
            raise ValueError(f"task_id must be a non-empty string, got {task_id!r}")
        if isinstance(min_percent, bool) or not isinstance(min_percent, (int, float)) or not 0 < min_percent <= 100:
            raise ValueError(f"min_percent must be a number in (0, 100], got {min_percent!r}")
        self._client, self.task_id, self.min_percent, self.statuses = client, task_id, min_percent, statuses
        self._scope = _scope_digest(task_id)
        self._fired = False
        if cursor is not None:
            state = _decode(cursor, self.FEED, self._scope, "task")
            if len(state) != 1 or not isinstance(state[0], bool):
                raise ValueError(f"cursor {cursor[:40]!r} is corrupt (unexpected content)")
            self._fired = state[0]

    @property
    def cursor(self) -> str:
        return _encode(self.FEED, self._scope, [self._fired])

    def poll(self, max_changes: int = 1000) -> List[Change]:
        """``[Change]`` when the threshold was reached since the last change, else ``[]``."""
        _check_max_changes(max_changes)
        status = self._client.tasks.status(self.task_id, min_percent=self.min_percent, statuses=self.statuses)
        if not status.terminal:
            self._fired = False  # below the threshold again: re-armed
            return []
        if self._fired:
            return []
        self._fired = True
        data = {"id": self.task_id, "status": status.status, "percent": status.percent, **(status.output or {})}
        return [Change(ChangeKind.TASK_COMPLETED.value, self.task_id, _now_utc(), data, self.cursor)]

    def __repr__(self) -> str:
        return f"TaskFeed(task_id={self.task_id!r}, min_percent={self.min_percent!r}, fired={self._fired})"


__all__ = ["Change", "ChangeKind", "ItemFeed", "RunFeed", "TaskFeed", "DEFAULT_SETTLE"]
