"""Where a package's code lives on disk: zip codebases are extracted once per codebase item and cached."""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile

from ..._archive import safe_extract
from ..errors import BadRequest
from ..ids import is_object_id


def codebase_dir(emulator, package: dict) -> str:
    """The directory holding the package's code (``BadRequest`` naming the problem otherwise)."""
    codebase = package.get("codebase") or {}
    kind = codebase.get("type")
    if kind == "item":
        return _extracted(emulator, codebase.get("itemId"))
    if kind in ("local", "filesystem"):
        folder = codebase.get("localPath") or codebase.get("hostPath") or codebase.get("containerPath")
        if not folder or not os.path.isdir(folder):
            raise BadRequest(f"package {package.get('name')!r}: codebase folder does not exist")
        return folder
    if not codebase:
        raise BadRequest(f"package {package.get('name')!r} has no codebase")
    raise BadRequest(f"package {package.get('name')!r}: codebase type {kind!r} is not supported by the emulator "
                     "(use an item codebase: packages.push(src_path=...))")


def _extracted(emulator, item_id) -> str:
    if not is_object_id(item_id):
        raise BadRequest(f"invalid codebase item id {item_id!r}: expected a 24-hex id")
    if not emulator.blobs.exists(item_id):
        raise BadRequest(f"codebase item not found: {item_id}")
    root = os.path.join(emulator.data_dir, "faas", "codebases")
    target = os.path.join(root, item_id)
    if os.path.isdir(target):
        return target
    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(dir=root, prefix=".extract-")
    try:
        with zipfile.ZipFile(emulator.blobs.path(item_id)) as archive:
            safe_extract(archive, staging)
        os.replace(staging, target)
    except ValueError as exc:  # a member outside the folder
        raise BadRequest(f"codebase item {item_id}: {exc}") from None
    except zipfile.BadZipFile:
        raise BadRequest(f"codebase item {item_id} is not a zip file") from None
    except OSError:
        if not os.path.isdir(target):  # another thread won the race otherwise
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def entry_dir(folder: str, entry_point: str) -> str:
    """``folder``, or its single top-level subfolder when the zip wrapped the code in one."""
    if os.path.isfile(os.path.join(folder, entry_point)):
        return folder
    children = [c for c in os.listdir(folder) if not c.startswith(".") and not c.startswith("__MACOSX")]
    if len(children) == 1 and os.path.isfile(os.path.join(folder, children[0], entry_point)):
        return os.path.join(folder, children[0])
    return folder
