"""Annotations (wire §3.7): get/list/upload/update/delete/update_status, builder, local show/download."""
from __future__ import annotations

import json as jsonlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from .._repository import Repository, exactly_one, path
from ..entities.annotation import Annotation, AnnotationStatus, ViewAnnotationOptions
from ..entities.annotation_collection import AnnotationCollection
from ..filters import Filters, FiltersOperations, FiltersResource, as_filters
from ..paging import PagedEntities

BATCH = 100
WORKERS = 8


class Annotations(Repository):
    """``item.annotations`` (one item's) or ``dataset.annotations`` (a dataset's)."""

    @property
    def item(self):
        return self._context.get("item")

    @property
    def dataset_id(self) -> str:
        dataset = self._context.get("dataset")
        if dataset is not None:
            return dataset.id
        if self.item is not None:
            return self.item.dataset_id
        if self._context.get("dataset_id"):
            return self._context["dataset_id"]
        return self._parent("dataset").id

    def _item_required(self):
        return self._parent("item")

    def _build(self, json: dict) -> Annotation:
        return Annotation(self._client, json, item=self.item)

    # -- reads -----------------------------------------------------------------------------------
    def get(self, annotation_id: str) -> Annotation:
        if not annotation_id:
            raise ValueError("annotation_id is required")
        return self._build(self._request("GET", path("/annotations/{}", annotation_id)))

    def _query(self, body: dict, user_query: bool = True) -> dict:
        return self._request("POST", path("/datasets/{}/query", self.dataset_id), json=body, retry_safe=True,
                             headers={"user_query": "true" if user_query else "false"})

    def list(self, filters: Optional[Filters] = None, page_offset: Optional[int] = None,
             page_size: Optional[int] = None):
        """An item's annotations as an ``AnnotationCollection``; a dataset's as pages of annotations."""
        if filters is not None and filters.resource != FiltersResource.ANNOTATION:
            raise ValueError(f"annotations.list takes annotations filters, not {filters.resource.value}")
        user_query = filters is not None
        filters = filters if filters is not None else Filters(resource=FiltersResource.ANNOTATION)
        if self.item is None:
            return PagedEntities(lambda b: self._query(b, user_query), filters, self._build, page_offset, page_size)
        filters.add("itemId", self.item.id)
        pages = PagedEntities(lambda b: self._query(b, user_query), filters, self._build, 0, 1000)
        return AnnotationCollection(self._client, item=self.item, annotations=list(pages.all()))

    def builder(self) -> AnnotationCollection:
        return AnnotationCollection(self._client, item=self._item_required())

    # -- writes ----------------------------------------------------------------------------------
    def _to_upload_json(self, entry) -> dict:
        if isinstance(entry, Annotation):
            body = entry.to_json()
        elif isinstance(entry, dict):
            body = dict(entry)
        elif isinstance(entry, str):
            body = jsonlib.loads(entry)
        else:
            raise ValueError(f"cannot upload a {type(entry).__name__} as an annotation")
        for key in ("id", "url", "item", "createdAt", "updatedAt", "updatedBy", "creator", "hash"):
            body.pop(key, None)
        body.update(itemId=self.item.id, datasetId=self.item.dataset_id)
        return body

    def upload(self, annotations) -> AnnotationCollection:
        """Create annotations on the item, 100 per request; accepts entities, dicts, JSON strings, a
        collection, or the path of a JSON file with an ``annotations`` list."""
        item = self._item_required()
        if isinstance(annotations, str) and os.path.isfile(annotations):
            with open(annotations, encoding="utf-8") as handle:
                annotations = jsonlib.load(handle).get("annotations") or []
        if isinstance(annotations, (Annotation, dict, str)):
            annotations = [annotations]
        bodies = [self._to_upload_json(a) for a in annotations]
        if not bodies:
            return AnnotationCollection(self._client, item=item)
        batches = [bodies[i:i + BATCH] for i in range(0, len(bodies), BATCH)]
        with ThreadPoolExecutor(min(WORKERS, len(batches))) as pool:
            answers = list(pool.map(
                lambda batch: self._request("POST", path("/items/{}/annotations", item.id), json=batch), batches))
        created = [a for answer in answers for a in (answer if isinstance(answer, list) else [answer])]
        return AnnotationCollection(self._client, item=item, annotations=[self._build(j) for j in created])

    def update(self, annotations, system_metadata: bool = False) -> List[Annotation]:
        """Save local edits of annotations (diff PUT per annotation); unchanged ones are returned as is."""
        listed = annotations if isinstance(annotations, (list, tuple, AnnotationCollection)) else [annotations]
        params = {"system": "true"} if system_metadata else None

        def save(annotation: Annotation) -> Annotation:
            if not isinstance(annotation, Annotation) or not annotation.id:
                raise ValueError("update takes uploaded Annotation entities (with ids)")
            diff = annotation.diff()
            if diff:
                annotation._refresh_from(self._request("PUT", path("/annotations/{}", annotation.id), json=diff,
                                                       params=params))
            return annotation

        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(save, list(listed)))

    def delete(self, annotation=None, annotation_id=None, filters: Optional[Filters] = None) -> bool:
        """Delete one annotation (entity or id), a list of ids, ``annotation='all'`` (the item's), or by filters."""
        filters = as_filters(filters, FiltersResource.ANNOTATION)
        given = exactly_one(annotation=annotation, annotation_id=annotation_id, filters=filters)
        if given == "annotation" and annotation == "all":
            filters = Filters(resource=FiltersResource.ANNOTATION)
            filters.add("itemId", self._item_required().id)
        elif given == "annotation_id" and isinstance(annotation_id, (list, tuple)):
            filters = Filters(resource=FiltersResource.ANNOTATION, use_defaults=False)
            filters.add("annotationId", list(annotation_id), operator=FiltersOperations.IN)
        if filters is not None:
            if filters.resource != FiltersResource.ANNOTATION:
                raise ValueError("annotations.delete takes annotations filters")
            self._request("POST", path("/datasets/{}/query", self.dataset_id), json=filters.prepare("delete"))
            return True
        annotation_id = annotation.id if isinstance(annotation, Annotation) else annotation_id
        self._request("DELETE", path("/annotations/{}", annotation_id),
                      json={"username": self._client.user_email})
        return True

    def update_status(self, annotation: Optional[Annotation] = None, annotation_id: Optional[str] = None,
                      status=AnnotationStatus.ISSUE) -> Annotation:
        """Set an annotation's review status (``issue``/``approved``/``review``; ``clear`` removes it)."""
        exactly_one(annotation=annotation, annotation_id=annotation_id)
        status = AnnotationStatus(getattr(status, "value", status))
        value = None if status == AnnotationStatus.CLEAR else status.value
        target = annotation if annotation is not None else self.get(annotation_id)
        json = self._request("PUT", path("/annotations/{}", target.id), params={"system": "true"},
                             json={"metadata": {"system": {"status": value}}})
        target._refresh_from(json)
        return target

    def task_scores(self, annotation_id: str, task_id: str, page_offset: int = 0, page_size: int = 100):
        return self._request("GET", path("/scores/tasks/{}/annotations/{}", task_id, annotation_id),
                             params={"page": page_offset, "pageSize": page_size})

    # -- local rendering ---------------------------------------------------------------------------
    def show(self, image=None, thickness: int = 1, with_text: bool = False, height=None, width=None,
             annotation_format=ViewAnnotationOptions.MASK, alpha: float = 1):
        return self.list().show(image=image, thickness=thickness, with_text=with_text, height=height, width=width,
                                annotation_format=annotation_format, alpha=alpha)

    def download(self, filepath: str, annotation_format=ViewAnnotationOptions.MASK, img_filepath=None,
                 height=None, width=None, thickness: int = 1, with_text: bool = False, alpha: float = 1) -> str:
        return self.list().download(filepath=filepath, img_filepath=img_filepath,
                                    annotation_format=annotation_format, height=height, width=width,
                                    thickness=thickness, with_text=with_text, alpha=alpha)
