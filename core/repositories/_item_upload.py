"""``Items.upload``: expand what the caller passed into single-file jobs, run them on a thread pool (wire §4)."""
from __future__ import annotations

import io
import json
import logging
import os
import posixpath
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from .. import _transfer
from ..entities.item import ExportMetadata, Item, Link
from ..exceptions import PlatformException

logger = logging.getLogger("dataloop_core.items.upload")
UPLOAD_WORKERS = 8
ATTEMPTS = 3


@dataclass
class UploadJob:
    source: Any                      # a local path, bytes or a binary file object
    remote_path: str                 # full remote path incl. file name
    annotations_path: Optional[str] = None
    metadata: Optional[dict] = None
    description: Optional[str] = None


def _remote_folder(remote_path: Optional[str]) -> str:
    folder = "/" + (remote_path or "/").strip("/")
    return folder if folder == "/" else folder + "/"


def _annotation_file(root: Optional[str], relative: str, export_version: str) -> Optional[str]:
    """``<root>/<rel>.json`` (V1: without the file's extension; V2: with it)."""
    if root is None:
        return None
    if os.path.isfile(root):
        return root
    stem = relative if str(export_version).upper().endswith("V2") else os.path.splitext(relative)[0]
    candidate = os.path.join(root, stem + ".json")
    return candidate if os.path.isfile(candidate) else None


def _walk(folder: str, remote_folder: str, file_types, annotations_root, export_version, metadata,
          description) -> List[UploadJob]:
    drop_head = folder.endswith("*")
    folder = folder.rstrip("*").rstrip("/\\") or "/"
    base = remote_folder if drop_head else remote_folder + os.path.basename(os.path.abspath(folder)) + "/"
    types = tuple(t.lower() if t.startswith(".") else "." + t.lower() for t in file_types or [])
    jobs = []
    for directory, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if types and not name.lower().endswith(types):
                continue
            local = os.path.join(directory, name)
            relative = os.path.relpath(local, folder).replace(os.sep, "/")
            jobs.append(UploadJob(local, base + relative, _annotation_file(annotations_root, relative, export_version),
                                  metadata, description))
    return jobs


def _encode_array(array, remote_name: Optional[str]) -> bytes:
    if not remote_name or not remote_name.lower().endswith((".png", ".jpg", ".jpeg")):
        raise ValueError("uploading a numpy array needs remote_name ending with .png, .jpg or .jpeg")
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG" if remote_name.lower().endswith(".png") else "JPEG")
    return buffer.getvalue()


def _fetch_url(url: str) -> str:
    """A URL's content in a temp file (no auth header; the URL is a third-party location)."""
    handle, temp = tempfile.mkstemp(prefix="dl-url-")
    with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=120) as response:
        shutil.copyfileobj(response, out, 1 << 20)
    return temp


def _expand(element, remote_folder: str, remote_name: Optional[str], file_types, annotations, export_version,
            metadata, description, temp_files: List[str]) -> List[UploadJob]:
    def job(source, default_name):
        name = (remote_name or default_name or "").lstrip("/")
        if not name:
            raise ValueError(f"cannot name the upload of a {type(element).__name__}: pass remote_name")
        return [UploadJob(source, remote_folder + name, _annotation_file(annotations, name, export_version),
                          metadata, description)]

    if isinstance(element, Item):
        from ..entities.item import ItemLink
        element = ItemLink(item=element)
    if isinstance(element, Link):
        return job(json.dumps(element.to_json()).encode("utf-8"), element.name + "_link.json")
    if isinstance(element, (bytes, bytearray)):
        return job(bytes(element), None)
    if hasattr(element, "read"):
        return job(element, os.path.basename(str(getattr(element, "name", "") or "")))
    if type(element).__module__ == "numpy":
        return job(_encode_array(element, remote_name), remote_name)
    if isinstance(element, (str, os.PathLike)):
        text = os.fspath(element)
        if text.lower().startswith(("http://", "https://")) and not os.path.exists(text):
            temp = _fetch_url(text)
            temp_files.append(temp)
            return job(temp, posixpath.basename(urllib.parse.urlparse(text).path))
        if os.path.isdir(text.rstrip("*")) and (text.endswith("*") or os.path.isdir(text)):
            return _walk(text, remote_folder, file_types, annotations, export_version, metadata, description)
        if os.path.isfile(text):
            name = remote_name or os.path.basename(text)
            return [UploadJob(text, remote_folder + name.lstrip("/"),
                              annotations if annotations and os.path.isfile(annotations) else None,
                              metadata, description)]
        raise ValueError(f"nothing to upload at {text!r}: not a file, folder or http(s) URL")
    raise ValueError(f"cannot upload a {type(element).__name__}")


