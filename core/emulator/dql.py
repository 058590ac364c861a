"""The DQL evaluator (wire §2, §9.3): compiles a query body to SQL over the document store.

A filter is ``{"$and": [...], "$or": [...]}`` of single-field clauses ``{"field": value}`` or
``{"field": {"$op": value}}``. Fields are dotted paths into the JSON document; a path whose value is an array
matches when any element matches (Mongo semantics), also through the known arrays of objects in
``ARRAY_SEGMENTS``. String values may hold wildcards: for ``filename``, ``*`` stays within one path level and
``**`` crosses levels; elsewhere ``*`` matches anything.

``query`` answers with the platform's page envelope; ``select`` yields every match; ``matches`` evaluates
one document in Python with the same semantics (event triggers).
"""
from __future__ import annotations

import json
import math
import re
import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

from .errors import BadRequest
from .store import Store
from .wildcards import has_wildcard, single_level, wildcard_regex

COMPARISONS = {"$eq": "=", "$ne": "!=", "$gt": ">", "$lt": "<", "$gte": ">=", "$lte": "<="}
OPERATORS = set(COMPARISONS) | {"$in", "$nin", "$exists", "$match"}
# path segments that hold arrays of objects: "metadata.system.refs.id" matches any ref's id
ARRAY_SEGMENTS = {"refs", "modalities", "collections", "snapshots_", "nodes", "connections", "workload"}
# always-scalar, indexed fields: compared directly so SQLite can use the expression indexes of store.py
SCALAR_FIELDS = {"hidden", "type", "filename", "dir", "name", "itemId", "datasetId", "annotated", "label"}
MAX_PAGE_SIZE = 1000
MAX_NESTING = 16  # alternations of $and/$or (same-operator nesting is flattened, so any depth of it works)
MAX_OFFSET = 2 ** 62  # a page past this is past any result: answered empty without asking SQLite
GROUP = 8  # $and/$or clauses are joined as a tree of groups of 8, so 1,000 clauses stay shallow for SQLite
INT64 = 2 ** 63
Scope = Union[None, str, Sequence[str]]  # one scope, or any of several


# -- compiling ---------------------------------------------------------------------------------------
def _json_path(segments: List[str]) -> str:
    quoted = [s if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) else '"' + s.replace('"', '\\"') + '"'
              for s in segments]
    return "'$." + ".".join(quoted).replace("'", "''") + "'"


