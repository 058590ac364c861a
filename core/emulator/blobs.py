"""Binary storage on disk: content lives in ``<data-dir>/blobs``; writes go to a temp file, then rename."""
from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Tuple

from .ids import is_object_id


class BlobStore:
    def __init__(self, root: str):
        self.root = root
        self.tmp = os.path.join(root, "tmp")
        os.makedirs(self.tmp, exist_ok=True)

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