def build_jobs(local_path, local_annotations_path, remote_path, remote_name, file_types, item_metadata,
               export_version, item_description, temp_files: List[str]) -> List[UploadJob]:
    remote_folder = _remote_folder(remote_path)
    metadata = None if item_metadata == ExportMetadata.FROM_JSON else item_metadata
    if isinstance(local_path, (list, tuple)):
        count = len(local_path)
        names = remote_name if isinstance(remote_name, list) else [remote_name] * count
        annotations = (local_annotations_path if isinstance(local_annotations_path, list)
                       else [local_annotations_path] * count)
        if len(names) != count or len(annotations) != count:
            raise ValueError("remote_name and local_annotations_path lists must match local_path in length")
        elements = list(zip(local_path, names, annotations))
    else:
        elements = [(local_path, remote_name, local_annotations_path)]
    jobs = []
    for element, name, annotations in elements:
        jobs.extend(_expand(element, remote_folder, name, file_types, annotations, export_version, metadata,
                            item_description, temp_files))
    if item_metadata == ExportMetadata.FROM_JSON:
        for job in jobs:
            job.metadata = _json_metadata(job.annotations_path)
    return jobs


def _json_metadata(annotations_path: Optional[str]) -> Optional[dict]:
    if annotations_path is None:
        return None
    with open(annotations_path, encoding="utf-8") as handle:
        return json.load(handle).get("metadata")


def _upload_job(items, job: UploadJob, mode: str) -> Tuple[Item, str]:
    """Upload one job (retrying transient failures) and its annotations; ``(item, op)``."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            item_json, op = _transfer.upload_one(items._transport, items.dataset_id, job.source, job.remote_path,
                                                 mode=mode, item_metadata=job.metadata,
                                                 item_description=job.description)
            break
        except PlatformException as exc:
            if not _transfer.is_transient(exc) or attempt == ATTEMPTS:
                raise
            logger.info("upload of %s failed (%s), attempt %d", job.remote_path, exc.status_code, attempt)
            time.sleep(0.3 * 2 ** (attempt - 1))
    item = items._build(item_json)
    if job.annotations_path and op in ("created", "overwrite"):
        with open(job.annotations_path, encoding="utf-8") as handle:
            annotations = json.load(handle).get("annotations") or []
        if annotations:
            item.annotations.upload(annotations)
    return item, op


def upload(items, local_path, local_annotations_path, remote_path, remote_name, file_types, overwrite,
           item_metadata, output_entity, no_output, export_version, item_description, raise_on_error,
           return_as_list):
    if local_path is None:
        raise ValueError("local_path is required")
    temp_files: List[str] = []
    try:
        jobs = build_jobs(local_path, local_annotations_path, remote_path, remote_name, file_types, item_metadata,
                          export_version, item_description, temp_files)
        mode = "overwrite" if overwrite else "skip"
        errors = []

        def run(job):
            try:
                return _upload_job(items, job, mode)
            except Exception as exc:  # collected: one bad file must not stop the others
                name = _transfer.printable(job.remote_path)
                logger.warning("upload of %s failed: %s", name, exc)
                errors.append(f"{name}: {exc}")
                return None, "failed"

        with ThreadPoolExecutor(min(UPLOAD_WORKERS, max(1, len(jobs)))) as pool:
            outcomes = list(pool.map(run, jobs))
        results = [item for item, _ in outcomes if item is not None]
        skipped = sum(op == "skip" for _, op in outcomes)
        logger.info("upload: %d uploaded, %d skipped (names exist, overwrite=False), %d failed",
                    len(results) - skipped, skipped, len(errors))
    finally:
        for temp in temp_files:
            os.remove(temp)
    if errors and raise_on_error:
        raise PlatformException("400", f"Errors in {len(errors)} files. Errors: {errors[:20]}")
    if output_entity is not Item and output_entity is not None:
        results = [output_entity(items._client, r.to_json(), **r._context) for r in results]
    if no_output:
        return None
    if return_as_list:
        return results
    if not results:
        return None
    if len(jobs) == 1:
        return results[0]
    return (r for r in results)
