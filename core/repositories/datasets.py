"""Datasets (wire §3.4): CRUD, DQL listing, clone/merge/sync/split commands. Export and annotation
download/upload live in :mod:`.dataset_exports`."""
from __future__ import annotations

import copy
import logging
import os
import warnings
import webbrowser
from typing import List, Optional

from .._repository import Repository, confirm_delete, exactly_one, own_filters, path
from ..entities.command import Command
from ..entities.dataset import Dataset, DirectoryTree, ExpirationOptions, IndexDriver
from ..exceptions import BadRequest, NotFound
from ..filters import Filters, FiltersResource, as_filters
from ..paging import PagedEntities
from .dataset_exports import DatasetExports
from .projects import load_state, save_state

logger = logging.getLogger("dataloop_core.datasets")
ML_SUBSETS = ("train", "validation", "test")


def command_spec(client, answer: dict, key: Optional[str] = None, timeout: float = 0) -> dict:
    """Wait for a command answer to end successfully and return its ``spec`` (which must hold ``key``)."""
    command = Command(client, answer).wait(timeout=timeout)
    spec = command.spec or {}
    if key is not None and key not in spec:
        raise BadRequest("400", f"{key} key is missing in command response (command {command.id})")
    return spec


def upload_to_binaries(client, project, local_path: str, remote_path: str, remote_name: str,
                       overwrite: bool = False):
    """Upload one local file into the Binaries dataset of ``project`` (entity or id); returns the Item."""
    if not isinstance(local_path, str) or not os.path.isfile(local_path):
        raise ValueError(f"local file not found: {local_path!r}")
    if isinstance(project, str):
        project = client.projects.get(project_id=project)
    binaries = Datasets(client, project=project)._get_binaries_dataset()
    return binaries.items.upload(local_path=local_path, remote_path=remote_path, remote_name=remote_name,
                                 overwrite=overwrite, raise_on_error=True)


