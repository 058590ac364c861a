"""Consensus and qualification tasks (wire §3.10): the platform copies items so that several annotators label each.

A task whose ``metadata.system.consensusTaskType`` is ``consensus`` or ``qualification`` gets a consensus
assignment holding the originals of its consensus items (``metadata.system.consensusAssignmentId``; the SDK's
``get_items`` leaves it out unless asked for consensus items). Each consensus item is copied once per annotator
(``consensusAssignees`` of them; qualification: every assignee) into the hidden folder
``/.dataloop/consensus/<taskId>/<n>/`` with ``srcItem`` = the original's id, and each copy goes to a different
annotator. ``consensusPercentage`` of the items (qualification: all), in id order, are consensus items; the
rest are split by the workload as in any task. Deleting the task deletes the copies.
"""
from __future__ import annotations

import copy
import posixpath
from typing import List, Optional, Tuple

from ..errors import BadRequest
from . import _item_docs as docs

COPYING = ("consensus", "qualification")


def consensus_id(task: dict) -> Optional[str]:
    return ((task.get("metadata") or {}).get("system") or {}).get("consensusAssignmentId")


def folder(task_id: str) -> str:
    return f"{docs.SYSTEM_FOLDER}consensus/{task_id}"


def plan(task: dict, workload: List[dict]) -> Optional[Tuple[int, int]]:
    """``(percentage, copies per item)`` for a copying task, ``None`` for any other; 400 naming a bad value."""
    system = task["metadata"]["system"]
    kind = system.get("consensusTaskType")
    if kind is None and ("consensusPercentage" in system or "consensusAssignees" in system):
        kind = "consensus"  # what the SDK sends for tasks.create(consensus_percentage=..., consensus_assignees=...)
    if kind not in COPYING:
        return None
    if not workload:
        raise BadRequest(f"a {kind} task needs assignees: pass a workload")
    percentage = 100 if kind == "qualification" else system.get("consensusPercentage", 100)
    copies = len(workload) if kind == "qualification" else system.get("consensusAssignees", len(workload))
    if isinstance(percentage, bool) or not isinstance(percentage, (int, float)) or not 0 <= percentage <= 100:
        raise BadRequest(f"metadata.system.consensusPercentage must be a number from 0 to 100, got {percentage!r}")
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= len(workload):
        raise BadRequest(f"metadata.system.consensusAssignees must be an integer from 1 to the number of "
                         f"assignees ({len(workload)}), got {copies!r}")
    return percentage, copies


def split(items: List[dict], percentage: float) -> Tuple[List[dict], List[dict]]:
    """(consensus items, the rest)."""
    count = round(len(items) * percentage / 100)
    return items[:count], items[count:]


def copy_for(ctx, dataset: dict, task_id: str, original: dict, index: int) -> dict:
    """Insert the ``index``-th copy of ``original`` (binary, metadata without refs; no annotations)."""
    from .dataset_commands import copy_blob
    filename = f"{folder(task_id)}/{index}{original['filename']}"
    docs.ensure_dirs(ctx, dataset, posixpath.dirname(filename))
    doc = docs.new_doc(ctx, dataset, filename, "file")
    metadata = copy.deepcopy(original.get("metadata") or {})
    metadata.setdefault("system", {}).pop("taskStatusLog", None)
    metadata["system"]["refs"] = []
    doc.update(metadata=metadata, description=original.get("description"), srcItem=original["id"])
    if ctx.blobs.exists(original["id"]):
        copy_blob(ctx, original["id"], doc["id"])
    return ctx.store.insert("item", doc, scope=dataset["id"])


def drop_copies(ctx, task: dict) -> List[dict]:
    """Delete the task's copies (inside the caller's transaction); their binaries go after commit."""
    root = docs.find_by_filename(ctx, task["datasetId"], folder(task["id"]))
    return docs.delete_items(ctx, task["datasetId"], [root]) if root else []
