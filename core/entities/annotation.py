"""Annotation: one label on an item (geometry in ``coordinates``, state in ``metadata.system``)."""
from __future__ import annotations

from enum import Enum
from typing import Optional

from . import annotation_definitions as definitions
from .base import Entity, Field
from .dataset import ExportVersion  # noqa: F401  (re-exported: the SDK also has it beside annotations)


class AnnotationStatus(str, Enum):
    ISSUE = "issue"
    APPROVED = "approved"
    REVIEW = "review"
    CLEAR = "clear"


class ViewAnnotationOptions(str, Enum):
    JSON = "json"
    MASK = "mask"
    INSTANCE = "instance"
    ANNOTATION_ON_IMAGE = "img_mask"
    VTT = "vtt"
    OBJECT_ID = "object_id"


class Annotation(Entity):
    item_id = Field("itemId", readonly=True)
    dataset_id = Field("datasetId", readonly=True)
    item_url = Field("item", readonly=True)
    dataset_url = Field("dataset", readonly=True)
    type = Field("type")
    label = Field("label")
    coordinates = Field("coordinates")
    metadata = Field("metadata", default=dict)
    attributes = Field("attributes")
    description = Field("description")
    source = Field("source")
    hash = Field("hash", readonly=True)
    updated_by = Field("updatedBy", readonly=True)
    label_suggestions = Field("labelSuggestions")

    @classmethod
    def new(cls, client, item=None, annotation_definition: definitions.BaseAnnotationDefinition = None,
            object_id=None, frame_num: Optional[int] = None, end_frame_num: Optional[int] = None,
            start_time: Optional[float] = None, end_time: Optional[float] = None, automated: bool = True,
            metadata: Optional[dict] = None, parent_id: Optional[str] = None, model_info: Optional[dict] = None,
            color=None) -> "Annotation":
        """A local (not yet uploaded) annotation in the shape the SDK uploads (wire §8 Annotation)."""
        if annotation_definition is None:
            raise ValueError("annotation_definition is required (Box, Point, Polygon, ...)")
        metadata = dict(metadata or {})
        system = dict(metadata.get("system") or {})
        attributes = annotation_definition.attributes
        system["attributes"] = attributes if isinstance(attributes, dict) else {}
        system["automated"] = automated
        optional = {"objectId": None if object_id is None else str(object_id), "frame": frame_num,
                    "endFrame": end_frame_num, "startTime": start_time, "endTime": end_time, "parentId": parent_id}
        system.update({k: v for k, v in optional.items() if v is not None})
        metadata["system"] = system
        if model_info is not None:
            if not {"name", "confidence"} <= set(model_info):
                raise ValueError("model_info needs 'name' and 'confidence' keys")
            metadata.setdefault("user", {})["model"] = {"name": model_info["name"],
                                                        "confidence": float(model_info["confidence"]),
                                                        "model_id": model_info.get("model_id")}
        json = {"type": annotation_definition.type, "label": annotation_definition.label, "metadata": metadata,
                "source": "sdk", "attributes": attributes if isinstance(attributes, list) else None}
        if not isinstance(annotation_definition, definitions.Classification):
            json["coordinates"] = annotation_definition.to_coordinates(color)
        if annotation_definition.description is not None:
            json["description"] = annotation_definition.description
        if item is not None:
            json.update(itemId=item.id, datasetId=item.dataset_id)
        annotation = cls(client, json, item=item)
        annotation._definition = annotation_definition
        return annotation

    # -- geometry ----------------------------------------------------------------------------------
    @property
    def annotation_definition(self) -> definitions.BaseAnnotationDefinition:
        cached = self.__dict__.get("_definition")
        if cached is None or cached.type != self.type or self.__dict__.get("_definition_src") != id(
                self._json.get("coordinates")):
            cached = definitions.from_json(self.type, self._json.get("coordinates"), self.label,
                                           self.system.get("attributes"))
            self.__dict__["_definition"] = cached
            self.__dict__["_definition_src"] = id(self._json.get("coordinates"))
        return cached

    @property
    def geo(self):
        return self.annotation_definition.geo

    top = property(lambda self: self.annotation_definition.top)
    left = property(lambda self: self.annotation_definition.left)
    bottom = property(lambda self: self.annotation_definition.bottom)
    right = property(lambda self: self.annotation_definition.right)
    x = property(lambda self: self.annotation_definition.x)
    y = property(lambda self: self.annotation_definition.y)

    # -- metadata shortcuts ------------------------------------------------------------------------
    @property
    def system(self) -> dict:
        return self.metadata.setdefault("system", {})

    @property
    def object_id(self) -> Optional[str]:
        return self.system.get("objectId")

    @object_id.setter
    def object_id(self, value) -> None:
        self.system["objectId"] = None if value is None else str(value)

    @property
    def frame_num(self) -> Optional[int]:
        return self.system.get("frame")

    @property
    def start_frame(self) -> Optional[int]:
        return self.system.get("frame")

    @property
    def end_frame(self) -> Optional[int]:
        return self.system.get("endFrame")

    @property
    def start_time(self) -> Optional[float]:
        return self.system.get("startTime")

    @property
    def end_time(self) -> Optional[float]:
        return self.system.get("endTime")

    @property
    def automated(self) -> bool:
        return bool(self.system.get("automated"))

    @property
    def status(self) -> Optional[str]:
        return self.system.get("status")

    @property
    def parent_id(self) -> Optional[str]:
        return self.system.get("parentId")

    # -- parents -----------------------------------------------------------------------------------
    @property
    def item(self):
        item = self._context.get("item")
        if item is None:
            item = self._client.items.get(item_id=self.item_id)
            self._context["item"] = item
        return item

    @property
    def annotations(self):
        from ..repositories.annotations import Annotations
        item = self._context.get("item")
        return Annotations(self._client, item=item, dataset_id=self.dataset_id) if item is not None else \
            Annotations(self._client, dataset_id=self.dataset_id)

    # -- actions -----------------------------------------------------------------------------------
    def update(self, system_metadata: bool = False) -> "Annotation":
        return self.annotations.update(annotations=self, system_metadata=system_metadata)[0]

    def delete(self) -> bool:
        return self.annotations.delete(annotation_id=self.id)

    def update_status(self, status=AnnotationStatus.ISSUE) -> "Annotation":
        return self.annotations.update_status(annotation=self, status=status)

    def show(self, image=None, thickness: int = None, with_text: bool = False, height: float = None,
             width: float = None, annotation_format=ViewAnnotationOptions.MASK, color=None, label_instance_dict=None,
             alpha: float = 1):
        """Render this annotation alone (see ``AnnotationCollection.show``)."""
        return self._collection().show(image=image, thickness=thickness, with_text=with_text, height=height,
                                       width=width, annotation_format=annotation_format, color=color,
                                       label_instance_dict=label_instance_dict, alpha=alpha)

    def download(self, filepath: str, annotation_format=ViewAnnotationOptions.JSON, height: float = None,
                 width: float = None, thickness: int = 1, with_text: bool = False, alpha: float = 1) -> str:
        return self._collection().download(filepath=filepath, annotation_format=annotation_format, height=height,
                                           width=width, thickness=thickness, with_text=with_text, alpha=alpha)

    def _collection(self):
        from .annotation_collection import AnnotationCollection
        return AnnotationCollection(self._client, item=self._context.get("item"), annotations=[self])
