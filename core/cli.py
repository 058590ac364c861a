"""``dataloop`` console script: ``dataloop sync push|pull`` (reads DATALOOP_BASE_URL / DATALOOP_TOKEN).

Every failure is one line on stderr (``error: ...``) and one of the exit codes in :data:`EXIT_CODES`.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from contextlib import contextmanager
from typing import List, Optional

from .exceptions import PlatformException, RequestTimeout, TokenExpired, TooManyRequests

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_PLATFORM, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 5, 130
EXIT_CODES = {
    EXIT_OK: "every file synced",
    EXIT_FAILED: "some files failed (each listed on stderr: FAILED <path>: <reason>); re-run to retry them",
    EXIT_USAGE: "bad usage or configuration: arguments, --filter, credentials, unknown project or dataset, "
                "a request the platform rejected (4xx)",
    EXIT_BUSY: "another run holds the same journal",
    EXIT_PLATFORM: "the platform or the network failed: unreachable, 5xx after retries, truncated responses",
    EXIT_INTERNAL: "unexpected internal error (a bug: please report the message)",
    EXIT_INTERRUPTED: "interrupted (finished files are journaled; re-run to resume)",
}
logger = logging.getLogger("dataloop_core.cli")


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line too (argparse prints the whole usage first)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    epilog = "exit codes:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items())
    parser = _Parser(prog="dataloop", description="Drive the Dataloop platform from the shell.", epilog=epilog,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
    except Exception as exc:  # every failure is one line and a documented code, never a traceback
        code = exit_code(exc)
        if code == EXIT_INTERNAL:
            logger.debug("internal error", exc_info=True)
        print(f"error: {_message(exc)}", file=sys.stderr)
        return code


def exit_code(exc: Exception) -> int:
    """The documented exit code of a run that stopped with ``exc``."""
    from .sync import JournalBusy
    if isinstance(exc, JournalBusy):
        return EXIT_BUSY
    if isinstance(exc, (ValueError, TokenExpired)):  # MissingEntity is a ValueError too
        return EXIT_USAGE
    if isinstance(exc, PlatformException):
        rejected = 400 <= (exc.status or 0) < 500 and not isinstance(exc, (RequestTimeout, TooManyRequests))
        return EXIT_USAGE if rejected else EXIT_PLATFORM
    return EXIT_INTERNAL


def _filter_arg(text: Optional[str]) -> Optional[dict]:
    if not text:
        return None
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("--filter is nested too deeply to parse") from None
    except ValueError as exc:
        raise ValueError(f"--filter is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"--filter must be a JSON object, not {type(value).__name__}")
    return value


@contextmanager
def _cancel_on_sigint():
    """The first Ctrl-C cancels the run cooperatively (in-flight files finish, the journal is committed); a second
    one interrupts at once."""
    cancel = threading.Event()

    def on_sigint(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        print("cancelling: finishing the files in flight (Ctrl-C again to stop now)", file=sys.stderr)
        cancel.set()
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def _sync(args) -> int:
    from . import DataloopClient
    from .sync import TqdmProgress, pull, push
    filters = _filter_arg(getattr(args, "filters", None))
    client = DataloopClient()
    bar = None
    try:
        dataset_id = _dataset_id(client, args.project, args.dataset)
        bar = None if args.no_progress or not sys.stderr.isatty() else TqdmProgress(args.direction)
        with _cancel_on_sigint() as cancel:
            options = dict(remote_path=args.remote_path, workers=args.workers, delete=args.delete,
                           dry_run=args.dry_run, checksum=args.checksum, shard=args.shard,
                           journal_dir=args.journal_dir, progress=bar, cancel_event=cancel)
            if args.direction == "push":
                summary = push(client, dataset_id, args.local_dir, follow_symlinks=args.follow_symlinks, **options)
            else:
                summary = pull(client, dataset_id, args.local_dir, filters=filters, **options)
    finally:
        if bar is not None:
            bar.close()
        client.close()
    _report(summary, args.json)
    if summary.cancelled:
        print("interrupted: finished files are journaled; re-run to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
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
    """One line: the platform's message, or the exception's (named when it is not a usage error)."""
    text = exc.message if isinstance(exc, PlatformException) else str(exc)
    if not isinstance(exc, (PlatformException, ValueError)):
        text = f"{type(exc).__name__}: {text}"
    return " ".join(str(text).split())[:2000] or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
