"""The remote side: items of a dataset under a remote folder, listed by keyset paging (id ascending)."""
from __future__ import annotations

from contextlib import closing
from typing import Iterator, List, Optional, Union

from .._repository import path
from .._transfer import normalize_remote_path, remote_hash, remote_digest, remote_size
from ..exceptions import SDKError
from ..filters import Filters
from ..paging import keyset_walk
from .journal import RemoteFile

PAGE_SIZE = 1000
MAX_FILTER_DEPTH = 100  # nesting levels of a user filter (real ones use < 10; the platform's own limits are lower)


def normalize_root(remote_path: Optional[str]) -> str:
    """``None``/``""``/``"/"`` -> ``"/"``; ``"x/y/"`` -> ``"/x/y"``; ``ValueError`` for ``..``/backslashes."""
    return normalize_remote_path(remote_path or "/", allow_root=True)


def remote_name(root: str, rel: str) -> str:
    return (root.rstrip("/") + "/" + rel) if root != "/" else "/" + rel


def relative(root: str, filename: str) -> Optional[str]:
    """``filename`` relative to ``root`` (no leading slash), or ``None`` when it is not below ``root``."""
    prefix = "/" if root == "/" else root + "/"
    return filename[len(prefix):] if filename.startswith(prefix) else None


def _filter_clauses(extra: Union[None, dict, Filters]) -> tuple:
    """``($and clauses, $or clauses)`` of a user filter: a ``Filters`` or a DQL ``filter`` dict."""
    if extra is None:
        return [], []
    query = extra.prepare(query_only=True)["filter"] if isinstance(extra, Filters) else extra
    if not isinstance(query, dict):
        raise ValueError(f"filter must be a DQL filter object, got {type(query).__name__}")
    check_depth(query)
    and_list = list(query.get("$and") or [])
    and_list += [{key: value} for key, value in query.items() if not key.startswith("$")]
    return and_list, list(query.get("$or") or [])


def check_depth(value, limit: int = MAX_FILTER_DEPTH) -> None:
    """``ValueError`` when a JSON value nests deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise ValueError(f"filter is nested more than {limit} levels deep")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def list_files(transport, dataset_id: str, root: str, extra: Union[None, dict, Filters] = None,
               page_size: int = PAGE_SIZE) -> Iterator[List[RemoteFile]]:
    """Pages of files below ``root``: ``POST /datasets/{id}/query`` sorted by id, next page after the last id."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise ValueError(f"page_size must be an integer >= 1, got {page_size!r}")
    user_and, user_or = _filter_clauses(extra)
    clauses = [{"hidden": False}, {"type": "file"}] + ([{"filename": root + "/**"}] if root != "/" else [])
    clauses += [c for c in user_and if c not in clauses]

    def body(last_id: Optional[str]) -> dict:
        query = {"$and": clauses + ([{"id": {"$gt": last_id}}] if last_id else [])}
        if user_or:
            query = {"$or": user_or, **query}
        return {"filter": query, "sort": {"id": "ascending"}, "page": 0, "pageSize": page_size, "resource": "items"}

    def fetch(query: dict) -> dict:
        return transport.json("POST", path("/datasets/{}/query", dataset_id), json=query, retry_safe=True)

    with closing(keyset_walk(fetch, body, fetch(body(None)))) as envelopes:  # page k+1 travels while k is used
        yield from _pages(envelopes, dataset_id, root)


def _pages(envelopes, dataset_id: str, root: str) -> Iterator[List[RemoteFile]]:
    for envelope in envelopes:
        items = envelope.get("items") if isinstance(envelope, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("id") for i in items):
            raise SDKError("3001", f"malformed listing of dataset {dataset_id}: expected a page of items, got "
                                   f"{str(envelope)[:100]!r}")
        page = []
        for item in items:
            rel = relative(root, item.get("filename") or "")
            if rel:
                page.append(RemoteFile(rel, item["id"], remote_size(item), remote_hash(item), remote_digest(item)))
        yield page


def delete_item(transport, item_id: str) -> None:
    from ..exceptions import NotFound
    try:
        transport.request("DELETE", path("/items/{}", item_id))
    except NotFound:
        pass
