"""Dataset: items, annotations and the recipe/ontology that defines their labels."""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Dict, List, Optional

from .base import Entity, Field, Parent
from .label import Label


class IndexDriver(str, Enum):
    V1 = "v1"
    V2 = "v2"


class ExportType(str, Enum):
    JSON = "json"
    ZIP = "zip"


class OutputExportType(str, Enum):
    JSON = "json"
    ZIP = "zip"
    FOLDERS = "folders"


class ExportVersion(str, Enum):
    """File naming of per-item annotation JSONs: V1 ``a/b.json``, V2 ``a/b.jpg.json``."""
    V1 = "V1"
    V2 = "V2"


class DatasetExportVersion(str, Enum):
    V1 = "v1"
    V3 = "v3"


class ExportMode(str, Enum):
    FULL = "full"
    DIFF = "diff"


class ExpirationOptions:
    """``ExpirationOptions(item_max_days=30)``: items older than that are deleted by the platform."""

    def __init__(self, item_max_days: Optional[int] = None):
        self.item_max_days = item_max_days

    def to_json(self) -> dict:
        return {"itemMaxDays": self.item_max_days} if self.item_max_days is not None else {}

    @classmethod
    def from_json(cls, json: dict) -> "ExpirationOptions":
        return cls(item_max_days=(json or {}).get("itemMaxDays"))


class DirectoryTree:
    """The folder tree of a dataset (``GET /datasets/{id}/directoryTree``)."""

    def __init__(self, json: dict):
        self.json = json or {}
        self.value = self.json.get("value") or {}
        self.children = [DirectoryTree(child) for child in self.json.get("children") or []]

    @property
    def filename(self) -> Optional[str]:
        return self.value.get("filename")

    @property
    def dir_names(self) -> List[str]:
        """Every folder path, the root first."""
        names = [self.filename] if self.filename else []
        for child in self.children:
            names.extend(child.dir_names)
        return names

    def __repr__(self) -> str:
        return f"DirectoryTree({self.filename!r}, children={len(self.children)})"