def _value_param(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return _number(value)


def _number(value: Any) -> Any:
    """Integers beyond SQLite's 64 bits compare as floats (10**30 works, 10**400 is infinity)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -INT64 <= value < INT64:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


def _joined(operator: str, parts: List[str]) -> str:
    """``a OP b OP ...`` as a tree of small groups: SQLite's parser depth stays logarithmic in the clause count."""
    while len(parts) > 1:
        parts = ["(" + f" {operator} ".join(parts[i:i + GROUP]) + ")" for i in range(0, len(parts), GROUP)]
    return parts[0]


def _flattened(operator: str, clauses: list) -> list:
    """The clauses of ``{operator: clauses}`` with nested clauses of the same operator spliced in (iteratively):
    ``{"$and": [a, {"$and": [b, c]}]}`` is ``a AND b AND c``, however deep the nesting."""
    flat, pending = [], list(reversed(clauses))
    while pending:
        clause = pending.pop()
        if isinstance(clause, dict) and list(clause) == [operator] and isinstance(clause[operator], list):
            pending.extend(reversed(clause[operator]))
        else:
            flat.append(clause)
    return flat


class Compiler:
    """Compiles filter clauses against one document expression (``alias.doc``, or an array element)."""

    def __init__(self, doc_expr: str, id_expr: Optional[str] = None):
        self.doc_expr = doc_expr
        self.id_expr = id_expr
        self.params: List[Any] = []

    def filter(self, query: Any, depth: int = 0) -> str:
        if query in (None, {}):
            return "1=1"
        if not isinstance(query, dict):
            raise BadRequest(f"filter must be an object, got {type(query).__name__}")
        if depth > MAX_NESTING:
            raise BadRequest(f"filter is nested too deep: at most {MAX_NESTING} alternations of $and and $or")
        parts = []
        for key, value in query.items():
            if key in ("$and", "$or"):
                if not isinstance(value, list):
                    raise BadRequest(f"{key} must be a list of clauses")
                clauses = [self.filter(v, depth + 1) for v in _flattened(key, value)]
                parts.append(f"({_joined(key[1:].upper(), clauses)})" if clauses else "(1=1)")
            elif key.startswith("$"):
                raise BadRequest(f"unknown filter operator {key!r} at the top level")
            else:
                parts.append(self.field(key, value))
        return "(" + " AND ".join(parts) + ")" if parts else "1=1"

    def field(self, field: str, condition: Any) -> str:
        if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
            return " AND ".join(self.operator(field, op, v) for op, v in condition.items())
        if isinstance(condition, dict) and condition:  # nested object: {"metadata": {"user": {"k": 1}}}
            return " AND ".join(self.field(f"{field}.{k}", v) for k, v in condition.items())
        return self.operator(field, "$eq", condition)

    def operator(self, field: str, op: str, value: Any) -> str:
        if op not in OPERATORS:
            raise BadRequest(f"unknown filter operator {op!r} on field {field!r}; "
                             f"expected one of {', '.join(sorted(OPERATORS))}")
        if op == "$exists":
            return self._exists(field, bool(value))
        if op == "$match":
            if not isinstance(value, dict):
                raise BadRequest(f"$match on {field!r} takes an object")
            return self._match(field, value)
        if op in ("$in", "$nin"):
            if not isinstance(value, list):
                raise BadRequest(f"{op} on {field!r} takes a list, got {type(value).__name__}")
            positive = self._any(field, lambda e: self._in(e, field, value))
            return positive if op == "$in" else f"NOT {positive}"
        if op == "$ne":
            return f"NOT {self._any(field, lambda e: self._compare(e, field, '$eq', value))}"
        return self._any(field, lambda e: self._compare(e, field, op, value))

    # -- leaf conditions over one value expression ---------------------------------------------------
    def _compare(self, expr: str, field: str, op: str, value: Any) -> str:
        if value is None:
            return f"{expr} IS NULL" if op == "$eq" else "0"
        if op == "$eq" and has_wildcard(value):
            prefix = value.split("*", 1)[0]
            self.params.extend([prefix, prefix + "\U0010ffff", value])  # the range lets SQLite use an index
            return f"({expr} >= ? AND {expr} < ? AND dql_glob(?, {int(single_level(field))}, {expr}))"
        if isinstance(value, (dict, list)):
            self.params.append(json.dumps(value, separators=(",", ":")))
            return f"json({expr}) {COMPARISONS[op]} json(?)"
        self.params.append(_number(value))
        return f"{expr} {COMPARISONS[op]} ?"

    def _in(self, expr: str, field: str, values: list) -> str:
        plain = [v for v in values if not has_wildcard(v) and v is not None]
        parts = []
        if plain:
            self.params.extend(_value_param(v) for v in plain)
            parts.append(f"{expr} IN ({', '.join('?' * len(plain))})")
        parts += [self._compare(expr, field, "$eq", v) for v in values if has_wildcard(v) or v is None]
        return "(" + " OR ".join(parts) + ")" if parts else "0"

    # -- paths -------------------------------------------------------------------------------------
    def _any(self, field: str, leaf) -> str:
        """``leaf(expr)`` holds for the field's value, or for any element when the value is an array."""
        if field == "id" and self.id_expr:
            return leaf(self.id_expr)
        segments = field.split(".")
        for i, segment in enumerate(segments[:-1]):
            if segment in ARRAY_SEGMENTS:  # path through an array of objects
                inner = Compiler("e%d.value" % len(self.params), None)
                alias = inner.doc_expr.split(".")[0]
                head, rest = segments[: i + 1], ".".join(segments[i + 1:])
                condition = inner._any(rest, leaf)
                return (f"EXISTS (SELECT 1 FROM json_each({self.doc_expr}, {_json_path(head)}) {alias} "
                        f"WHERE {condition})")
        path = _json_path(segments)
        expr = f"json_extract({self.doc_expr}, {path})"
        if field in SCALAR_FIELDS:
            return leaf(expr)
        scalar = leaf(expr)
        element = leaf("ea.value")
        return (f"(CASE json_type({self.doc_expr}, {path}) WHEN 'array' THEN "
                f"EXISTS (SELECT 1 FROM json_each({self.doc_expr}, {path}) ea WHERE {element}) "
                f"ELSE coalesce({scalar}, 0) END)")

    def _exists(self, field: str, exists: bool) -> str:
        segments = field.split(".")
        if any(s in ARRAY_SEGMENTS for s in segments[:-1]):
            check = self._any(field, lambda e: f"{e} IS NOT NULL")  # json null reads as SQL NULL
            return check if exists else f"NOT {check}"
        kind = f"coalesce(json_type({self.doc_expr}, {_json_path(segments)}), 'null')"
        return f"{kind} {'!=' if exists else '='} 'null'"  # a null value counts as absent

    def _match(self, field: str, sub_filter: dict) -> str:
        inner = Compiler("m%d.value" % len(self.params), None)
        alias = inner.doc_expr.split(".")[0]
        condition = inner.filter(sub_filter)
        self.params.extend(inner.params)
        return (f"EXISTS (SELECT 1 FROM json_each({self.doc_expr}, {_json_path(field.split('.'))}) {alias} "
                f"WHERE json_type({alias}.value) = 'object' AND {condition})")


# -- running queries -------------------------------------------------------------------------------
JOIN_ON = {
    "item": ("annotation", "json_extract(j.doc, '$.itemId') = d.id AND j.scope = d.scope"),
    "annotation": ("item", "j.id = json_extract(d.doc, '$.itemId')"),
}


def compile_where(kind: str, query: Any, join: Optional[dict] = None) -> Tuple[str, List[Any]]:
    """SQL condition (over alias ``d``) and its parameters for a filter and an optional join."""
    if join is not None and not isinstance(join, dict):
        raise BadRequest(f"join must be an object with a filter on the joined resource, got "
                         f"{type(join).__name__} {json.dumps(join)[:40]}")
    compiler = Compiler("d.doc", "d.id")
    where = compiler.filter(query)
    params = list(compiler.params)
    if join:
        if kind not in JOIN_ON:
            raise BadRequest(f"join is not supported for resource {kind!r}")
        other, on = JOIN_ON[kind]
        joined = Compiler("j.doc", "j.id")
        condition = joined.filter((join or {}).get("filter") or {})
        where += f" AND EXISTS (SELECT 1 FROM docs j WHERE j.kind = '{other}' AND {on} AND {condition})"
        params += joined.params
    return where, params


def order_by(sort: Any) -> str:
    if not sort:
        return "d.id ASC"
    if not isinstance(sort, dict):
        raise BadRequest("sort must be an object of field: ascending|descending")
    terms = []
    for field, direction in sort.items():
        if direction not in ("ascending", "descending", 1, -1, "asc", "desc"):
            raise BadRequest(f"sort direction of {field!r} must be 'ascending' or 'descending', got {direction!r}")
        desc = direction in ("descending", -1, "desc")
        expr = "d.id" if field == "id" else f"json_extract(d.doc, {_json_path(field.split('.'))})"
        terms.append(f"{expr} {'DESC' if desc else 'ASC'}")
    if "id" not in sort:
        terms.append("d.id ASC")
    return ", ".join(terms)


def _base_sql(kind: str, scope: Scope, where: str) -> Tuple[str, List[Any]]:
    if not re.fullmatch(r"[a-z_]+", kind):
        raise ValueError(f"bad kind {kind!r}")
    sql = f"FROM docs d WHERE d.kind = '{kind}' AND ({where})"
    params: List[Any] = []
    if isinstance(scope, (list, tuple)):  # any of several scopes (an empty list matches nothing)
        sql += f" AND d.scope IN ({', '.join('?' * len(scope))})" if scope else " AND 0"
        params.extend(scope)
    elif scope is not None:
        sql += " AND d.scope = ?"
        params.append(scope)
    return sql, params


def _page_args(body: dict) -> Tuple[int, int]:
    page = _whole(body.get("page"), "page", 0)
    page_size = _whole(body.get("pageSize"), "pageSize", MAX_PAGE_SIZE)
    if page < 0 or page_size < 0:
        raise BadRequest("page and pageSize must be >= 0")
    return page, min(page_size, MAX_PAGE_SIZE)


def _whole(value: Any, name: str, default: int) -> int:
    """A whole number given as a JSON number (``2``, ``2.0``, ``1e20``) or a numeric string (query strings)."""
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be a whole number, got {json.dumps(value)[:40]}")
    return value


def envelope(items: list, total: int, page: int, page_size: int) -> dict:
    pages = math.ceil(total / page_size) if page_size else 0
    return {"items": items, "totalItemsCount": total, "totalPagesCount": pages,
            "hasNextPage": bool(page_size) and (page + 1) * page_size < total}


class Serialized(str):
    """A JSON text a handler answers as it is (no parse and re-serialise of stored documents)."""


def query(store: Store, kind: str, body: dict, scope: Scope = None, where: str = "1=1",
          params: tuple = (), serialized: bool = False):
    """Run a DQL body over documents of ``kind`` (in ``scope``: one id or a list) and answer with the platform's
    page envelope; ``serialized=True`` answers it as ``Serialized`` JSON text joined from the stored documents,
    for handlers that return the documents unchanged."""
    if not isinstance(body, dict):
        raise BadRequest("query body must be an object")
    page, page_size = _page_args(body)
    condition, values = compile_where(kind, body.get("filter") or {}, body.get("join"))
    sql, base = _base_sql(kind, scope, f"({where}) AND {condition}")
    args = [*params, *values, *base]
    conn = store.conn
    with _too_large():
        total = conn.execute(f"SELECT count(*) {sql}", args).fetchone()[0]
        items = []
        if page_size and page * page_size <= MAX_OFFSET:
            rows = conn.execute(f"SELECT d.doc {sql} ORDER BY {order_by(body.get('sort'))} LIMIT ? OFFSET ?",
                                [*args, page_size, page * page_size])
            items = [row[0] for row in rows] if serialized else [json.loads(row[0]) for row in rows]
    if not serialized:
        return envelope(items, total, page, page_size)
    counts = json.dumps({k: v for k, v in envelope([], total, page, page_size).items() if k != "items"})
    return Serialized('{"items": [' + ",".join(items) + "], " + counts[1:])


@contextmanager
def _too_large():
    """SQLite's own limits on a statement (too many clauses or values) as a 400 naming the limit."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if not any(s in message for s in ("too many SQL variables", "too large", "stack overflow", "too many terms")):
            raise
        raise BadRequest(f"filter is too large for the emulator's database: {message}") from None


def select(store: Store, kind: str, filter: Any, scope: Scope = None, join: Optional[dict] = None,
           where: str = "1=1", params: tuple = (), sort: Any = None) -> Iterator[dict]:
    """Every document matching ``filter`` (bulk updates, deletes, exports), streamed in id order."""
    condition, values = compile_where(kind, filter or {}, join)
    sql, base = _base_sql(kind, scope, f"({where}) AND {condition}")
    conn = store.conn
    with _too_large():
        rows = conn.execute(f"SELECT d.doc {sql} ORDER BY {order_by(sort)}", [*params, *values, *base]).fetchall()
    for row in rows:
        yield json.loads(row[0])


# -- Python evaluation (one document) ----------------------------------------------------------------
_MISSING = object()


def _values_at(doc: Any, segments: List[str]) -> List[Any]:
    """All values reachable by a dotted path, descending into arrays."""
    if not segments:
        return [doc]
    if isinstance(doc, list):
        return [v for element in doc for v in _values_at(element, segments)]
    if not isinstance(doc, dict) or segments[0] not in doc:
        return []
    return _values_at(doc[segments[0]], segments[1:])


def _leaf_values(values: List[Any]) -> List[Any]:
    out = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return out


def _eq(field: str, actual: Any, expected: Any) -> bool:
    if has_wildcard(expected):
        return isinstance(actual, str) and wildcard_regex(expected, single_level(field)).match(actual) is not None
    return actual == expected


def matches(doc: dict, query: Any) -> bool:
    """Whether one document satisfies a DQL filter (same semantics as the SQL compiler)."""
    if query in (None, {}):
        return True
    if not isinstance(query, dict):
        raise BadRequest(f"filter must be an object, got {type(query).__name__}")
    for key, value in query.items():
        if key == "$and":
            ok = all(matches(doc, v) for v in value)
        elif key == "$or":
            ok = any(matches(doc, v) for v in value) if value else True
        elif key.startswith("$"):
            raise BadRequest(f"unknown filter operator {key!r} at the top level")
        else:
            ok = _field_matches(doc, key, value)
        if not ok:
            return False
    return True


def _field_matches(doc: dict, field: str, condition: Any) -> bool:
    if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
        return all(_operator_matches(doc, field, op, v) for op, v in condition.items())
    if isinstance(condition, dict) and condition:
        return all(_field_matches(doc, f"{field}.{k}", v) for k, v in condition.items())
    return _operator_matches(doc, field, "$eq", condition)


def _operator_matches(doc: dict, field: str, op: str, value: Any) -> bool:
    if op not in OPERATORS:
        raise BadRequest(f"unknown filter operator {op!r} on field {field!r}")
    found = _values_at(doc, field.split("."))
    leaves = _leaf_values(found)
    if op == "$exists":  # a null value counts as absent, as in the SQL compiler
        return any(v is not None for v in found) == bool(value)
    if op == "$match":
        return any(isinstance(e, dict) and matches(e, value) for v in found for e in (v if isinstance(v, list) else [v]))
    if op == "$eq":
        return (value is None and not leaves) or any(_eq(field, v, value) for v in leaves) or value in found
    if op == "$ne":
        return not _operator_matches(doc, field, "$eq", value)
    if op == "$in":
        return any(_operator_matches(doc, field, "$eq", v) for v in value)
    if op == "$nin":
        return not _operator_matches(doc, field, "$in", value)
    compare = {"$gt": lambda a, b: a > b, "$lt": lambda a, b: a < b,
               "$gte": lambda a, b: a >= b, "$lte": lambda a, b: a <= b}[op]
    for v in leaves:
        try:
            if v is not None and compare(v, value):
                return True
        except TypeError:
            continue
    return False
