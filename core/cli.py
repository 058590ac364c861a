"""``dataloop`` console script: ``dataloop sync push|pull`` (reads DATALOOP_BASE_URL / DATALOOP_TOKEN).

Exit codes: 0 all files synced, 1 some files failed (listed), 2 bad usage or configuration, 3 another run holds
the same journal, 130 interrupted.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import List, Optional

from .exceptions import PlatformException

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataloop", description="Drive the Dataloop platform from the shell.")
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="resumable, incremental dataset sync")
    directions = sync.add_subparsers(dest="direction", required=True)
    push = directions.add_parser("push", help="local folder -> dataset folder")
    push.add_argument("local_dir", help="local folder to upload")
    push.add_argument("--follow-symlinks", action="store_true",
                      help="follow symlinks to files and folders (loops are skipped); default: skip symlinks")
    pull = directions.add_parser("pull", help="dataset (optionally filtered) -> local folder")
    pull.add_argument("local_dir", help="local folder to download into")
    pull.add_argument("--filter", dest="filters", metavar="DQL_JSON",
                      help='a DQL filter object, e.g. \'{"metadata.system.mimetype": "image/*"}\'')
    for sub in (push, pull):
        sub.add_argument("--project", required=True, help="project name or id")
        sub.add_argument("--dataset", required=True, help="dataset name or id")
        sub.add_argument("--remote-path", default="/", help="dataset folder (default /)")
        sub.add_argument("--workers", type=int, default=16, help="parallel transfers (default 16)")
        sub.add_argument("--delete", action="store_true", help="mirror: delete what vanished on the source side")
        sub.add_argument("--dry-run", action="store_true", help="print the plan, transfer nothing")
        sub.add_argument("--checksum", action="store_true", help="compare content hashes even when size+mtime match")
        sub.add_argument("--shard", metavar="I/N", help="run only shard I of N (by hash of the relative path)")
        sub.add_argument("--journal-dir", help="where journals live (default: $XDG_CACHE_HOME/dataloop-sync)")
        sub.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
        sub.add_argument("--no-progress", action="store_true", help="no progress bar")
        sub.add_argument("-v", "--verbose", action="store_true", help="log retries and skipped files")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(message)s")
    try:
        return _sync(args)
    except KeyboardInterrupt:
        print("interrupted: finished files are journaled; re-run to resume", file=sys.stderr)
        return EXIT_INTERRUPTED


def _sync(args) -> int:
    from . import DataloopClient
    from .sync import JournalBusy, TqdmProgress, pull, push
    try:
        filters = json.loads(args.filters) if getattr(args, "filters", None) else None
        if filters is not None and not isinstance(filters, dict):
            raise ValueError(f"--filter must be a JSON object, not {type(filters).__name__}")
        client = DataloopClient()
        dataset_id = _dataset_id(client, args.project, args.dataset)
    except (ValueError, PlatformException) as exc:
        print(f"error: {_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    bar = None if args.no_progress or not sys.stderr.isatty() else TqdmProgress(args.direction)
    options = dict(remote_path=args.remote_path, workers=args.workers, delete=args.delete, dry_run=args.dry_run,
                   checksum=args.checksum, shard=args.shard, journal_dir=args.journal_dir, progress=bar)
    try:
        if args.direction == "push":
            summary = push(client, dataset_id, args.local_dir, follow_symlinks=args.follow_symlinks, **options)
        else:
            summary = pull(client, dataset_id, args.local_dir, filters=filters, **options)
    except JournalBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (ValueError, PlatformException) as exc:
        print(f"error: {_message(exc)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if bar is not None:
            bar.close()
        client.close()
    _report(summary, args.json)
    return EXIT_OK if summary.ok else EXIT_FAILED


def looks_like_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)


def _dataset_id(client, project: str, dataset: str) -> str:
    """Ids are used as given (no lookup); names are resolved through the project."""
    if looks_like_id(dataset):
        return dataset
    project_entity = (client.projects.get(project_id=project) if looks_like_id(project)
                      else client.projects.get(project_name=project))
    return project_entity.datasets.get(dataset_name=dataset).id


def _report(summary, as_json: bool) -> None:
    if as_json:
        print(summary.to_json(indent=2))
        return
    for action in summary.planned:
        print(f"{action.action:8} {action.reason:12} {action.path}")
    print(str(summary))
    for failure in summary.failed:
        print(f"FAILED {failure.path}: {failure.reason}", file=sys.stderr)


def _message(exc: Exception) -> str:
    return exc.message if isinstance(exc, PlatformException) else str(exc)


if __name__ == "__main__":
    sys.exit(main())