class Dataset(Entity):
    name = Field("name")
    metadata = Field("metadata", default=dict)
    projects = Field("projects", readonly=True)
    items_count = Field("itemsCount", readonly=True)
    annotated = Field("annotated", readonly=True)
    annotations_count = Field("annotationsCount", readonly=True)
    items_url = Field("items", readonly=True)
    driver = Field("driver")
    index_driver = Field("indexDriver")
    readonly = Field("readonly", readonly=True)
    updated_by = Field("updatedBy", readonly=True)
    access_level = Field("accessLevel", readonly=True)
    readable_type = Field("readableType", readonly=True)
    src_dataset = Field("srcDataset", readonly=True)
    is_syncing = Field("isSyncing", readonly=True)
    enable_sync_with_cloned = Field("enableSyncWithCloned")

    @property
    def project_id(self) -> Optional[str]:
        projects = self.projects or []
        return projects[0] if projects else None

    @property
    def expiration_options(self) -> Optional[ExpirationOptions]:
        json = self._json.get("expirationOptions")
        return ExpirationOptions.from_json(json) if json else None

    project = Parent()

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self.project_id}/datasets/{self.id}/items"

    # -- repositories ----------------------------------------------------------------------------
    @cached_property
    def datasets(self):
        from ..repositories.datasets import Datasets
        return Datasets(self._client, project=self._context.get("project"))

    @cached_property
    def items(self):
        from ..repositories.items import Items
        return Items(self._client, dataset=self, project=self._context.get("project"))

    @cached_property
    def annotations(self):
        from ..repositories.annotations import Annotations
        return Annotations(self._client, dataset=self)

    @cached_property
    def recipes(self):
        from ..repositories.recipes import Recipes
        return Recipes(self._client, dataset=self, project=self._context.get("project"))

    @cached_property
    def ontologies(self):
        from ..repositories.ontologies import Ontologies
        return Ontologies(self._client, dataset=self, project=self._context.get("project"))

    @cached_property
    def tasks(self):
        from ..repositories.tasks import Tasks
        return Tasks(self._client, project=self._context.get("project"), dataset=self)

    @cached_property
    def assignments(self):
        from ..repositories.assignments import Assignments
        return Assignments(self._client, project=self._context.get("project"), dataset=self)

    # -- recipe and labels -----------------------------------------------------------------------
    def get_recipe_ids(self) -> List[str]:
        return list(((self.metadata or {}).get("system") or {}).get("recipes") or [])

    @property
    def ontology_ids(self) -> List[str]:
        ids: List[str] = []
        for recipe_id in self.get_recipe_ids():
            ids.extend(self.recipes.get(recipe_id=recipe_id).ontology_ids)
        return ids

    def _ontology(self, recipe_id: Optional[str] = None, ontology_id: Optional[str] = None):
        if ontology_id is None:
            recipe_ids = [recipe_id] if recipe_id else self.get_recipe_ids()
            if not recipe_ids:
                raise ValueError(f"dataset {self.name!r} has no recipe")
            ontology_ids = self.recipes.get(recipe_id=recipe_ids[0]).ontology_ids
            if not ontology_ids:
                raise ValueError(f"recipe {recipe_ids[0]} has no ontology")
            ontology_id = ontology_ids[0]
        return self.ontologies.get(ontology_id=ontology_id)

    @property
    def labels(self) -> List[Label]:
        return self._ontology().labels

    @property
    def labels_flat_dict(self) -> Dict[str, Label]:
        return self._ontology().labels_flat_dict

    @property
    def instance_map(self) -> Dict[str, int]:
        return self._ontology().instance_map

    def switch_recipe(self, recipe_id: Optional[str] = None, recipe=None) -> "Dataset":
        """Make ``recipe`` (or ``recipe_id``) the dataset's recipe."""
        from .._repository import exactly_one
        exactly_one(recipe_id=recipe_id, recipe=recipe)
        system = self.metadata.setdefault("system", {})
        system["recipes"] = [recipe_id or recipe.id]
        return self.update(system_metadata=True)

    def add_label(self, label_name: str, color=None, children=None, attributes=None, display_label=None,
                  label: Optional[Label] = None, recipe_id=None, ontology_id=None, icon_path=None) -> Label:
        return self._ontology(recipe_id, ontology_id).add_label(
            label_name=label_name, color=color, children=children, attributes=attributes,
            display_label=display_label, label=label, icon_path=icon_path)

    def add_labels(self, label_list, ontology_id=None, recipe_id=None) -> List[Label]:
        return self._ontology(recipe_id, ontology_id).add_labels(label_list=label_list)

    def update_label(self, label_name: str, color=None, children=None, attributes=None, display_label=None,
                     label: Optional[Label] = None, recipe_id=None, ontology_id=None, upsert=False,
                     icon_path=None) -> Label:
        return self._ontology(recipe_id, ontology_id).update_label(
            label_name=label_name, color=color, children=children, attributes=attributes,
            display_label=display_label, label=label, upsert=upsert, icon_path=icon_path)

    def update_labels(self, label_list, ontology_id=None, recipe_id=None, upsert=False) -> List[Label]:
        return self._ontology(recipe_id, ontology_id).update_labels(label_list=label_list, upsert=upsert)

    def delete_labels(self, label_names) -> None:
        self._ontology().delete_labels(label_names=label_names)

    def update_attributes(self, title: str, key: str, attribute_type, recipe_id=None, ontology_id=None,
                          scope: Optional[list] = None, optional: Optional[bool] = None,
                          values: Optional[list] = None, attribute_range=None) -> bool:
        return self._ontology(recipe_id, ontology_id).update_attributes(
            title=title, key=key, attribute_type=attribute_type, scope=scope, optional=optional, values=values,
            attribute_range=attribute_range)

    def delete_attributes(self, keys: list, recipe_id=None, ontology_id=None) -> bool:
        return self._ontology(recipe_id, ontology_id).delete_attributes(keys=keys)

    # -- actions ---------------------------------------------------------------------------------
    def update(self, system_metadata: bool = False) -> "Dataset":
        return self.datasets.update(dataset=self, system_metadata=system_metadata)

    def delete(self, sure: bool = False, really: bool = False) -> bool:
        return self.datasets.delete(dataset_id=self.id, sure=sure, really=really)

    def unlock(self) -> "Dataset":
        return self.datasets.unlock(dataset=self)

    def set_readonly(self, state: bool) -> None:
        self.datasets.set_readonly(state=state, dataset=self)

    @property
    def directory_tree(self) -> DirectoryTree:
        return self.datasets.directory_tree(dataset=self)

    def clone(self, clone_name: Optional[str] = None, filters=None, with_items_annotations: bool = True,
              with_metadata: bool = True, with_task_annotations_status: bool = True,
              dst_dataset_id: Optional[str] = None, target_directory: Optional[str] = None, wait: bool = True):
        """The clone (a Dataset), or its Command when ``wait=False``."""
        return self.datasets.clone(dataset_id=self.id, clone_name=clone_name, filters=filters,
                                   with_items_annotations=with_items_annotations, with_metadata=with_metadata,
                                   with_task_annotations_status=with_task_annotations_status,
                                   dst_dataset_id=dst_dataset_id, target_directory=target_directory, wait=wait)

    def sync(self, wait: bool = True):
        return self.datasets.sync(dataset_id=self.id, wait=wait)

    def export(self, local_path: Optional[str] = None, filters=None, annotation_filters=None,
               include_annotations: bool = False, export_type: ExportType = ExportType.JSON, timeout: int = 0,
               dataset_lock: bool = False, lock_timeout_sec: Optional[int] = None, export_summary: bool = False,
               output_export_type: Optional[OutputExportType] = None,
               export_version: DatasetExportVersion = DatasetExportVersion.V1, **v3_options):
        return self.datasets.export(dataset=self, local_path=local_path, filters=filters,
                                    annotation_filters=annotation_filters, include_annotations=include_annotations,
                                    export_type=export_type, timeout=timeout, dataset_lock=dataset_lock,
                                    lock_timeout_sec=lock_timeout_sec, export_summary=export_summary,
                                    output_export_type=output_export_type, export_version=export_version,
                                    **v3_options)

    def download_annotations(self, local_path: Optional[str] = None, filters=None, annotation_options=None,
                             annotation_filters=None, overwrite: bool = False, thickness: int = 1,
                             with_text: bool = False, remote_path: Optional[str] = None,
                             include_annotations_in_output: bool = True, export_png_files: bool = False,
                             filter_output_annotations: bool = False, alpha: float = 1,
                             export_version: ExportVersion = ExportVersion.V1) -> str:
        return self.datasets.download_annotations(
            dataset=self, local_path=local_path, filters=filters, annotation_options=annotation_options,
            annotation_filters=annotation_filters, overwrite=overwrite, thickness=thickness, with_text=with_text,
            remote_path=remote_path, include_annotations_in_output=include_annotations_in_output,
            export_png_files=export_png_files, filter_output_annotations=filter_output_annotations, alpha=alpha,
            export_version=export_version)

    def upload_annotations(self, local_path: str, filters=None, clean: bool = False, remote_root_path: str = "/",
                           export_version: ExportVersion = ExportVersion.V1):
        return self.datasets.upload_annotations(dataset=self, local_path=local_path, filters=filters, clean=clean,
                                                remote_root_path=remote_root_path, export_version=export_version)

    def split_ml_subsets(self, items_query=None, percentages: Optional[dict] = None) -> bool:
        return self.datasets.split_ml_subsets(dataset_id=self.id, items_query=items_query,
                                              ml_split_list=percentages)

    def assign_subset_to_items(self, subset: str, items_query=None) -> bool:
        return self.datasets.bulk_update_ml_subset(dataset_id=self.id, items_query=items_query, subset=subset)

    def remove_subset_from_items(self, items_query=None) -> bool:
        return self.datasets.bulk_update_ml_subset(dataset_id=self.id, items_query=items_query, deleteTag=True)

    def download(self, filters=None, local_path: Optional[str] = None, **options):
        """Download the dataset's items (and annotations) — see ``Items.download``."""
        return self.items.download(filters=filters, local_path=local_path, **options)

    def download_folder(self, folder_path: str, filters=None, local_path: Optional[str] = None, **options):
        """Download one remote folder (its files and subfolders)."""
        from ..filters import Filters, FiltersMethod
        filters = filters if filters is not None else Filters()
        folder = "/" + folder_path.strip("/")
        filters.add(field="dir", values=folder, method=FiltersMethod.OR)
        filters.add(field="dir", values=folder + "/*", method=FiltersMethod.OR)
        return self.items.download(filters=filters, local_path=local_path, **options)

    def checkout(self) -> None:
        self.datasets.checkout(dataset=self)

    def open_in_web(self) -> None:
        self.datasets.open_in_web(dataset=self)
