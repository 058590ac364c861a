"""Upload files or a folder as items, with item metadata and Dataloop-format annotation JSON files."""
from __future__ import annotations

from typing import Optional, Union

from airflow.providers.common.compat.sdk import AirflowException

from dataloop_provider.links.dataloop import DataloopDatasetLink
from dataloop_provider.operators.base import DataloopBaseOperator, capped, template_fields


class DataloopUploadItemsOperator(DataloopBaseOperator):
    """Upload ``local_path`` (a file, a list of files, or a folder) to ``remote_path`` of the dataset.

    :param local_annotations_path: a folder of Dataloop-format annotation JSONs mirroring the files.
    :param item_metadata: metadata set on every uploaded item, e.g. ``{"user": {"batch": "{{ ds }}"}}``.
    Returns ``{"dataset_id", "count", "item_ids"}`` (ids capped at 100).
    """

    template_fields = template_fields("dataset_id", "local_path", "local_annotations_path", "remote_path",
                                      "item_metadata")
    operator_extra_links = (DataloopDatasetLink(),)

    def __init__(self, *, dataset_id: str, local_path: Union[str, list], remote_path: str = "/",
                 local_annotations_path: Optional[str] = None, item_metadata: Optional[dict] = None,
                 overwrite: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.dataset_id, self.local_path, self.remote_path = dataset_id, local_path, remote_path
        self.local_annotations_path, self.item_metadata, self.overwrite = (local_annotations_path, item_metadata,
                                                                           overwrite)

    def execute(self, context) -> dict:
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        DataloopDatasetLink.persist(context, dataset.platform_url)
        items = dataset.items.upload(local_path=self.local_path, local_annotations_path=self.local_annotations_path,
                                     remote_path=self.remote_path, item_metadata=self.item_metadata,
                                     overwrite=self.overwrite, raise_on_error=True, return_as_list=True) or []
        if not items:
            raise AirflowException(f"nothing uploaded from {self.local_path!r}: no files found")
        self.log.info("uploaded %d item(s) to dataset %s%s", len(items), dataset.name, self.remote_path)
        return {"dataset_id": dataset.id, "count": len(items), "item_ids": capped(item.id for item in items)}
