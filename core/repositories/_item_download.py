"""``Items.download``: binaries to disk (or memory), plus locally rendered annotations (wire §5.1, §5.2, §5.6)."""
from __future__ import annotations

import copy

import logging
import os
import shutil
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from .._enums import coerce
from .. import _transfer
from ..entities.item import Item
from ..filters import Filters, FiltersOperations, FiltersResource, as_filters

logger = logging.getLogger("dataloop_core.items.download")
DOWNLOAD_WORKERS = 8


def _resolve_items(items_repo, items, filters, file_types) -> List[Item]:
    if items is not None:
        listed = items if isinstance(items, (list, tuple)) else [items]
        resolved = [i if isinstance(i, Item) else items_repo.get(item_id=i) for i in listed]
    else:
        filters = copy.deepcopy(as_filters(filters, FiltersResource.ITEM)) if filters is not None else Filters()
        if file_types:
            filters.add("metadata.system.mimetype", list(file_types), operator=FiltersOperations.IN)
        resolved = list(items_repo.list(filters=filters).all())
    if items is not None and file_types:
        resolved = [i for i in resolved if i.mimetype in file_types]
    return [i for i in resolved if not i.is_dir]


def _default_root(items_repo) -> str:
    dataset = items_repo.dataset
    projects = os.path.join(os.path.expanduser("~"), ".dataloop", "projects")
    return _transfer.safe_join(projects, f"/{dataset.project.name}/datasets/{dataset.name}")


def _target(local_path: str, item: Item, single: bool, to_items_folder: bool, without_relative_path) -> str:
    if single and os.path.splitext(local_path)[1] and not os.path.isdir(local_path):
        return local_path  # local_path names the file itself
    root = os.path.join(local_path, "items") if to_items_folder else local_path
    if without_relative_path is not None:
        return _transfer.safe_join(root, item.name)
    return _transfer.safe_join(root, item.filename)


def _link_ref(item: Item) -> Optional[str]:
    link = item.system.get("shebang", {}).get("linkInfo") or {}
    return link.get("ref") if link.get("type") == "url" else None


def _fetch_link(ref: str, target: str, overwrite: bool) -> str:
    target += os.path.splitext(ref.split("?")[0])[1]
    if os.path.exists(target) and not overwrite:
        return target
    part = _transfer.part_path(target)
    try:
        with urllib.request.urlopen(ref, timeout=120) as response, _transfer.open_part(part) as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except BaseException:  # nothing resumes a link download: leave no part file behind
        _transfer.finish_part(part, None)
        raise
    _transfer.finish_part(part, target)
    return target


def _in_memory(items_repo, item: Item, to_array: bool):
    buffer = _transfer.download_bytes(items_repo._transport, item.to_json())
    if not to_array:
        return buffer
    if not (item.mimetype or "").startswith("image/"):
        raise ValueError(f"to_array works for images only; {item.filename} is {item.mimetype}")
    import numpy as np
    from PIL import Image
    return np.array(Image.open(buffer))


def download(items_repo, filters=None, items=None, local_path=None, file_types=None, save_locally=True,
             to_array=False, annotation_options=None, annotation_filters=None, overwrite=False,
             to_items_folder=True, thickness=1, with_text=False, without_relative_path=None, alpha=1,
             export_version="V1"):
    if items is not None and filters is not None:
        raise ValueError("pass filters or items, not both")
    if to_array and save_locally:
        save_locally = False
    targets = _resolve_items(items_repo, items, filters, file_types)
    options = _options(annotation_options)
    if local_path is None and (save_locally or options):
        local_path = _default_root(items_repo)
    single = len(targets) == 1

    def fetch(item: Item):
        if not save_locally:
            return _in_memory(items_repo, item, to_array)
        target = _target(local_path, item, single, to_items_folder, without_relative_path)
        ref = _link_ref(item)
        if ref is not None:
            result = _fetch_link(ref, target, overwrite)
        else:
            result = _transfer.download_one(items_repo._transport, item.to_json(), target, overwrite=overwrite)
        if options:
            _render(item, options, local_path if os.path.isdir(local_path) or not single else
                    os.path.dirname(local_path), result, annotation_filters, overwrite, thickness, with_text, alpha)
        return result

    with ThreadPoolExecutor(min(DOWNLOAD_WORKERS, max(1, len(targets)))) as pool:
        results = list(pool.map(fetch, targets))
    if len(results) <= 1:
        return results[0] if results else None
    return (r for r in results)


def _options(annotation_options) -> list:
    from ..entities.annotation import ViewAnnotationOptions
    if annotation_options is None:
        return []
    listed = annotation_options if isinstance(annotation_options, (list, tuple)) else [annotation_options]
    return [coerce(ViewAnnotationOptions, o, "annotation option") for o in listed]


def _render(item: Item, options: list, root: str, image_path: str, annotation_filters, overwrite: bool,
            thickness: int, with_text: bool, alpha: float) -> None:
    from ..entities.annotation import ViewAnnotationOptions
    collection = item.annotations.list(filters=annotation_filters)
    stem = os.path.splitext(item.filename.lstrip("/"))[0]
    for option in options:
        extension = {ViewAnnotationOptions.JSON: ".json", ViewAnnotationOptions.VTT: ".vtt"}.get(option, ".png")
        target = _transfer.safe_join(os.path.join(root, option.value), "/" + stem + extension)
        if os.path.exists(target) and not overwrite:
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        collection.download(filepath=target, img_filepath=image_path, annotation_format=option,
                            height=item.height, width=item.width, thickness=thickness, with_text=with_text,
                            alpha=alpha)

