"""Item: one file (or folder) of a dataset, with its binary, metadata and annotations."""
from __future__ import annotations

import mimetypes
import posixpath
from enum import Enum
from functools import cached_property
from typing import Optional

from .base import Entity, Field, Parent


class ItemStatus(str, Enum):
    COMPLETED = "completed"
    APPROVED = "approved"
    DISCARDED = "discard"


class ExportMetadata(Enum):
    FROM_JSON = "from_json"


class LinkTypeEnum(str, Enum):
    ID = "id"
    URL = "url"


class Link:
    """An item that points elsewhere (``url``) or at another item (``id``); uploaded as ``<name>_link.json``."""

    def __init__(self, name: str, type: LinkTypeEnum, ref: str, mimetype: Optional[str] = None,
                 dataset_id: Optional[str] = None):
        if not ref:
            raise ValueError("a link needs a ref (a URL or an item id)")
        self.name, self.type, self.ref = name, LinkTypeEnum(type), ref
        self.mimetype, self.dataset_id = mimetype, dataset_id

    def to_json(self) -> dict:
        info = {"type": self.type.value, "ref": self.ref}
        if self.mimetype:
            info["mimetype"] = self.mimetype
        if self.dataset_id:
            info["datasetId"] = self.dataset_id
        return {"type": "link", "shebang": "dataloop", "metadata": {"dltype": "link", "linkInfo": info}}


class UrlLink(Link):
    def __init__(self, ref: str, mimetype: Optional[str] = None, name: Optional[str] = None):
        bare = ref.split("?")[0]
        if name is None:
            name = posixpath.basename(bare.rstrip("/")).replace(".", "") or "link"
        super().__init__(name, LinkTypeEnum.URL, ref, mimetype or mimetypes.guess_type(bare)[0] or "image")

    @staticmethod
    def from_list(url_list) -> list:
        return [UrlLink(ref=url) for url in url_list]


class ItemLink(Link):
    def __init__(self, ref: Optional[str] = None, name: Optional[str] = None, dataset_id: Optional[str] = None,
                 item: Optional["Item"] = None):
        if ref is None and item is None:
            raise ValueError("pass ref (an item id) or item")
        super().__init__(name or (item.name if item is not None else ref), LinkTypeEnum.ID,
                         ref or item.id, dataset_id=dataset_id or (item.dataset_id if item is not None else None))


