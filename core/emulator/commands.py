"""Background commands (wire §6): async operations run in a worker thread and move through statuses.

``submit`` answers with the command document; if the work finishes within ``inline_wait`` seconds the
answer is already terminal (the official SDK then does not poll at all).
"""
from __future__ import annotations

import logging
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Dict

from .errors import EmulatorError
from .store import Store

logger = logging.getLogger("dataloop_core.emulator.commands")
TERMINAL = {"success", "failed", "timeout", "canceled", "aborted"}


class Aborted(Exception):
    pass


class Progress:
    """Handed to a command's work function: report progress, and stop early if the command was aborted."""

    def __init__(self, runner: "CommandRunner", command_id: str):
        self._runner, self.command_id = runner, command_id

    def __call__(self, percent: int) -> None:
        if self._runner._aborted.get(self.command_id):
            raise Aborted()
        self._runner._advance(self.command_id, {"progress": max(0, min(99, int(percent)))})


class CommandRunner:
    def __init__(self, store: Store, workers: int = 4, inline_wait: float = 1.0):
        self.store = store
        self.inline_wait = inline_wait
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="command")
        self._aborted: Dict[str, bool] = {}
        for doc in store.list("command", where="json_extract(doc, '$.status') NOT IN "
                                               "('success','failed','timeout','canceled','aborted')"):
            store.patch("command", doc["id"], {"status": "failed", "error": "emulator restarted"})

    def submit(self, api_url: str, command_type: str, spec: dict, work: Callable[[Progress], dict],
               creator: str = None) -> dict:
        """Create a command, run ``work(progress)`` in the background; its returned dict is merged into spec."""
        doc = {"type": command_type, "status": "created", "progress": 0, "spec": spec, "error": None,
               "creator": creator}
        doc["id"] = self.store.new_id()
        doc["url"] = f"{api_url}/commands/{doc['id']}"
        created = dict(self.store.insert("command", doc))  # the answer of a command that failed at once
        done = threading.Event()
        self._pool.submit(self._run, doc["id"], work, done)
        done.wait(self.inline_wait)
        current = self.store.get("command", doc["id"])
        # a quick success is answered at once (saves the client a poll); a quick failure is answered as the platform
        # answers every command, not yet run, so clients learn of it by polling (the SDK's 424 names the command)
        return current if current["status"] != "failed" else created

    def _run(self, command_id: str, work: Callable[[Progress], dict], done: threading.Event) -> None:
        try:
            if self._advance(command_id, {"status": "in-progress"})["status"] in TERMINAL:
                return  # aborted before it started
            result = work(Progress(self, command_id)) or {}
            self._advance(command_id, {"status": "success", "progress": 100, "spec": result})
        except Aborted:
            self._advance(command_id, {"status": "aborted"})
        except EmulatorError as exc:
            self._advance(command_id, {"status": "failed", "error": exc.message})
        except Exception as exc:  # a bug in the emulator: keep the server up, record why
            logger.error("command %s crashed:\n%s", command_id, traceback.format_exc())
            self._advance(command_id, {"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        finally:
            self._aborted.pop(command_id, None)
            done.set()

    def _advance(self, command_id: str, diff: dict) -> dict:
        """Apply ``diff`` unless the command already ended (an abort is never overwritten by a late result)."""
        with self.store.transaction():
            doc = self.store.get("command", command_id)
            return doc if doc["status"] in TERMINAL else self.store.patch("command", command_id, diff)

    def abort(self, command_id: str) -> dict:
        with self.store.transaction():
            doc = self.store.get("command", command_id)
            if doc["status"] in TERMINAL:
                return doc
            self._aborted[command_id] = True
            return self.store.patch("command", command_id, {"status": "aborted"})

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
