"""Planning: walk the local tree (streamed), compare each file with the journal and the remote listing, and
write the work list into the journal's ``plan`` table. Unchanged files cost a ``stat`` and two indexed lookups.

Change detection (like rsync/rclone): a file whose size and mtime equal the journal's and whose remote copy
still carries the journaled hash (or item id, when the server keeps no hash) is unchanged. Otherwise, when sizes
match and a remote hash is known, the worker hashes the local file and transfers only if the hashes differ
(action ``verify``); ``checksum=True`` forces that comparison for every file.
"""
from __future__ import annotations

import logging
import os
import stat as stat_module
from typing import Callable, Iterator, NamedTuple, Optional, Set, Tuple

from .._transfer import STAGING_DIR, is_utf8, printable, safe_join
from .journal import Entry, Journal, RemoteFile
from .sharding import Shard, in_shard

logger = logging.getLogger("dataloop_core.sync")
BATCH = 1000
OnError = Callable[[str, str], None]


class LocalFile(NamedTuple):
    rel: str
    path: str
    size: int
    mtime_ns: int


def scan(root: str, follow_symlinks: bool = False, on_error: Optional[OnError] = None) -> Iterator[LocalFile]:
    """Every regular file below ``root`` with its path relative to it (``/``-separated), streamed.

    Symlinks are skipped unless ``follow_symlinks``; followed directory links that lead back to a directory
    already on the current path (a loop) are skipped, and so are staging folders of partial downloads.
    Unreadable directories and names that are not valid UTF-8 go to ``on_error`` (named, escaped).
    """
    root = os.path.abspath(root)
    start = os.stat(root)
    yield from _walk(root, "", follow_symlinks, {(start.st_dev, start.st_ino)}, on_error)


def _walk(directory: str, prefix: str, follow: bool, ancestors: Set[Tuple[int, int]],
          on_error: Optional[OnError]) -> Iterator[LocalFile]:
    try:
        entries = os.scandir(directory)
    except OSError as exc:
        if on_error:
            on_error(prefix or ".", f"cannot list folder: {exc.strerror or exc}")
        return
    with entries:
        yield from _entries(entries, prefix, follow, ancestors, on_error)


def _entries(entries, prefix: str, follow: bool, ancestors: Set[Tuple[int, int]],
             on_error: Optional[OnError]) -> Iterator[LocalFile]:
    for entry in entries:
        rel = prefix + entry.name
        if not is_utf8(entry.name):
            if on_error:
                on_error(printable(rel), "name is not valid UTF-8, so it cannot be an item name (rename it)")
            continue
        if entry.is_symlink() and not follow:
            logger.debug("skipping symlink %s (follow_symlinks=False)", rel)
            continue
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError as exc:
            if on_error:
                on_error(rel, f"cannot stat: {exc.strerror or exc}")
            continue
        if stat_module.S_ISDIR(info.st_mode):
            if entry.name == STAGING_DIR:  # partial downloads, never synced
                continue
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                logger.warning("skipping %s: symlink loop", rel)
                continue
            yield from _walk(entry.path, rel + "/", follow, ancestors | {key}, on_error)
        elif stat_module.S_ISREG(info.st_mode):
            yield LocalFile(rel, entry.path, info.st_size, info.st_mtime_ns)


def _same(entry: Optional[Entry], size: int, mtime_ns: int, remote: RemoteFile) -> bool:
    if entry is None or entry.size != size or entry.mtime_ns != mtime_ns or entry.hash is None:
        return False
    return remote.hash == entry.hash if remote.hash else remote.item_id == entry.item_id


def _decide(size: int, entry: Optional[Entry], mtime_ns: int, remote: Optional[RemoteFile],
            checksum: bool) -> Optional[str]:
    """The reason to transfer (``new``, ``changed``, ``verify``, ``unverifiable``) or ``None`` to skip."""
    if remote is None:
        return "new"
    if remote.size != size:
        return "changed"
    if not checksum and _same(entry, size, mtime_ns, remote):
        return None
    return "verify" if remote.hash else "unverifiable"


def plan_push(journal: Journal, files: Iterator[LocalFile], shard: Optional[Shard], checksum: bool) -> int:
    """Fill the plan with uploads; mark seen remote paths. Returns the number of files skipped unchanged."""
    skipped, rows, seen = 0, [], []
    for local in files:
        if not in_shard(local.rel, shard):
            continue
        remote = journal.remote(local.rel)
        if remote is not None:
            seen.append(local.rel)
        reason = _decide(local.size, journal.get(local.rel), local.mtime_ns, remote, checksum)
        if reason is None:
            skipped += 1
        else:
            rows.append((local.rel, "upload", reason, local.size, remote and remote.item_id,
                         remote and remote.hash, None))
        if len(rows) >= BATCH or len(seen) >= BATCH:
            journal.add_plan(rows)
            journal.mark_seen(seen)
            rows, seen = [], []
    journal.add_plan(rows)
    journal.mark_seen(seen)
    return skipped


def plan_pull(journal: Journal, local_dir: str, checksum: bool, on_error: OnError) -> int:
    """Fill the plan with downloads of the listed remote files; returns the number skipped unchanged."""
    skipped, rows = 0, []
    for remote in journal.iter_remote():
        try:
            target = safe_join(local_dir, remote.rel)
        except ValueError as exc:
            on_error(remote.rel, str(exc))
            continue
        try:
            info = os.stat(target)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            on_error(remote.rel, f"cannot stat local target: {exc.strerror or exc}")
            continue
        if info is not None and not stat_module.S_ISREG(info.st_mode):
            on_error(remote.rel, "a folder or special file is in the way")
            continue
        if info is None:
            reason = "new"
        else:
            reason = _decide(info.st_size, journal.get(remote.rel), info.st_mtime_ns, remote, checksum)
            if reason == "unverifiable":
                reason = "changed"
        if reason is None:
            skipped += 1
        else:
            rows.append((remote.rel, "download", reason, remote.size, remote.item_id, remote.hash, remote.digest))
        if len(rows) >= BATCH:
            journal.add_plan(rows)
            rows = []
    journal.add_plan(rows)
    return skipped
