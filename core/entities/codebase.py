"""Codebases: where a package's code lives — a zip item, a git repo, a filesystem or a local path (wire §8)."""
from __future__ import annotations

import os
from typing import Optional

from .base import clone_json


class PackageCodebaseType:
    ITEM = "item"
    GIT = "git"
    FILESYSTEM = "filesystem"
    LOCAL = "local"


class _Codebase:
    """Common part: the JSON, whether it is remote, and the codebases repository of its project."""

    type = PackageCodebaseType.LOCAL
    is_remote = False

    def __init__(self, client=None, json: Optional[dict] = None, project=None):
        self._client = client
        self._json = dict(json or {})
        self._json["type"] = self.type
        self._project = project

    @property
    def is_local(self) -> bool:
        return not self.is_remote

    @property
    def codebases(self):
        from ..repositories.codebases import Codebases
        return Codebases(self._client, project=self._project)

    def to_json(self) -> dict:
        return clone_json(self._json)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other._json == self._json

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._json})"


class ItemCodebase(_Codebase):
    """``{"type": "item", "itemId"}``: a zip in the project's Binaries dataset (``/codebases/<name>/<n>.zip``)."""

    type = PackageCodebaseType.ITEM
    is_remote = True

    def __init__(self, client=None, item_id: Optional[str] = None, item_json: Optional[dict] = None,
                 json: Optional[dict] = None, project=None):
        json = dict(json or {})
        if item_id is not None:
            json["itemId"] = item_id
        elif item_json is not None:
            json["itemId"] = item_json["id"]
        super().__init__(client, json, project)
        self._item_json = item_json

    @property
    def item_id(self) -> str:
        return self._json.get("itemId")

    @property
    def item_json(self) -> dict:
        """The zip item's JSON (fetched once when not known)."""
        if self._item_json is None:
            from .._repository import path
            self._item_json = self._client.transport.json("GET", path("/items/{}", self.item_id))
        return self._item_json

    @property
    def item(self):
        from .item import Item
        return Item(self._client, clone_json(self.item_json))

    @property
    def name(self) -> str:
        """The codebase (package) name: the zip's folder under ``/codebases``."""
        return os.path.basename(os.path.dirname(self.item_json.get("filename", "")))

    @property
    def version(self) -> int:
        return int(os.path.splitext(self.item_json.get("name", "0"))[0])

    @property
    def md5(self) -> Optional[str]:
        return ((self.item_json.get("metadata") or {}).get("system") or {}).get("md5")

    @property
    def description(self) -> Optional[str]:
        return ((self.item_json.get("metadata") or {}).get("system") or {}).get("description")

    def list_versions(self):
        return self.codebases.list_versions(codebase_name=self.name)

    def unpack(self, local_path: str) -> str:
        return self.codebases.unpack(codebase=self, local_path=local_path)


class GitCodebase(_Codebase):
    """``{"type": "git", "gitUrl", "gitTag", "credentials"?}``."""

    type = PackageCodebaseType.GIT
    is_remote = True

    def __init__(self, client=None, git_url: Optional[str] = None, git_tag: str = "master",
                 credentials: Optional[dict] = None, json: Optional[dict] = None, project=None):
        json = dict(json or {})
        if git_url is not None:
            json.update({"gitUrl": git_url, "gitTag": git_tag})
        if credentials is not None:
            json["credentials"] = credentials
        super().__init__(client, json, project)

    git_url = property(lambda self: self._json.get("gitUrl"))
    git_tag = property(lambda self: self._json.get("gitTag") or "master")
    credentials = property(lambda self: self._json.get("credentials") or {})

    @property
    def git_repo_name(self) -> str:
        last = (self.git_url or "").rstrip("/").split("/")[-1]
        return last[:-4] if last.endswith(".git") else last

    @staticmethod
    def is_git_repo(path: str) -> bool:
        return os.path.isdir(os.path.join(path, ".git"))

    def unpack(self, local_path: str) -> str:
        return self.codebases.unpack(codebase=self, local_path=local_path)


class FilesystemCodebase(_Codebase):
    """``{"type": "filesystem", "hostPath"?, "containerPath"?}``."""

    type = PackageCodebaseType.FILESYSTEM

    def __init__(self, client=None, host_path: Optional[str] = None, container_path: Optional[str] = None,
                 json: Optional[dict] = None, project=None):
        json = dict(json or {})
        if host_path is not None:
            json["hostPath"] = host_path
        if container_path is not None:
            json["containerPath"] = container_path
        super().__init__(client, json, project)

    host_path = property(lambda self: self._json.get("hostPath"))
    container_path = property(lambda self: self._json.get("containerPath"))


class LocalCodebase(_Codebase):
    """``{"type": "local", "localPath"}``: code already on this machine."""

    type = PackageCodebaseType.LOCAL

    def __init__(self, client=None, local_path: Optional[str] = None, json: Optional[dict] = None, project=None):
        json = dict(json or {})
        if local_path is not None:
            json["localPath"] = local_path
        super().__init__(client, json, project)

    local_path = property(lambda self: self._json.get("localPath"))


_BY_TYPE = {c.type: c for c in (ItemCodebase, GitCodebase, FilesystemCodebase, LocalCodebase)}


def codebase_from_json(client, json: dict, project=None) -> _Codebase:
    """The codebase class matching ``json["type"]``; ``ValueError`` for an unknown type."""
    cls = _BY_TYPE.get((json or {}).get("type"))
    if cls is None:
        raise ValueError(f"unknown codebase type {(json or {}).get('type')!r}; expected one of {sorted(_BY_TYPE)}")
    return cls(client, json=json, project=project)
