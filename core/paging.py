"""``PagedEntities``: pages of a DQL (or query-string) listing, in offset or keyset mode (wire §2.5)."""
from __future__ import annotations

import copy
import queue
import threading
from typing import Any, Callable, Iterator, List, Optional

from .filters import KEYSET_RESOURCES, Filters, FiltersOperations


FetchPage = Callable[[dict], dict]
Build = Callable[[dict], Any]


class PagedEntities:
    """Lazily fetched pages. Iterate it for pages (lists), call ``all()`` for every entity.

    A query the server rejects raises (``BadRequest`` with the server's message), never an empty page.

    ``fetch`` sends one query body and returns the platform's envelope
    ``{"items", "totalItemsCount", "totalPagesCount", "hasNextPage"}``; ``build`` turns one JSON into an entity.
    """

    def __init__(self, fetch: FetchPage, filters: Filters, build: Build, page_offset: Optional[int] = None,
                 page_size: Optional[int] = None):
        self._fetch = fetch
        self._build = build
        self.filters = filters
        self.page_offset = filters.page if page_offset is None else page_offset
        self.page_size = filters.page_size if page_size is None else page_size
        if self.page_offset < 0 or self.page_size < 0:
            raise ValueError(f"page_offset and page_size must be >= 0 (got {self.page_offset}, {self.page_size})")
        self.items: List[Any] = []
        self._envelope: dict = {}
        self.items_count = 0
        self.total_pages_count = 0
        self.has_next_page = False
        self._keyset = self._keyset_eligible()
        self._start = self.page_offset
        self.get_page()

    # -- modes -----------------------------------------------------------------------------------
    def _keyset_eligible(self) -> bool:
        f = self.filters
        if self.page_offset != 0 or f.custom_filter is not None or f.resource not in KEYSET_RESOURCES:
            return False
        first = next(iter(f.sort), None)
        return first in (None, "id", "createdAt")

    def _body(self, page_offset: int, after_id: Optional[str] = None) -> dict:
        filters = copy.deepcopy(self.filters)
        filters.page_size = self.page_size
        if self._keyset:
            direction = next(iter(filters.sort.values()), "ascending")
            filters.sort.setdefault("id", direction)
            filters.page = 0
            if after_id is not None:
                op = FiltersOperations.GREATER_THAN if direction == "ascending" else FiltersOperations.LESS_THAN
                filters.and_filter_list.append(_id_clause(after_id, op))
        else:
            filters.page = page_offset
        return filters.prepare()

    # -- fetching --------------------------------------------------------------------------------
    def get_page(self, page_offset: Optional[int] = None, page_size: Optional[int] = None,
                 after_id: Optional[str] = None) -> List[Any]:
        """Fetch one page into ``self.items`` and return it."""
        if page_size is not None:
            self.page_size = page_size
        if page_offset is not None:
            self.page_offset = page_offset
        return self._take(self._fetch(self._body(self.page_offset, after_id)))

    def _take(self, envelope: Optional[dict]) -> List[Any]:
        """Make ``envelope`` the current page."""
        self._envelope = envelope = envelope or {}
        self.items = [self._build(j) for j in envelope.get("items") or []]
        self.items_count = envelope.get("totalItemsCount", self.items_count)
        self.total_pages_count = envelope.get("totalPagesCount", self.total_pages_count)
        self.has_next_page = bool(envelope.get("hasNextPage", False))
        return self.items

    def next_page(self) -> List[Any]:
        """Advance to the following page (by id after the last one in keyset mode)."""
        last_id = getattr(self.items[-1], "id", None) if self.items else None
        if self._keyset and last_id is None:  # nothing to continue after: the listing is over
            self.items, self.has_next_page = [], False
            return []
        if self._keyset:
            self.page_offset += 1
            return self.get_page(after_id=last_id)
        return self.get_page(self.page_offset + 1)

    def go_to_page(self, page: int) -> List[Any]:
        """Jump to page ``page`` (offset mode; keyset listings re-walk from the start)."""
        if self._keyset:
            self.get_page(0)
            for _ in range(page):
                if not self.has_next_page:
                    return []
                self.next_page()
            return self.items
        return self.get_page(page)

    # -- iteration -------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[List[Any]]:
        """Yield pages (lists of entities) from the current one to the last."""
        if self.page_size == 0:
            raise ValueError(f"page_size=0 only counts ({self.items_count} matches; len() gives it): "
                             "list with a page_size of 1 or more")
        if self._keyset:
            yield from self._keyset_pages()
            return
        yield self.items
        while self.has_next_page and self.items:
            page = self.next_page()
            if not page:
                return
            yield page

    def _keyset_pages(self) -> Iterator[List[Any]]:
        """Keyset pages, each next one already on its way while the caller uses the current one."""
        walk = keyset_walk(self._fetch, lambda last_id: self._body(0, last_id), self._envelope)
        try:
            next(walk)  # the current page, already taken
            yield self.items
            for envelope in walk:
                self.page_offset += 1
                if not self._take(envelope):
                    return
                yield self.items
        finally:
            walk.close()

    def all(self) -> Iterator[Any]:
        """Yield every entity of every page, starting from the first page."""
        if self.page_offset != self._start:
            self.get_page(self._start)
        for page in self:
            yield from page

    def __len__(self) -> int:
        return int(self.items_count or 0)

    def __getitem__(self, index: int) -> List[Any]:
        return self.go_to_page(index)

    def __repr__(self) -> str:
        return f"PagedEntities(items_count={self.items_count}, page={self.page_offset}, page_size={self.page_size})"


def keyset_walk(fetch: FetchPage, body_after: Callable[[str], dict], envelope: dict) -> Iterator[dict]:
    """``envelope`` and the keyset pages after it, fetched ahead on one background thread.

    That thread requests page k+1 itself as soon as page k has arrived and its last id is known, before the
    caller builds or uses page k: no hand-off between threads (and no wait for the GIL behind a caller busy
    building entities) sits between one page's arrival and the next request. It stays at most two pages ahead
    (one waiting, one in flight). It follows a page with a last id and ``hasNextPage``; an error is raised to the
    caller at the page where it happened; closing the walk stops the thread after its request in flight."""
    pages: "queue.Queue" = queue.Queue(maxsize=1)
    closed = threading.Event()

    def ahead(envelope: dict) -> None:
        try:
            while not closed.is_set():
                last_id = _last_id(envelope)
                if not last_id or not envelope.get("hasNextPage"):
                    pages.put(_END)
                    return
                envelope = fetch(body_after(last_id))
                pages.put(envelope)
        except BaseException as exc:  # raised to the caller at this page
            pages.put(_Failed(exc))

    threading.Thread(target=ahead, args=(envelope,), name="keyset-page", daemon=True).start()
    try:
        yield envelope
        while True:
            envelope = pages.get()
            if envelope is _END:
                return
            if isinstance(envelope, _Failed):
                raise envelope.error
            yield envelope
    finally:
        closed.set()
        while not pages.empty():  # unblock a thread waiting to hand over a page
            pages.get_nowait()


_END = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def _last_id(envelope: Any) -> Optional[str]:
    items = envelope.get("items") if isinstance(envelope, dict) else None
    last = items[-1] if isinstance(items, list) and items else None
    return last.get("id") if isinstance(last, dict) else None


def _id_clause(after_id: str, operator: FiltersOperations):
    from .filters import SingleFilter
    return SingleFilter("id", after_id, operator)
