"""``POST /datasets/{id}/items``: streamed multipart uploads (chunked too), folder creation, link items (wire §4)."""
from __future__ import annotations

import json
import mimetypes
import os
import posixpath
from typing import Optional, Tuple

from werkzeug.formparser import parse_form_data

from ..errors import BadRequest
from ..store import deep_merge
from . import _item_docs as docs

LINK_SNIFF_LIMIT = 64 * 1024
_MAGIC = [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
          (b"BM", "image/bmp"), (b"%PDF", "application/pdf"), (b"\x1aE\xdf\xa3", "video/webm")]


class _SpoolToBlob:
    """werkzeug stream factory: the file part goes straight to a temp file in the blob store."""

    def __init__(self, blobs):
        self.blobs = blobs
        self.paths = []
        self._by_handle = {}

    def __call__(self, total_content_length=None, content_type=None, filename=None, content_length=None):
        handle, name = self.blobs.temp_file()
        self.paths.append(name)
        self._by_handle[id(handle)] = name
        return handle

    def path_of(self, handle) -> str:
        return self._by_handle[id(handle)]

    def cleanup(self) -> None:
        for name in self.paths:
            try:
                os.remove(name)
            except FileNotFoundError:
                pass


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
    factory = _SpoolToBlob(ctx.blobs)
    try:
        _, form, files = parse_form_data(ctx.request.environ, stream_factory=factory,
                                         max_form_memory_size=10 * 1024 * 1024)
        if form.get("type") == "dir":
            return make_dir(ctx, dataset, form.get("path"))
        part = files.get("file")
        if part is None:
            raise BadRequest("multipart body has no 'file' part")
        temp_path = factory.path_of(part.stream)
        part.stream.close()  # the factory's temp file, fully written
        filename = docs.clean_path(form.get("path") or "/" + (part.filename or ""), "path")
        doc, op = _store_file(ctx, dataset, filename, temp_path, mode, form, part.content_type)
    finally:
        factory.cleanup()
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


def _store_file(ctx, dataset: dict, filename: str, temp_path: str, mode: str, form,
                part_type: Optional[str]) -> Tuple[dict, str]:
    system = _describe(temp_path, filename, part_type)
    user_meta = _parse_metadata(form.get("metadata"))
    description = form.get("description")
    with ctx.store.transaction():
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
        ctx.blobs.commit(temp_path, doc["id"])
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


def _describe(temp_path: str, filename: str, part_type: Optional[str]) -> dict:
    """System metadata of an uploaded binary: exact size, mimetype, image size, link info."""
    size = os.path.getsize(temp_path)
    with open(temp_path, "rb") as handle:
        head = handle.read(16)
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
