"""Local rendering for ``Datasets.download_annotations`` (wire §5.6): the exported per-item JSONs under
``<local_path>/json`` become ``<local_path>/<option>/<remote path>.png`` (``.vtt`` for subtitles)."""
from __future__ import annotations

import copy
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from .._transfer import download_one, safe_join
from ..entities.annotation import ViewAnnotationOptions
from ..entities.annotation_collection import AnnotationCollection
from ..entities.dataset import ExportVersion
from ..filters import Filters

RENDER_WORKERS = 8


def parse_options(annotation_options) -> List[ViewAnnotationOptions]:
    """The requested options as enums (``ValueError`` naming the allowed ones for unknown values)."""
    listed = annotation_options if isinstance(annotation_options, (list, tuple)) else [annotation_options]
    result = []
    for option in listed:
        if option is None:
            continue
        try:
            result.append(ViewAnnotationOptions(getattr(option, "value", option)))
        except ValueError:
            allowed = ", ".join(o.value for o in ViewAnnotationOptions)
            raise ValueError(f"unknown annotation option {option!r}; choose from {allowed}") from None
    return result


def _relative(filename: str, version: ExportVersion) -> str:
    relative = filename.lstrip("/")
    return relative if version == ExportVersion.V2 else os.path.splitext(relative)[0]


def render(dataset, local_path: str, filters: Optional[Filters], options: List[ViewAnnotationOptions],
           overwrite: bool, thickness: int, with_text: bool, alpha: Optional[float], version: ExportVersion) -> None:
    """Render every matching item's exported annotations in each non-JSON option."""
    options = [o for o in options if o != ViewAnnotationOptions.JSON]
    if not options:
        return
    items = list(dataset.items.list(filters=copy.deepcopy(filters) if filters is not None else None).all())
    client = dataset.client

    def render_item(item) -> None:
        relative = _relative(item.filename, version)
        json_path = safe_join(os.path.join(local_path, "json"), "/" + relative + ".json")
        annotations = []
        if os.path.isfile(json_path):
            with open(json_path, encoding="utf-8") as handle:
                annotations = (json.load(handle) or {}).get("annotations") or []
        collection = AnnotationCollection.from_json(client, annotations, item=item)
        with tempfile.TemporaryDirectory() as scratch:
            image = None
            for option in options:
                extension = ".vtt" if option == ViewAnnotationOptions.VTT else ".png"
                target = safe_join(os.path.join(local_path, option.value), "/" + relative + extension)
                if os.path.exists(target) and not overwrite:
                    continue
                if option == ViewAnnotationOptions.ANNOTATION_ON_IMAGE and image is None:
                    image = download_one(client.transport, item.to_json(), os.path.join(scratch, "image" + os.path.splitext(os.path.basename(item.name or ""))[1]))
                collection.download(filepath=target, img_filepath=image, annotation_format=option,
                                    height=item.height, width=item.width, thickness=thickness,
                                    with_text=with_text, alpha=1 if alpha is None else alpha)

    with ThreadPoolExecutor(min(RENDER_WORKERS, max(1, len(items)))) as pool:
        list(pool.map(render_item, items))
