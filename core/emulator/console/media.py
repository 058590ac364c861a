"""Item images and thumbnails for the console pages (image items only: anything else is never served here, so a
stored HTML or SVG file cannot run in the console's origin)."""
from __future__ import annotations

import functools
import io
import os
from typing import Optional, Tuple

from PIL import Image, UnidentifiedImageError
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from ..errors import NotFound
from . import lookup

# raster formats a browser shows in an <img>; SVG is left out on purpose (it can carry script)
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}
THUMBNAIL_SIZE = (256, 256)
MEDIA_HEADERS = {"Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff",
                 "Cache-Control": "private, max-age=3600"}


def mimetype(item: dict) -> str:
    return ((item.get("metadata") or {}).get("system") or {}).get("mimetype") or ""


def is_image(ctx, item: dict) -> bool:
    return mimetype(item) in IMAGE_TYPES and ctx.blobs.exists(item["id"])


def visible_item(ctx, item_id: str) -> dict:
    """An item of a project the caller is a member of."""
    item = lookup.entity(ctx, "item", item_id)
    lookup.project(ctx, item.get("projectId") or "")
    return item


def image_size(ctx, item: dict) -> Optional[Tuple[int, int]]:
    """``(width, height)`` of an image item: from its metadata, else read from the file's header."""
    system = (item.get("metadata") or {}).get("system") or {}
    if isinstance(system.get("width"), int) and isinstance(system.get("height"), int):
        return system["width"], system["height"]
    if not is_image(ctx, item):
        return None
    try:
        with Image.open(ctx.blobs.path(item["id"])) as image:
            return image.size
    except (OSError, UnidentifiedImageError):
        return None


def item_image(ctx, item_id):
    """``GET /console/media/items/<id>``: the binary of an image item."""
    item = visible_item(ctx, item_id)
    if not is_image(ctx, item):
        raise NotFound(f"Item has no image to show: {item_id}")
    response = send_file(ctx.blobs.path(item_id), ctx.request.environ, mimetype=mimetype(item), conditional=True,
                         etag=False)
    response.headers.update(MEDIA_HEADERS)
    return response


def item_thumbnail(ctx, item_id):
    """``GET /console/media/items/<id>/thumbnail``: a small JPEG of an image item."""
    item = visible_item(ctx, item_id)
    if not is_image(ctx, item):
        raise NotFound(f"Item has no image to show: {item_id}")
    path = ctx.blobs.path(item_id)
    body = _thumbnail(path, os.stat(path).st_mtime_ns)
    if body is None:
        raise NotFound(f"Item's file is not a readable image: {item_id}")
    return Response(body, mimetype="image/jpeg", headers=MEDIA_HEADERS)


@functools.lru_cache(maxsize=1024)
def _thumbnail(path: str, mtime_ns: int) -> Optional[bytes]:
    """JPEG bytes of a thumbnail (cached per file version), or ``None`` for a file Pillow cannot read."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced scale
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
