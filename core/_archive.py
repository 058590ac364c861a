"""Zip extraction that never writes outside its target folder, whatever member names the archive holds."""
from __future__ import annotations

import os
import zipfile


def safe_extract(archive: zipfile.ZipFile, target: str) -> str:
    """Extract every member of ``archive`` into ``target``; ``ValueError`` naming the first member that would
    land outside it (absolute paths, ``..``, symlinked folders), before anything is written."""
    root = os.path.realpath(target)
    os.makedirs(root, exist_ok=True)
    for member in archive.namelist():
        resolved = os.path.realpath(os.path.join(root, member))
        if resolved != root and not resolved.startswith(root + os.sep):
            raise ValueError(f"unsafe path in zip archive: {member!r} would land outside the target folder")
    archive.extractall(root)
    return target
