"""AnnotationCollection: an item's annotations as a list, a builder, and local rendering with Pillow (wire §5.6)."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, Iterator, List, Optional, Tuple

from .._lazy import numpy as np

from ..exceptions import NotFound
from .annotation import Annotation, ViewAnnotationOptions
from .annotation_definitions import BaseAnnotationDefinition


def fallback_color(label: Optional[str]) -> Tuple[int, int, int]:
    """A stable colour for a label the ontology does not know."""
    digest = hashlib.md5((label or "").encode("utf-8")).digest()
    return digest[0], digest[1], digest[2]


class AnnotationCollection:
    """``item.annotations.builder()`` / ``item.annotations.list()``: iterate, ``add``, ``upload``, ``show``."""

    def __init__(self, client, item=None, annotations: Optional[List[Annotation]] = None):
        self._client = client
        self.item = item
        self.annotations: List[Annotation] = list(annotations or [])
        self._palette: Optional[Tuple[Dict[str, tuple], Dict[str, int]]] = None

    # -- list behaviour ----------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Annotation]:
        return iter(self.annotations)

    def __len__(self) -> int:
        return len(self.annotations)

    def __getitem__(self, index):
        return self.annotations[index]

    def __repr__(self) -> str:
        return f"AnnotationCollection(item={getattr(self.item, 'id', None)!r}, annotations={len(self)})"

    # -- building ----------------------------------------------------------------------------------
    def add(self, annotation_definition: BaseAnnotationDefinition, object_id=None, frame_num: Optional[int] = None,
            end_frame_num: Optional[int] = None, start_time: Optional[float] = None,
            end_time: Optional[float] = None, automated: bool = True, metadata: Optional[dict] = None,
            parent_id: Optional[str] = None, model_info: Optional[dict] = None) -> "AnnotationCollection":
        """Append a new local annotation built from a definition (Box, Polygon, Segmentation, ...)."""
        if not isinstance(annotation_definition, BaseAnnotationDefinition):
            raise ValueError(f"annotation_definition must be a Box, Point, Polygon, ... not "
                             f"{type(annotation_definition).__name__}")
        color = self.colors().get(annotation_definition.label) if annotation_definition.type == "binary" else None
        self.annotations.append(Annotation.new(
            self._client, item=self.item, annotation_definition=annotation_definition, object_id=object_id,
            frame_num=frame_num, end_frame_num=end_frame_num, start_time=start_time, end_time=end_time,
            automated=automated, metadata=metadata, parent_id=parent_id, model_info=model_info, color=color))
        return self

    def upload(self) -> "AnnotationCollection":
        """Upload the collection's annotations to its item; returns the created ones."""
        if self.item is None:
            raise ValueError("this collection has no item: build it with item.annotations.builder()")
        return self.item.annotations.upload(self.annotations)

    def delete(self) -> bool:
        for annotation in self.annotations:
            if annotation.id:
                annotation.delete()
        return True

    def to_json(self) -> dict:
        item = self.item
        return {"_id": getattr(item, "id", None), "filename": getattr(item, "filename", None),
                "annotations": [a.to_json() for a in self.annotations],
                "metadata": getattr(item, "metadata", None) or {}}

    @classmethod
    def from_json(cls, client, json_doc, item=None) -> "AnnotationCollection":
        entries = json_doc.get("annotations", []) if isinstance(json_doc, dict) else json_doc
        return cls(client, item, [Annotation(client, dict(e), item=item) for e in entries])

    # -- colours -----------------------------------------------------------------------------------
    def _labels(self) -> Tuple[Dict[str, tuple], Dict[str, int]]:
        if self._palette is None:
            colors, instances = {}, {}
            dataset = getattr(self.item, "dataset", None) if self.item is not None else None
            if dataset is not None:
                try:
                    colors = {tag: label.rgb for tag, label in dataset.labels_flat_dict.items() if label.rgb}
                    instances = dict(dataset.instance_map)
                except (ValueError, NotFound):  # no recipe/ontology: fall back to generated colours
                    pass
            self._palette = (colors, instances)
        return self._palette

    def colors(self) -> Dict[str, tuple]:
        return self._labels()[0]

    def _color(self, label: Optional[str]) -> Tuple[int, int, int]:
        return self.colors().get(label) or fallback_color(label)

    # -- rendering ---------------------------------------------------------------------------------
    def _shape(self, image, height, width) -> Tuple[int, int]:
        if image is not None:
            return image.shape[0], image.shape[1]
        height = height or getattr(self.item, "height", None)
        width = width or getattr(self.item, "width", None)
        if not height or not width:
            raise ValueError("height and width are needed to render annotations (the item has no size)")
        return int(height), int(width)

    def show(self, image=None, thickness: Optional[int] = None, with_text: bool = False, height=None, width=None,
             annotation_format=ViewAnnotationOptions.MASK, label_instance_dict: Optional[Dict[str, int]] = None,
             color=None, alpha: float = 1) -> np.ndarray:
        """Render as an RGBA mask, an instance/object-id map, or drawn over ``image`` (img_mask)."""
        from PIL import Image, ImageDraw
        fmt = ViewAnnotationOptions(getattr(annotation_format, "value", annotation_format))
        thickness = 1 if thickness is None else thickness
        height, width = self._shape(image, height, width)
        if fmt in (ViewAnnotationOptions.INSTANCE, ViewAnnotationOptions.OBJECT_ID):
            canvas = Image.new("L", (width, height), 0)
            instances = label_instance_dict or self._labels()[1] or {
                tag: i + 1 for i, tag in enumerate(sorted({a.label for a in self.annotations if a.label}))}
        elif fmt in (ViewAnnotationOptions.MASK, ViewAnnotationOptions.ANNOTATION_ON_IMAGE):
            canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        else:
            raise ValueError(f"annotation format {fmt.value!r} cannot be shown as an image")
        draw = ImageDraw.Draw(canvas)
        for annotation in self.annotations:
            if fmt == ViewAnnotationOptions.INSTANCE:
                fill = int(instances.get(annotation.label, 0))
            elif fmt == ViewAnnotationOptions.OBJECT_ID:
                fill = int(annotation.object_id) if str(annotation.object_id or "").isdigit() else 0
            else:
                fill = tuple(color or self._color(annotation.label))[:3] + (int(255 * alpha),)
            definition = annotation.annotation_definition
            definition.draw(draw, canvas, fill, thickness)
            if with_text and fmt != ViewAnnotationOptions.INSTANCE and len(definition.geo):
                draw.text((definition.left, definition.top), annotation.label or "", fill=fill)
        if fmt == ViewAnnotationOptions.ANNOTATION_ON_IMAGE:
            base = Image.fromarray(image).convert("RGBA") if image is not None else \
                Image.new("RGBA", (width, height), (0, 0, 0, 255))
            canvas = Image.alpha_composite(base, canvas)
        return np.array(canvas)

    def download(self, filepath: str, img_filepath: Optional[str] = None,
                 annotation_format=ViewAnnotationOptions.JSON, height=None, width=None, thickness: int = 1,
                 with_text: bool = False, orientation: int = 0, alpha: float = 1) -> str:
        """Write the annotations to ``filepath`` as JSON, a PNG rendering, or WebVTT subtitles."""
        from PIL import Image
        fmt = ViewAnnotationOptions(getattr(annotation_format, "value", annotation_format))
        os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
        if fmt == ViewAnnotationOptions.JSON:
            with open(filepath, "w", encoding="utf-8") as handle:
                json.dump(self.to_json(), handle, indent=2)
            return filepath
        if fmt == ViewAnnotationOptions.VTT:
            with open(filepath, "w", encoding="utf-8") as handle:
                handle.write(self._vtt())
            return filepath
        image = None
        if fmt == ViewAnnotationOptions.ANNOTATION_ON_IMAGE:
            if img_filepath is None:
                raise ValueError("img_mask rendering needs img_filepath (the item's image)")
            with Image.open(img_filepath) as source:
                image = np.array(source.convert("RGB"))
        array = self.show(image=image, thickness=thickness, with_text=with_text, height=height, width=width,
                          annotation_format=fmt, alpha=alpha)
        Image.fromarray(array).save(filepath, format="PNG")
        return filepath

    def _vtt(self) -> str:
        def stamp(seconds: float) -> str:
            millis = int(round((seconds or 0) * 1000))
            return f"{millis // 3600000:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"
        lines = ["WEBVTT", ""]
        for annotation in sorted(self.annotations, key=lambda a: a.start_time or 0):
            if annotation.type != "subtitle":
                continue
            lines += [f"{stamp(annotation.start_time)} --> {stamp(annotation.end_time)}",
                      (annotation.coordinates or {}).get("text", ""), ""]
        return "\n".join(lines)