class Datasets(DatasetExports, Repository):
    """``project.datasets`` (one project's) or ``client.datasets`` (by id, or across the user's projects)."""

    def _build(self, json: dict) -> Dataset:
        project = self._context.get("project")
        if project is not None and project.id not in (json.get("projects") or []):
            project = None
        return Dataset(self._client, json, project=project)

    # -- reads -----------------------------------------------------------------------------------
    def list(self, name: Optional[str] = None, creator: Optional[str] = None,
             filters: Optional[Filters] = None) -> List[Dataset]:
        """Every dataset of the project (matching ``name``/``creator``/``filters``)."""
        filters = own_filters(filters, FiltersResource.DATASET)
        if name is not None:
            filters.add(field="name", values=name)
        if creator is not None:
            filters.add(field="creator", values=creator)
        project = self._context.get("project")
        if project is not None:
            filters.context = {"projects": [project.id]}
        filters.page, filters.page_size = 0, 1000
        return list(PagedEntities(self._query_page, filters, self._build).all())

    def _query_page(self, body: dict) -> dict:
        return self._request("POST", "/datasets/query", json=body, retry_safe=True)

    def get(self, dataset_name: Optional[str] = None, dataset_id: Optional[str] = None, checkout: bool = False,
            fetch: Optional[bool] = None) -> Dataset:
        """A dataset by id or name; with neither, the checked-out one. ``fetch=False`` builds a local stub."""
        if fetch is False:
            exactly_one(dataset_id=dataset_id, dataset_name=dataset_name)
            dataset = self._build({"id": dataset_id, "name": dataset_name})
        elif dataset_id is not None:
            dataset = self._build(self._request("GET", path("/datasets/{}", dataset_id)))
            if dataset_name is not None and dataset.name != dataset_name:
                raise ValueError(f"dataset {dataset_id} is named {dataset.name!r}, not {dataset_name!r}")
        elif dataset_name is not None:
            matches = self.list(name=dataset_name)
            if not matches:
                raise NotFound("404", f"Dataset not found: {dataset_name}")
            if len(matches) > 1:
                raise BadRequest("400", f"More than one dataset named {dataset_name!r}; get it by id")
            dataset = matches[0]
        else:
            checked_out = load_state(self._client.state_dir).get("dataset")
            if not checked_out:
                raise ValueError("pass dataset_id or dataset_name (no dataset is checked out)")
            dataset = self._build(checked_out)
        if checkout:
            self.checkout(dataset=dataset)
        return dataset

    def _get_binaries_dataset(self) -> Dataset:
        """The project's hidden "Binaries" dataset (recipe instructions, label icons, codebases), found with
        ``systemSpace`` as the platform hides it from normal listings."""
        filters = Filters(field="name", values="Binaries", resource=FiltersResource.DATASET)
        filters.system_space = True
        self._parent("project")
        found = self.list(filters=filters)
        if not found:
            raise NotFound("404", f"Dataset not found. Name: \"Binaries\" (project {self._parent('project').id})")
        if len(found) > 1:
            raise BadRequest("400", "More than one Binaries dataset in the project")
        return found[0]

    def _resolve(self, dataset: Optional[Dataset] = None, dataset_name: Optional[str] = None,
                 dataset_id: Optional[str] = None) -> Dataset:
        exactly_one(dataset=dataset, dataset_name=dataset_name, dataset_id=dataset_id)
        return dataset if dataset is not None else self.get(dataset_name=dataset_name, dataset_id=dataset_id)

    def directory_tree(self, dataset: Optional[Dataset] = None, dataset_name: Optional[str] = None,
                       dataset_id: Optional[str] = None) -> DirectoryTree:
        if dataset is None and dataset_name is not None:
            dataset = self.get(dataset_name=dataset_name)
        exactly_one(dataset=dataset, dataset_id=dataset_id)
        dataset_id = dataset_id or dataset.id
        return DirectoryTree(self._request("GET", path("/datasets/{}/directoryTree", dataset_id)))

    # -- writes ----------------------------------------------------------------------------------
    def create(self, dataset_name: str, labels=None, attributes: Optional[list] = None, ontology_ids=None,
               driver=None, driver_id: Optional[str] = None, checkout: bool = False,
               expiration_options: Optional[ExpirationOptions] = None, index_driver: Optional[IndexDriver] = None,
               recipe_id: Optional[str] = None) -> Dataset:
        """Create a dataset; with labels/attributes/ontology_ids an own recipe is created, with
        ``recipe_id`` that recipe is used, otherwise the platform creates a default one."""
        if not isinstance(dataset_name, str) or not dataset_name.strip():
            raise ValueError(f"dataset_name must be a non-empty string, not {dataset_name!r}")
        project = self._parent("project")
        if driver is not None and driver_id is not None:
            raise ValueError("pass driver or driver_id, not both")
        if driver is not None:
            driver_id = driver.id if hasattr(driver, "id") else project.drivers.get(driver_name=driver).id
        default_recipe = not any([labels, attributes, ontology_ids, recipe_id])
        body = {"name": dataset_name, "projects": [project.id], "createDefaultRecipe": default_recipe}
        if driver_id is not None:
            body["driver"] = driver_id
        if expiration_options is not None and expiration_options.to_json():
            body["expirationOptions"] = expiration_options.to_json()
        if index_driver is not None:
            body["indexDriver"] = getattr(index_driver, "value", index_driver)
        dataset = self._build(self._request("POST", "/datasets", json=body))
        if recipe_id is not None:
            dataset.switch_recipe(recipe_id=recipe_id)
        elif not default_recipe:
            dataset.recipes.create(ontology_ids=ontology_ids, labels=labels, attributes=attributes)
        logger.info("created dataset %s (%s)", dataset.name, dataset.id)
        if checkout:
            self.checkout(dataset=dataset)
        return dataset

    def update(self, dataset: Dataset, system_metadata: bool = False, patch: Optional[dict] = None) -> Dataset:
        """Send the full dataset JSON (or ``patch`` verbatim); the entity is refreshed from the answer."""
        params = {"system": "true"} if system_metadata else None
        body = patch if patch is not None else dataset.to_json()
        answer = self._request("PATCH", path("/datasets/{}", dataset.id), json=body, params=params)
        if isinstance(answer, dict):
            dataset._refresh_from(answer)
        return dataset

    def delete(self, dataset_name: Optional[str] = None, dataset_id: Optional[str] = None, sure: bool = False,
               really: bool = False) -> bool:
        """Delete a dataset with its items and annotations (needs ``sure=True, really=True``)."""
        confirm_delete(sure, really, "a dataset")
        dataset_id = self._resolve(dataset_name=dataset_name, dataset_id=dataset_id).id if dataset_id is None \
            else dataset_id
        self._request("DELETE", path("/datasets/{}", dataset_id))
        logger.info("deleted dataset %s", dataset_id)
        return True

    def unlock(self, dataset: Dataset) -> Dataset:
        """Unlock a dataset locked by an export (400 when it is not locked)."""
        self._request("PATCH", path("/datasets/{}/unlock", dataset.id))
        return dataset

    def set_readonly(self, state: bool, dataset: Dataset) -> None:
        """Deprecated by the platform: does nothing."""
        warnings.warn("`readonly` flag on dataset is deprecated, doing nothing.", DeprecationWarning, stacklevel=2)

    # -- commands --------------------------------------------------------------------------------
    def clone(self, dataset_id: str, clone_name: Optional[str] = None, filters: Optional[Filters] = None,
              with_items_annotations: bool = True, with_metadata: bool = True,
              with_task_annotations_status: bool = True, dst_dataset_id: Optional[str] = None,
              target_directory: Optional[str] = None, wait: bool = True):
        """Copy (filtered) items, binaries and annotations into a new dataset or ``dst_dataset_id``; returns that
        Dataset, or with ``wait=False`` the clone's Command (its spec ``returnedModelId`` names the dataset once
        it succeeded; ``client.runs.status("command", id).output`` carries that spec)."""
        if clone_name is None and dst_dataset_id is None:
            raise ValueError("pass clone_name or dst_dataset_id")
        user_query = "true" if filters is not None else "false"
        filters = Filters() if filters is None else copy.deepcopy(as_filters(filters, FiltersResource.ITEM))
        if filters.resource != FiltersResource.ITEM:
            raise ValueError(f"clone filters must be item filters, got {filters.resource.value!r}")
        filters.pop("hidden")
        if target_directory is not None and not target_directory.startswith("/"):
            target_directory = "/" + target_directory
        params = {"withItemsAnnotations": with_items_annotations, "withMetadata": with_metadata,
                  "withTaskAnnotationsStatus": with_task_annotations_status, "targetDirectory": target_directory}
        if dst_dataset_id is not None:
            params["targetDatasetId"] = dst_dataset_id
        body = {"name": clone_name, "filter": filters.prepare(), "cloneDatasetParams": params}
        answer = self._request("POST", path("/datasets/{}/clone", dataset_id), json=body,
                               headers={"user_query": user_query})
        if not wait:
            return Command(self._client, answer)
        return self.get(dataset_id=command_spec(self._client, answer, "returnedModelId")["returnedModelId"])

    def merge(self, merge_name: str, dataset_ids: List[str], project_ids, with_items_annotations: bool = True,
              with_metadata: bool = True, with_task_annotations_status: bool = True, wait: bool = True):
        """Merge datasets into a new one named ``merge_name``; ``True`` (or the Command when ``wait=False``)."""
        if not dataset_ids or len(dataset_ids) < 2:
            raise ValueError("dataset_ids must list at least two datasets")
        body = {"name": merge_name, "datasetsIds": list(dataset_ids), "projectIds": project_ids,
                "mergeDatasetParams": {"withItemsAnnotations": with_items_annotations, "withMetadata": with_metadata,
                                       "withTaskAnnotationsStatus": with_task_annotations_status},
                "asynced": wait}
        answer = self._request("POST", "/datasets/merge", json=body)
        if not wait:
            return Command(self._client, answer)
        command_spec(self._client, answer, "mergeDatasetsConfiguration")
        return True

    def sync(self, dataset_id: str, wait: bool = True):
        """Sync a dataset with its external storage (driver); ``True`` or the Command when ``wait=False``."""
        answer = self._request("POST", path("/datasets/{}/sync", dataset_id))
        if not wait:
            return Command(self._client, answer)
        command_spec(self._client, answer, "datasetId")
        return True

    def split_ml_subsets(self, dataset_id: str, items_query: Optional[Filters] = None,
                         ml_split_list: Optional[dict] = None) -> bool:
        """Tag items as train/validation/test by percentages (default 80/10/10)."""
        ml_split_list = ml_split_list or {"train": 80, "validation": 10, "test": 10}
        if set(ml_split_list) != set(ML_SUBSETS):
            raise ValueError(f"ml_split_list must have exactly the keys 'train', 'validation', 'test'; got {sorted(ml_split_list)}")
        if any(not isinstance(v, int) or v < 0 for v in ml_split_list.values()):
            raise ValueError(f"ml_split_list percentages must be integers >= 0; got {ml_split_list}")
        if sum(ml_split_list.values()) != 100:
            raise ValueError(f"ml_split_list percentages must add up to 100, got {sum(ml_split_list.values())}")
        body = {"itemsQuery": (items_query or Filters()).prepare(), "MLSplitList": ml_split_list}
        command_spec(self._client, self._request("POST", path("/datasets/{}/split", dataset_id), json=body))
        return True

    def bulk_update_ml_subset(self, dataset_id: str, items_query: Optional[Filters] = None,
                              subset: Optional[str] = None, deleteTag: bool = False) -> bool:  # noqa: N803 (SDK name)
        """Assign ``subset`` to the matching items, or remove their subset with ``deleteTag=True``."""
        if not deleteTag and subset not in ML_SUBSETS:
            raise ValueError(f"subset must be one of {', '.join(ML_SUBSETS)} (or pass deleteTag=True)")
        tags = {name: (True if name == subset and not deleteTag else None) for name in ML_SUBSETS}
        body = {"query": (items_query or Filters()).prepare(),
                "updateQuery": {"update": {"metadata": {"system": {"tags": tags}}}, "systemSpace": True}}
        answer = self._request("POST", path("/datasets/{}/items/bulk-update-metadata", dataset_id), json=body)
        command_spec(self._client, answer)
        return True

    # -- local -----------------------------------------------------------------------------------
    def checkout(self, identifier: Optional[str] = None, dataset_name: Optional[str] = None,
                 dataset_id: Optional[str] = None, dataset: Optional[Dataset] = None) -> None:
        """Make a dataset the default one (stored in ``<state_dir>/state.json``)."""
        if dataset is None:
            if dataset_id is not None or dataset_name is not None:
                dataset = self.get(dataset_name=dataset_name, dataset_id=dataset_id)
            elif identifier is not None:
                matches = [d for d in self.list() if identifier in (d.id or "") or identifier in (d.name or "")]
                if len(matches) != 1:
                    raise NotFound("404", f"{len(matches)} datasets match identifier {identifier!r}")
                dataset = matches[0]
            else:
                raise ValueError("pass identifier, dataset_name, dataset_id or dataset to checkout")
        save_state(self._client.state_dir, "dataset", dataset.to_json())

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self._parent('project').id}/datasets"

    def open_in_web(self, dataset_name: Optional[str] = None, dataset_id: Optional[str] = None,
                    dataset: Optional[Dataset] = None) -> None:
        if dataset is None and (dataset_name is not None or dataset_id is not None):
            dataset = self.get(dataset_name=dataset_name, dataset_id=dataset_id)
        url = dataset.platform_url if dataset is not None else self.platform_url
        webbrowser.open(url=url, new=2, autoraise=True)