class Item(Entity):
    dataset_id = Field("datasetId", readonly=True)
    type = Field("type", readonly=True)
    filename = Field("filename")
    name = Field("name")
    dir = Field("dir", readonly=True)
    hidden = Field("hidden")
    annotated = Field("annotated", readonly=True)
    annotations_count = Field("annotationsCount", readonly=True)
    metadata = Field("metadata", default=dict)
    spec = Field("spec")
    src_item = Field("srcItem", readonly=True)
    updated_by = Field("updatedBy", readonly=True)
    stream = Field("stream", readonly=True)
    thumbnail = Field("thumbnail", readonly=True)

    # -- metadata shortcuts ------------------------------------------------------------------------
    @property
    def system(self) -> dict:
        return self.metadata.setdefault("system", {})

    @property
    def mimetype(self) -> Optional[str]:
        return self.system.get("mimetype")

    @property
    def size(self) -> Optional[int]:
        return self.system.get("size")

    @property
    def width(self) -> Optional[int]:
        return self.system.get("width")

    @width.setter
    def width(self, value: int) -> None:
        self.system["width"] = value

    @property
    def height(self) -> Optional[int]:
        return self.system.get("height")

    @height.setter
    def height(self, value: int) -> None:
        self.system["height"] = value

    @property
    def fps(self):
        return self.metadata.get("fps")

    @property
    def description(self) -> Optional[str]:
        return self._json.get("description")

    @description.setter
    def description(self, text: Optional[str]) -> None:
        self._json["description"] = text

    @property
    def is_dir(self) -> bool:
        return self.type == "dir"

    @property
    def project_id(self) -> Optional[str]:
        project = self._context.get("project")
        return self._json.get("projectId") or (project.id if project is not None else None)

    @property
    def resolved_stream(self) -> str:
        """The URL a viewer fetches: a url-link item's ``ref``, else the item's stream."""
        link = self.system.get("shebang", {}).get("linkInfo") or {}
        return link["ref"] if link.get("type") == "url" and link.get("ref") else self.stream

    @property
    def platform_url(self) -> str:
        return (f"{self._client.console_url}projects/{self.project_id}/datasets/{self.dataset_id}"
                f"/items/{self.id}")

    # -- parents and repositories ------------------------------------------------------------------
    dataset = Parent()
    project = Parent()

    @cached_property
    def items(self):
        from ..repositories.items import Items
        return Items(self._client, dataset=self._context.get("dataset"), dataset_id=self.dataset_id)

    @cached_property
    def annotations(self):
        from ..repositories.annotations import Annotations
        return Annotations(self._client, item=self, dataset=self._context.get("dataset"))

    # -- actions -----------------------------------------------------------------------------------
    def update(self, system_metadata: bool = False) -> "Item":
        return self.items.update(item=self, system_metadata=system_metadata)

    def delete(self) -> bool:
        return self.items.delete(item_id=self.id)

    def download(self, local_path: Optional[str] = None, file_types=None, save_locally: bool = True,
                 to_array: bool = False, annotation_options=None, annotation_filters=None,
                 overwrite: bool = False, to_items_folder: bool = True, thickness: int = 1,
                 with_text: bool = False, alpha: float = 1, export_version="V1"):
        """Download this item (see ``Items.download``); a folder item downloads its content."""
        from ..filters import Filters
        if self.is_dir:
            filters = Filters(field="dir", values=self.filename, method="or")
            filters.add(field="dir", values=self.filename.rstrip("/") + "/*", method="or")
            return self.items.download(filters=filters, local_path=local_path, file_types=file_types,
                                       save_locally=save_locally, overwrite=overwrite,
                                       annotation_options=annotation_options, to_items_folder=to_items_folder)
        return self.items.download(items=[self], local_path=local_path, file_types=file_types,
                                   save_locally=save_locally, to_array=to_array,
                                   annotation_options=annotation_options, annotation_filters=annotation_filters,
                                   overwrite=overwrite, to_items_folder=to_items_folder, thickness=thickness,
                                   with_text=with_text, alpha=alpha, export_version=export_version)

    def move(self, new_path: str) -> "Item":
        """Move into the folder ``new_path`` (trailing ``/`` or an existing folder) or to the full path."""
        from ..exceptions import NotFound
        if not isinstance(new_path, str) or not new_path.strip():
            raise ValueError("new_path must be a non-empty string")
        if not new_path.startswith("/"):
            new_path = "/" + new_path
        if new_path.endswith("/"):
            self.filename = new_path + self.name
        else:
            try:
                self.items.get(filepath=new_path, is_dir=True)
                self.filename = posixpath.join(new_path, self.name)
            except NotFound:
                self.filename = new_path
        return self.update(system_metadata=True)

    def clone(self, dst_dataset_id: Optional[str] = None, remote_filepath: Optional[str] = None,
              metadata: Optional[dict] = None, with_annotations: bool = True, with_metadata: bool = True,
              with_task_annotations_status: bool = False, allow_many: bool = False, wait: bool = True):
        return self.items.clone(item_id=self.id, dst_dataset_id=dst_dataset_id or self.dataset_id,
                                remote_filepath=remote_filepath or self.filename, metadata=metadata,
                                with_annotations=with_annotations, with_metadata=with_metadata,
                                with_task_annotations_status=with_task_annotations_status,
                                allow_many=allow_many, wait=wait)

    def set_description(self, text: Optional[str]) -> "Item":
        """Set (``""``/``None`` clears) the item's description and save it."""
        if text is not None and not isinstance(text, str):
            raise ValueError("description must be a string")
        self.description = text or ""
        self._refresh_from(self.update().to_json())
        return self

    def update_status(self, status, clear: bool = False, assignment_id: Optional[str] = None,
                      task_id: Optional[str] = None) -> bool:
        """Set (or ``clear``) the item's status in a task or assignment (ids default to the item's refs)."""
        return self.items.update_status(status=status, items=[self], clear=clear, assignment_id=assignment_id,
                                        task_id=task_id)

    def status(self, assignment_id: Optional[str] = None, task_id: Optional[str] = None) -> Optional[str]:
        """The item's status in a task or assignment, from ``metadata.system.refs``."""
        resource_id = assignment_id or task_id
        if not resource_id:
            raise ValueError("pass assignment_id or task_id")
        for ref in self.system.get("refs") or []:
            if ref.get("id") == resource_id:
                return (ref.get("metadata") or {}).get("status")
        return None

    def task_scores(self, task_id: str, page_offset: int = 0, page_size: int = 100):
        return self.items.task_scores(item_id=self.id, task_id=task_id, page_offset=page_offset,
                                      page_size=page_size)

    def open_in_web(self) -> None:
        self.items.open_in_web(item=self)
