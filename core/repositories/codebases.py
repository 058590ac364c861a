"""Codebases (wire §3.13): zip versions ``/codebases/<name>/<n>.zip`` in the project's hidden "Binaries"
dataset, packing/unpacking local folders, and git codebases (cloned with the local ``git``)."""
from __future__ import annotations

import hashlib
import io
import logging
import os
import subprocess
import zipfile
from typing import List, Optional

from .._archive import safe_extract
from .._repository import Repository
from .._transfer import download_bytes, safe_join
from ..entities.codebase import GitCodebase, ItemCodebase
from ..exceptions import BadRequest, NotFound
from ..filters import Filters, FiltersResource

logger = logging.getLogger("dataloop_core.codebases")
ALWAYS_IGNORED = {".git", "__pycache__", ".dataloop", ".venv", ".pytest_cache", ".idea"}
FIXED_DATE = (2020, 1, 1, 0, 0, 0)  # same files -> same zip bytes -> same md5 -> no new version


def zip_directory(directory: str, ignore_directories: Optional[List[str]] = None) -> bytes:
    """The folder as zip bytes (stable for identical content; ignores caches, VCS and ``ignore_directories``)."""
    ignored = ALWAYS_IGNORED | set(ignore_directories or [])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if d not in ignored)
            for name in sorted(files):
                full = os.path.join(root, name)
                info = zipfile.ZipInfo(os.path.relpath(full, directory).replace(os.sep, "/"), FIXED_DATE)
                info.external_attr = (os.stat(full).st_mode & 0o777) << 16
                with open(full, "rb") as handle:
                    archive.writestr(info, handle.read(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def unzip_to(data: bytes, target: str) -> str:
    """Extract zip bytes into ``target``, refusing members that would land outside it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return safe_extract(archive, target)


class Codebases(Repository):
    """``project.codebases`` (or ``package.codebases``)."""

    @property
    def dataset(self):
        """The project's Binaries dataset (found with ``systemSpace``, as the platform hides it)."""
        dataset = self._context.get("dataset")
        if dataset is None:
            from .datasets import Datasets
            filters = Filters(field="name", values="Binaries", resource=FiltersResource.DATASET)
            filters.system_space = True
            found = Datasets(self._client, project=self._parent("project")).list(filters=filters)
            if len(found) != 1:
                raise NotFound("404", f"Binaries dataset not found in project {self._parent('project').id}")
            dataset = self._context["dataset"] = found[0]
        return dataset

    @property
    def items(self):
        return self.dataset.items

    def _codebase(self, item) -> ItemCodebase:
        return ItemCodebase(self._client, item_json=item.to_json(), project=self._context.get("project"))

    # -- reads -----------------------------------------------------------------------------------
    def list_versions(self, codebase_name: str):
        """Pages of the zip items of one codebase."""
        return self.items.list(filters=Filters(field="filename", values=f"/codebases/{codebase_name}/*"))

    def list(self):
        """Pages of codebase folders (one per codebase name)."""
        filters = Filters(field="filename", values="/codebases/*")
        filters.add(field="type", values="dir")
        return self.items.list(filters=filters)

    def get(self, codebase_name: Optional[str] = None, codebase_id: Optional[str] = None,
            version: Optional[str] = None):
        """One version (``ItemCodebase``) by id, by name and number, or the ``latest``; ``all`` → a list."""
        if codebase_id is not None:
            return ItemCodebase(self._client, item_id=codebase_id,
                                item_json=self._request_item(codebase_id), project=self._context.get("project"))
        if codebase_name is None:
            raise ValueError("pass codebase_name or codebase_id")
        version = str(version if version is not None else "latest")
        if version not in ("all", "latest"):
            try:
                return self._codebase(self.items.get(filepath=f"/codebases/{codebase_name}/{version}.zip"))
            except NotFound:
                raise NotFound("404", f"No codebase version {version} of {codebase_name!r}") from None
        versions = [self._codebase(i) for i in self.list_versions(codebase_name).all()]
        if not versions:
            raise NotFound("404", f"No codebase was found. name: {codebase_name}")
        return versions if version == "all" else max(versions, key=lambda c: c.version)

    def _request_item(self, item_id: str) -> dict:
        from .._repository import path
        return self._request("GET", path("/items/{}", item_id))

    @staticmethod
    def get_current_version(all_versions_pages, zip_md: str):
        """``(next version number, existing version with this md5 or None)``."""
        latest, same = 0, None
        for codebase in all_versions_pages:
            latest = max(latest, codebase.version)
            if same is None and codebase.md5 == zip_md:
                same = codebase
        return latest + 1, same

    # -- writes ----------------------------------------------------------------------------------
    def pack(self, directory: str, name: Optional[str] = None, extension: str = "zip", description: str = "",
             ignore_directories: Optional[List[str]] = None) -> ItemCodebase:
        """Zip ``directory`` and upload it as the next version (or reuse the version with the same md5)."""
        if not os.path.isdir(directory):
            raise ValueError(f"not a directory: {directory}")
        name = name or os.path.basename(os.path.abspath(directory))
        data = zip_directory(directory, ignore_directories)
        md5 = hashlib.md5(data).hexdigest()
        try:
            existing = self.get(codebase_name=name, version="all")
        except NotFound:
            existing = []
        number, same = self.get_current_version(existing, md5)
        if same is not None:
            return same
        item = self.items.upload(local_path=data, remote_path=f"/codebases/{name}",
                                 remote_name=f"{number}.{extension}", overwrite=True)
        system = item.metadata.setdefault("system", {})
        system.update(md5=md5, description=description)
        git = self._git_info(directory)
        if git:
            item.metadata["git"] = git
        return self._codebase(self.items.update(item=item, system_metadata=True))

    @staticmethod
    def _git_info(directory: str) -> Optional[dict]:
        if not os.path.isdir(os.path.join(directory, ".git")):
            return None
        def git(*args) -> str:
            done = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True)
            return done.stdout.strip() if done.returncode == 0 else ""
        return {"status": git("status", "--short"), "log": git("log", "-1", "--oneline"),
                "url": git("config", "--get", "remote.origin.url")}

    def unpack(self, codebase=None, codebase_name: Optional[str] = None, codebase_id: Optional[str] = None,
               local_path: Optional[str] = None, version: Optional[str] = None) -> str:
        """Download and unzip a codebase (or clone/pull a git one) into ``local_path``; returns the folder."""
        if codebase is None:
            codebase = self.get(codebase_name=codebase_name, codebase_id=codebase_id, version=version)
        local_path = local_path or os.path.join(self._client.state_dir, "codebases", codebase_name or "codebase")
        if isinstance(codebase, list):
            for single in codebase:
                self._unpack_one(single, safe_join(local_path, f"/v.{single.version}"))
            return local_path
        return self._unpack_one(codebase, local_path)

    def _unpack_one(self, codebase, local_path: str) -> str:
        if isinstance(codebase, GitCodebase):
            if codebase.is_git_repo(local_path):
                return self.pull_git(codebase, local_path)
            return self.clone_git(codebase, local_path)
        if not isinstance(codebase, ItemCodebase):
            raise ValueError(f"cannot unpack a {type(codebase).__name__}: only item and git codebases")
        return unzip_to(download_bytes(self._transport, codebase.item_json).getvalue(), local_path)

    def clone_git(self, codebase: GitCodebase, local_path: str) -> str:
        """``git clone --branch <tag>`` into ``local_path``."""
        if not isinstance(codebase, GitCodebase):
            raise ValueError("clone_git needs a GitCodebase")
        self._git(["git", "clone", "--branch", codebase.git_tag, "--", codebase.git_url, local_path], None)
        return local_path

    def pull_git(self, codebase: GitCodebase, local_path: str) -> str:
        """``git pull`` then ``git checkout <tag>`` in an existing clone."""
        if not codebase.is_git_repo(local_path):
            local_path = safe_join(local_path, "/" + codebase.git_repo_name)
        self._git(["git", "pull"], local_path)
        self._git(["git", "checkout", codebase.git_tag, "--"], local_path)  # "--": a tag is never read as an option
        return local_path

    @staticmethod
    def _git(command: List[str], cwd: Optional[str]) -> None:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise BadRequest("400", f"{' '.join(command[:2])} failed: {done.stderr.strip()[:500]}")
