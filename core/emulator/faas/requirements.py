"""Package ``requirements`` installed with pip into a folder per requirement set, cached by the set's hash.

``Environments.folder(requirements)`` answers the folder to put first on a worker's ``PYTHONPATH`` (``None`` for a
package without requirements), installing it once: ``pip install --target`` into a staging folder renamed into
place when pip succeeds, so a killed install leaves no half environment. pip runs with the worker's interpreter
and its own settings (``PIP_INDEX_URL``, ``PIP_FIND_LINKS``, ``PIP_NO_INDEX``, pip.conf), bounded by
``DATALOOP_EMULATOR_PIP_TIMEOUT`` seconds (default 600). A failed install raises ``BadRequest`` carrying pip's
message.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from typing import Dict, List, Optional

from ..errors import BadRequest

DEFAULT_TIMEOUT = 600
MESSAGE_CHARS = 2000
NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?$")
VERSION = re.compile(r"^[A-Za-z0-9.*+!_-]+$")
OPERATORS = ("==", ">=", "<=", ">", "<", "~=", "!=", "===")


def specifiers(requirements) -> List[str]:
    """pip specifiers of a package's ``[{"name", "version"?, "operator"?}]`` (sorted, duplicates dropped);
    ``BadRequest`` naming the malformed entry (nothing that pip could read as an option gets through)."""
    if requirements in (None, []):
        return []
    if not isinstance(requirements, list):
        raise BadRequest("requirements must be a list of {'name', 'version'?, 'operator'?}")
    found = set()
    for entry in requirements:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not NAME.match(name):
            raise BadRequest(f"requirement {entry!r}: name must be a package name")
        version, operator = entry.get("version"), entry.get("operator") or "=="
        if version in (None, ""):
            found.add(name)
            continue
        if not isinstance(version, str) or not VERSION.match(version):
            raise BadRequest(f"requirement {name!r}: invalid version {version!r}")
        if operator not in OPERATORS:
            raise BadRequest(f"requirement {name!r}: operator must be one of {', '.join(OPERATORS)}, got {operator!r}")
        found.add(f"{name}{operator}{version}")
    return sorted(found)


class Environments:
    """Requirement folders under ``root``, installed with ``python -m pip``."""

    def __init__(self, root: str, python: str):
        self.root, self.python = root, python
        self.timeout = float(os.environ.get("DATALOOP_EMULATOR_PIP_TIMEOUT") or DEFAULT_TIMEOUT)
        self._locks: Dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        for name in os.listdir(root) if os.path.isdir(root) else []:  # staging left by a killed server
            if name.startswith(".install-"):
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)

    def folder(self, requirements) -> Optional[str]:
        wanted = specifiers(requirements)
        if not wanted:
            return None
        key = hashlib.sha256(json.dumps([os.path.abspath(self.python), wanted]).encode()).hexdigest()[:24]
        target = os.path.join(self.root, key)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if not os.path.isdir(target):
                self._install(wanted, target)
        return target

    def _install(self, wanted: List[str], target: str) -> None:
        os.makedirs(self.root, exist_ok=True)
        staging = tempfile.mkdtemp(dir=self.root, prefix=".install-")
        command = [self.python, "-m", "pip", "install", "--target", staging, "--no-input",
                   "--disable-pip-version-check", "--no-warn-script-location", "--progress-bar", "off", *wanted]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=self.timeout)
        except subprocess.TimeoutExpired:
            shutil.rmtree(staging, ignore_errors=True)
            raise BadRequest(f"installing requirements {', '.join(wanted)} took more than {self.timeout:g} s") from None
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            output = (done.stderr.strip() or done.stdout.strip())[-MESSAGE_CHARS:]
            raise BadRequest(f"installing requirements {', '.join(wanted)} failed (pip exit code {done.returncode}): "
                             f"{output}")
        os.replace(staging, target)
