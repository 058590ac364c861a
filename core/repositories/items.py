"""Items (wire §3.6): list/get/update/delete/clone/move, folders, item status; upload and download live in
``_item_upload`` and ``_item_download``."""
from __future__ import annotations

import logging
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

from .._enums import coerce
from .._repository import Repository, exactly_one, path
from ..entities.item import Item, ItemStatus
from ..exceptions import NotFound
from ..filters import Filters, FiltersResource, as_filters
from ..paging import PagedEntities
from . import _item_download, _item_upload

logger = logging.getLogger("dataloop_core.items")
STATUS_WORKERS = 8


class Items(Repository):
    """``dataset.items``: the items of one dataset (``Items(client, dataset_id=...)`` works too)."""

    # -- context ---------------------------------------------------------------------------------
    @property
    def dataset_id(self) -> str:
        dataset = self._context.get("dataset")
        if dataset is not None:
            return dataset.id
        if self._context.get("dataset_id"):
            return self._context["dataset_id"]
        return self._parent("dataset").id

    @property
    def dataset(self):
        dataset = self._context.get("dataset")
        if dataset is None:
            dataset = self._client.datasets.get(dataset_id=self.dataset_id)
            self._context["dataset"] = dataset
        return dataset

    def _build(self, json: dict) -> Item:
        return Item(self._client, json, dataset=self._context.get("dataset"), project=self._context.get("project"))

    def set_items_entity(self, entity) -> None:
        """Build results as ``entity`` (an ``Item`` subclass)."""
        if not (isinstance(entity, type) and issubclass(entity, Item)):
            raise ValueError(f"items entity must be an Item subclass, got {entity!r}")
        self._build = lambda json: entity(self._client, json, dataset=self._context.get("dataset"),
                                          project=self._context.get("project"))

    def _query(self, body: dict, user_query: bool = True) -> dict:
        return self._request("POST", path("/datasets/{}/query", self.dataset_id), json=body, retry_safe=True,
                             headers={"user_query": "true" if user_query else "false"})

    # -- reads -----------------------------------------------------------------------------------
    def list(self, filters: Optional[Filters] = None, page_offset: Optional[int] = None,
             page_size: Optional[int] = None) -> PagedEntities:
        """Pages of items (or of annotations, for an annotations ``Filters``); a dict is a DQL body or filter."""
        filters = as_filters(filters)
        if filters is not None and filters.resource == FiltersResource.ANNOTATION:
            from .annotations import Annotations
            return Annotations(self._client, dataset=self._context.get("dataset"),
                               dataset_id=self.dataset_id).list(filters, page_offset, page_size)
        if filters is not None and filters.resource != FiltersResource.ITEM:
            raise ValueError(f"items.list takes items or annotations filters, not {filters.resource.value}")
        user_query = filters is not None
        filters = filters if filters is not None else Filters()
        return PagedEntities(lambda body: self._query(body, user_query), filters, self._build, page_offset,
                             page_size)

    def get_all_items(self, filters: Optional[Filters] = None) -> List[Item]:
        return list(self.list(filters=filters).all())

    def get(self, filepath: Optional[str] = None, item_id: Optional[str] = None, fetch: Optional[bool] = None,
            is_dir: bool = False) -> Item:
        """An item by id (``GET /items/{id}``) or by its full remote path (a DQL query)."""
        exactly_one(filepath=filepath, item_id=item_id)
        if item_id is not None:
            if fetch is False:
                return self._build({"id": item_id, "datasetId": self._context.get("dataset_id")})
            return self._build(self._request("GET", path("/items/{}", item_id)))
        filepath = filepath if filepath.startswith("/") else "/" + filepath
        filters = Filters(use_defaults=False)
        filters.recursive = False
        filters.add("type", "dir" if is_dir else "file")
        filters.add("filename", filepath)
        filters.sort_by("id")
        found = self._query(filters.prepare()).get("items") or []
        if len(found) != 1:
            state = "not found" if not found else f"{len(found)} items match"
            raise NotFound("404", f"Item {state}: {filepath} (dataset {self.dataset_id})")
        return self._build(found[0])

    # -- writes ----------------------------------------------------------------------------------
    def update(self, item: Optional[Item] = None, filters: Optional[Filters] = None, update_values=None,
               system_update_values=None, system_metadata: bool = False):
        """Save an item's local edits (diff PATCH) or bulk-update every item matching ``filters``."""
        filters = as_filters(filters, FiltersResource.ITEM)
        exactly_one(item=item, filters=filters)
        if item is not None:
            diff = item.diff()
            if not diff:
                return item
            params = {"system": "true"} if system_metadata else None
            json = self._request("PATCH", path("/items/{}", item.id), json=diff, params=params)
            item._refresh_from(json)
            return item
        if update_values is None and system_update_values is None:
            raise ValueError("bulk update needs update_values and/or system_update_values")
        if system_update_values is not None and not system_metadata:
            raise ValueError("system_update_values need system_metadata=True")
        body = filters.prepare(operation="update", update=update_values, system_update=system_update_values,
                               system_metadata=system_metadata)
        return self._request("POST", path("/datasets/{}/query", self.dataset_id), json=body)

    def delete(self, filename: Optional[str] = None, item_id: Optional[str] = None,
               filters: Optional[Filters] = None) -> bool:
        """Delete one item (by id or remote path) or every item matching ``filters``."""
        filters = as_filters(filters)
        given = exactly_one(filename=filename, item_id=item_id, filters=filters)
        if given == "filters":
            if filters.resource != FiltersResource.ITEM:
                raise ValueError("items.delete takes items filters")
            self._request("POST", path("/datasets/{}/query", self.dataset_id), json=filters.prepare("delete"))
            return True
        if given == "filename":
            item_id = self.get(filepath=filename).id
        self._request("DELETE", path("/items/{}", item_id))
        return True

    def clone(self, item_id: str, dst_dataset_id: str, remote_filepath: Optional[str] = None,
              metadata: Optional[dict] = None, with_annotations: bool = True, with_metadata: bool = True,
              with_task_annotations_status: bool = False, allow_many: bool = False, wait: bool = True):
        """Copy an item (binary, metadata, annotations) into a dataset; returns the new item (or the command)."""
        if not item_id or not dst_dataset_id:
            raise ValueError("item_id and dst_dataset_id are required")
        body = {"targetDatasetId": dst_dataset_id, "remoteFileName": remote_filepath, "metadata": metadata or {},
                "cloneDatasetParams": {"withItemsAnnotations": with_annotations, "withMetadata": with_metadata,
                                       "withTaskAnnotationsStatus": with_task_annotations_status},
                "allowMany": allow_many}
        if remote_filepath is None:
            body.pop("remoteFileName")
        command = self._request("POST", path("/items/{}/clone", item_id), json=body)
        if not wait:
            return self._client.commands.get(command_id=command["id"])
        if command.get("status") != "success":
            command = self._client.commands.wait(command_id=command["id"]).to_json()
        return self._build(self._request("GET", path("/items/{}", command["spec"]["returnedModelId"][0])))

    def make_dir(self, directory: str, dataset=None) -> Item:
        """Create a folder (and its parents); returns the folder item."""
        if not isinstance(directory, str) or not directory.strip("/"):
            raise ValueError(f"directory must be a non-empty path, got {directory!r}")
        dataset_id = dataset.id if dataset is not None else self.dataset_id
        directory = "/" + directory.strip("/")
        json = self._request("POST", path("/datasets/{}/items", dataset_id), data={"type": "dir", "path": directory})
        return self._build(json)

    def move_items(self, destination: str, filters: Optional[Filters] = None, items=None, dataset=None) -> bool:
        """Move items into the folder ``destination`` (created when missing)."""
        exactly_one(filters=filters, items=items)
        if not isinstance(destination, str) or not destination:
            raise ValueError("destination must be a folder path such as '/new/folder'")
        destination = "/" + destination.strip("/")
        repo = self if dataset is None else type(self)(self._client, dataset=dataset)
        if items is None:
            items = list(repo.list(filters=filters).all())
        elif not isinstance(items, list):
            items = [items]
        ids = [i.id if isinstance(i, Item) else i for i in items]
        if not ids:
            return True
        try:
            folder = repo.get(filepath=destination, is_dir=True)
        except NotFound:
            folder = repo.make_dir(destination)
        self._request("PUT", path("/datasets/{}/items/{}", repo.dataset_id, folder.id), json=ids)
        return True

    # -- status and scores -------------------------------------------------------------------------
    def update_status(self, status, items=None, item_ids=None, filters=None, dataset=None, clear: bool = False,
                      assignment_id: Optional[str] = None, task_id: Optional[str] = None) -> bool:
        """Set (or ``clear``) item statuses; task/assignment ids default to each item's ``refs``."""
        status = coerce(ItemStatus, status, "item status").value
        exactly_one(items=items, item_ids=item_ids, filters=filters)
        repo = self if dataset is None else type(self)(self._client, dataset=dataset)
        if filters is not None:
            items = list(repo.list(filters=filters).all())
        elif item_ids is not None:
            items = [repo.get(item_id=i) for i in item_ids]
        elif not isinstance(items, list):
            items = [items]
        operation = "delete" if clear else "create"
        by_task: Dict[str, List[str]] = {}
        by_assignment: List[tuple] = []
        for item in items:
            a_id, t_id = assignment_id, task_id
            if not a_id and not t_id:
                refs = item.system.get("refs") or []
                a_id = next((r["id"] for r in refs if r.get("type") == "assignment"), None)
                t_id = next((r["id"] for r in refs if r.get("type") == "task"), None)
            if a_id:
                by_assignment.append((a_id, item.id))
            elif t_id:
                by_task.setdefault(t_id, []).append(item.id)
            else:
                raise ValueError(f"item {item.id} is in no task or assignment: pass task_id or assignment_id")
        for t_id, ids in by_task.items():
            self._request("POST", path("/assignments/items/tasks/{}/status", t_id),
                          json={"itemIds": ids, "statusPayload": {"operation": operation, "returnLastStatus": True,
                                                                  "status": status}})
        with ThreadPoolExecutor(STATUS_WORKERS) as pool:
            list(pool.map(lambda pair: self._request(
                "POST", path("/assignments/{}/items/{}/status", *pair),
                json={"operation": operation, "status": status}), by_assignment))
        return True

    def task_scores(self, item_id: str, task_id: str, page_offset: int = 0, page_size: int = 100):
        return self._request("GET", path("/scores/tasks/{}/items/{}", task_id, item_id),
                             params={"page": page_offset, "pageSize": page_size})

    def open_in_web(self, filepath: Optional[str] = None, item_id: Optional[str] = None,
                    item: Optional[Item] = None) -> None:
        given = exactly_one(filepath=filepath, item_id=item_id, item=item)
        if given != "item":
            item = self.get(filepath=filepath, item_id=item_id)
        webbrowser.open(item.platform_url)

    # -- transfer ----------------------------------------------------------------------------------
    def upload(self, local_path, local_annotations_path=None, remote_path: str = "/", remote_name=None,
               file_types: Optional[list] = None, overwrite: bool = False, item_metadata=None,
               output_entity=Item, no_output: bool = False, export_version: str = "V1",
               item_description: Optional[str] = None, raise_on_error: bool = False,
               return_as_list: bool = False):
        """Upload files, folders, buffers, arrays, URLs or links; returns an Item, a generator/list, or None."""
        return _item_upload.upload(self, local_path, local_annotations_path, remote_path, remote_name, file_types,
                                   overwrite, item_metadata, output_entity, no_output, export_version,
                                   item_description, raise_on_error, return_as_list)

    def download(self, filters: Optional[Filters] = None, items=None, local_path: Optional[str] = None,
                 file_types: Optional[list] = None, save_locally: bool = True, to_array: bool = False,
                 annotation_options=None, annotation_filters: Optional[Filters] = None, overwrite: bool = False,
                 to_items_folder: bool = True, thickness: int = 1, with_text: bool = False,
                 without_relative_path=None, avoid_unnecessary_annotation_download: bool = False,
                 include_annotations_in_output: bool = True, export_png_files: bool = False,
                 filter_output_annotations: bool = False, alpha: float = 1, export_version="V1"):
        """Download item binaries (and rendered annotations); paths, buffers or arrays as the SDK returns."""
        return _item_download.download(
            self, filters=filters, items=items, local_path=local_path, file_types=file_types,
            save_locally=save_locally, to_array=to_array, annotation_options=annotation_options,
            annotation_filters=annotation_filters, overwrite=overwrite, to_items_folder=to_items_folder,
            thickness=thickness, with_text=with_text, without_relative_path=without_relative_path,
            alpha=alpha, export_version=export_version)
