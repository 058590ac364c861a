"""Binary storage on disk: content lives in ``<data-dir>/blobs``; writes go to a temp file, then rename.

A binary that must change together with a database record goes through :meth:`BlobStore.committing`: the new
bytes wait under their temp name, the record's transaction also records that intent (``meta`` row
``blob-swap:<blob id>``), and only after the commit is the temp file renamed over the old blob. A crash in
between is rolled forward at start-up (:meth:`BlobStore.recover`), which also removes temp files a killed
process left behind; so a record never describes bytes other than its blob's.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator, List, Tuple

from .ids import is_object_id

logger = logging.getLogger("dataloop_core.emulator.blobs")
SWAP_PREFIX = "blob-swap:"


class BlobStore:
    def __init__(self, root: str, store=None):
        self.root = root
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        self._swap_lock = threading.Lock()  # commit + rename of one swap before the next one's commit
        self._swapped: List[str] = []       # blob ids whose intent rows can go (in the next swap's transaction)
        if store is not None:
            self.recover(store)

    def path(self, blob_id: str) -> str:
        """Where the blob lives; blob ids are store ids, so anything else (a path, ``..``) is refused."""
        if not is_object_id(blob_id):
            raise ValueError(f"invalid blob id {blob_id!r}: expected a 24-hex id")
        return os.path.join(self.root, blob_id[-2:], blob_id)

    def temp_file(self) -> Tuple[BinaryIO, str]:
        """An open temp file inside the blob dir (same filesystem, so commit is an atomic rename)."""
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-")
        return os.fdopen(fd, "w+b"), name

    def commit(self, temp_path: str, blob_id: str) -> str:
        final = self.path(blob_id)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        os.replace(temp_path, final)
        return final

    @contextmanager
    def committing(self, store) -> Iterator[Callable[[str, str], None]]:
        """``with blobs.committing(store) as stage:`` one store transaction in which ``stage(temp_path, blob_id)``
        marks a temp file as the blob's new content; the files move into place only once it has committed."""
        with self._swap_lock:
            staged: List[Tuple[str, str]] = []
            with store.transaction() as conn:
                if self._swapped:
                    conn.executemany("DELETE FROM meta WHERE key=?", [(SWAP_PREFIX + b,) for b in self._swapped])

                def stage(temp_path: str, blob_id: str) -> None:
                    self.path(blob_id)  # a valid id, or ValueError before anything is recorded
                    if os.path.dirname(os.path.abspath(temp_path)) != os.path.abspath(self.tmp):
                        raise ValueError(f"staged blob content must be a temp file of this store: {temp_path!r}")
                    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                 (SWAP_PREFIX + blob_id, os.path.basename(temp_path)))
                    staged.append((temp_path, blob_id))
                yield stage
            self._swapped = []
            for temp_path, blob_id in staged:
                self.commit(temp_path, blob_id)
                self._swapped.append(blob_id)

    def recover(self, store) -> None:
        """At start-up: finish swaps whose records committed, then drop every other temp file (a killed upload)."""
        rows = store.execute("SELECT key, value FROM meta WHERE key LIKE ?", (SWAP_PREFIX + "%",)).fetchall()
        for key, name in rows:
            temp_path = os.path.join(self.tmp, os.path.basename(name))
            if os.path.exists(temp_path):
                logger.warning("finishing an interrupted blob swap: %s", key[len(SWAP_PREFIX):])
                self.commit(temp_path, key[len(SWAP_PREFIX):])
        with store.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key LIKE ?", (SWAP_PREFIX + "%",))
        for name in os.listdir(self.tmp):
            try:
                os.remove(os.path.join(self.tmp, name))
            except OSError as exc:
                logger.warning("cannot remove leftover temp file %s: %s", name, exc)

    def write(self, blob_id: str, data: bytes) -> str:
        handle, name = self.temp_file()
        with handle:
            handle.write(data)
        return self.commit(name, blob_id)

    def size(self, blob_id: str) -> int:
        return os.path.getsize(self.path(blob_id))

    def exists(self, blob_id: str) -> bool:
        return os.path.exists(self.path(blob_id))

    def delete(self, blob_id: str) -> None:
        try:
            os.remove(self.path(blob_id))
        except FileNotFoundError:
            pass
