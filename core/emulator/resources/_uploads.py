"""``POST /datasets/{id}/items``: streamed multipart uploads (chunked too), folder creation, link items (wire §4)."""
from __future__ import annotations

import json
import mimetypes
import os
import posixpath
from typing import Optional, Tuple

from ..errors import BadRequest
from ..store import deep_merge
from . import _item_docs as docs
from ._multipart import HEAD_BYTES, FilePart, boundary_of, read_form

LINK_SNIFF_LIMIT = 64 * 1024
MAX_FIELD_BYTES = 10 * 1024 * 1024
_MAGIC = [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
          (b"BM", "image/bmp"), (b"%PDF", "application/pdf"), (b"\x1aE\xdf\xa3", "video/webm")]


def upload(ctx, dataset_id):
    dataset = docs.get_dataset(ctx, dataset_id)
    mode = ctx.args.get("mode", "skip")
    if mode not in ("skip", "overwrite"):
        raise BadRequest(f"unknown upload mode {mode!r}; expected 'skip' or 'overwrite'")
    mimetype = ctx.request.mimetype
    if mimetype != "multipart/form-data":
        fields = ctx.json_object() if mimetype == "application/json" else ctx.request.form
        if fields.get("type") != "dir":
            raise BadRequest("expected multipart/form-data with a 'file' part, or type=dir to create a folder")
        return make_dir(ctx, dataset, fields.get("path"))
    temp_paths = []

    def new_file():
        handle, name = ctx.blobs.temp_file()
        temp_paths.append(name)
        return handle, name
    try:
        form = read_form(ctx.request.stream, boundary_of(ctx.request.content_type), new_file, MAX_FIELD_BYTES)
        if form.fields.get("type") == "dir":
            return make_dir(ctx, dataset, form.fields.get("path"))
        part = form.file("file")
        if part is None:
            raise BadRequest("multipart body has no 'file' part")
        filename = docs.clean_path(form.fields.get("path") or "/" + part.filename, "path")
        doc, op = _store_file(ctx, dataset, filename, part, mode, form.fields)
    finally:
        for name in temp_paths:
            try:
                os.remove(name)
            except FileNotFoundError:
                pass
    if op != "skip":
        ctx.emulator.events.emit("Item", "Created" if op == "created" else "Updated", doc)
    return doc, 200, {"x-item-op": op}


def make_dir(ctx, dataset: dict, raw_path):
    filename = docs.clean_path(raw_path, "path")
    with ctx.store.transaction():
        existing = docs.find_by_filename(ctx, dataset["id"], filename)
        if existing is not None and existing.get("type") != "dir":
            raise BadRequest(f"cannot create folder {filename!r}: a file with that path exists")
        created = docs.ensure_dirs(ctx, dataset, filename)
        doc = docs.find_by_filename(ctx, dataset["id"], filename, "dir")
    for new in created:
        ctx.emulator.events.emit("Item", "Created", new)
    return doc, 200, {"x-item-op": "created" if created else "skip"}


def _store_file(ctx, dataset: dict, filename: str, part: FilePart, mode: str, fields: dict) -> Tuple[dict, str]:
    system = describe_binary(part.path, filename, part.content_type, part.size, part.head)
    user_meta = _parse_metadata(fields.get("metadata"))
    description = fields.get("description")
    with ctx.blobs.committing(ctx.store) as stage:  # the record commits first, then the bytes move in
        existing = docs.find_by_filename(ctx, dataset["id"], filename)
        if existing is not None and existing.get("type") == "dir":
            raise BadRequest(f"cannot upload {filename!r}: a folder with that path exists")
        if existing is not None and mode == "skip":
            return existing, "skip"
        if existing is not None:  # overwrite: same id, new binary, old annotations dropped
            doc = existing
            docs.delete_annotations_of(ctx, dataset["id"], [doc["id"]])
            doc["metadata"] = deep_merge(user_meta, {"system": system}) if user_meta else \
                deep_merge(doc.get("metadata") or {}, {"system": system})
            doc.update(annotated=False, annotationsCount=0, updatedBy=ctx.user)
            if description is not None:
                doc["description"] = description
            ctx.store.replace("item", doc)
            op = "overwrite"
        else:
            docs.ensure_dirs(ctx, dataset, posixpath.dirname(filename))
            doc = docs.new_doc(ctx, dataset, filename, "file")
            doc["metadata"] = deep_merge(user_meta, {"system": system})
            doc["description"] = description
            ctx.store.insert("item", doc, scope=dataset["id"])
            op = "created"
        stage(part.path, doc["id"])
    return doc, op


def _parse_metadata(raw) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise BadRequest(f"metadata must be a JSON object string, got {raw[:100]!r}") from None
    if not isinstance(value, dict):
        raise BadRequest("metadata must be a JSON object")
    value.pop("system", None)
    return value


def describe_binary(temp_path: str, filename: str, part_type: Optional[str], size: Optional[int] = None,
                    head: Optional[bytes] = None) -> dict:
    """System metadata of a stored binary: exact size, mimetype, image size, link info.

    ``size`` and ``head`` (its first bytes) are read from the file unless the caller already knows them.
    """
    if size is None:
        size = os.path.getsize(temp_path)
    if head is None:
        with open(temp_path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    mimetype = mimetypes.guess_type(filename)[0] or _sniff(head) or (
        part_type if part_type and part_type != "application/octet-stream" else None) or "application/octet-stream"
    system = {"originalname": posixpath.basename(filename), "size": size, "encoding": "7bit",
              "mimetype": mimetype, "refs": []}
    if mimetype.startswith("image/"):
        system.update(_image_size(temp_path))
    elif mimetype == "application/json" and size <= LINK_SNIFF_LIMIT:
        link = _link_info(temp_path)
        if link is not None:
            system["shebang"] = {"dltype": "link", "linkInfo": link}
            if link.get("mimetype"):
                system["mimetype"] = link["mimetype"]
    return system


def _sniff(head: bytes) -> Optional[str]:
    for magic, mimetype in _MAGIC:
        if head.startswith(magic):
            return mimetype
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _image_size(temp_path: str) -> dict:
    try:
        from PIL import Image
        with Image.open(temp_path) as image:  # lazy: reads the header only
            width, height = image.size
        return {"width": width, "height": height}
    except Exception:  # not decodable: no dimensions, still a valid item
        return {}


def _link_info(temp_path: str) -> Optional[dict]:
    try:
        with open(temp_path, "rb") as handle:
            content = json.loads(handle.read())
    except ValueError:
        return None
    if not isinstance(content, dict) or content.get("shebang") != "dataloop":
        return None
    metadata = content.get("metadata") or {}
    link = metadata.get("linkInfo")
    if metadata.get("dltype") != "link" or not isinstance(link, dict):
        return None
    return link
