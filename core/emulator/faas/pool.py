"""Per-service worker pools: a queue of execution ids and up to ``concurrency`` worker processes.

Each slot is a thread of the server that owns at most one worker process (a fresh interpreter, so no
server state leaks into it) and runs one execution on it at a time. The slot enforces the
execution timeout, notices a worker that died (crash, ``os._exit``, out of memory) and kills the worker on
terminate; a dead or killed worker is simply replaced on the next job. Idle workers exit after a while.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Deque, List, Optional

from . import worker as worker_module

if TYPE_CHECKING:
    from .runtime import FaasRuntime

logger = logging.getLogger("dataloop_core.emulator.faas")
MAX_CONCURRENCY = 4
IDLE_SECONDS = 20.0
POLL_SECONDS = 0.1


# Started with ``python -c``: the interpreter may be another one than the server's (DATALOOP_EMULATOR_FAAS_PYTHON,
# e.g. a venv with the official SDK), so dataloop_core is loaded from its folder when that interpreter lacks it,
# and the server's site-packages come after the interpreter's own (its pinned packages win).
BOOTSTRAP = """\
import importlib.util, json, os, sys
sys.path.extend(json.loads(os.environ.pop("DATALOOP_FAAS_FALLBACK_PATH")))
if importlib.util.find_spec("dataloop_core") is None:
    init = os.environ["DATALOOP_FAAS_CORE"]
    spec = importlib.util.spec_from_file_location("dataloop_core", init,
                                                  submodule_search_locations=[os.path.dirname(init)])
    sys.modules["dataloop_core"] = module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
from multiprocessing.connection import Connection
from dataloop_core.emulator.faas.worker import main
main(Connection(int(sys.argv[1])))
"""


def _fallback_path(python: str) -> list:
    """The server's site-packages, for a worker interpreter that is not the server's own."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return []
    return [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]


class WorkerProcess:
    """One worker process (``python -c BOOTSTRAP``) and the server's end of its socket pair.

    A plain subprocess rather than ``multiprocessing``'s spawn: spawn re-imports the server's ``__main__``,
    which breaks (or re-runs) scripts that embed the emulator without a main guard. The config's ``python``,
    ``paths`` (requirement folders, put first on ``PYTHONPATH``), ``env`` (the service's secrets) and
    ``sdkHome`` (the worker's own ``DATALOOP_PATH``) shape the process; the rest is sent as its first message.
    """

    def __init__(self, config: dict, name: str):
        self.conn, child = multiprocessing.Pipe()
        self.config_key = repr(sorted(config.items()))
        self.name = name
        fd = child.fileno()
        python = config.get("python") or sys.executable
        paths = list(config.get("paths") or []) + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        env = {**os.environ, **(config.get("env") or {}), "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(paths), "DATALOOP_FAAS_FALLBACK_PATH": json.dumps(_fallback_path(python)),
               "DATALOOP_FAAS_CORE": os.path.abspath(os.path.join(os.path.dirname(worker_module.__file__), "..", "..",
                                                                  "__init__.py"))}
        if config.get("sdkHome"):
            env["DATALOOP_PATH"] = os.path.join(config["sdkHome"], name)
        if not env["PYTHONPATH"]:
            del env["PYTHONPATH"]
        self.process = subprocess.Popen([python, "-c", BOOTSTRAP, str(fd)], pass_fds=(fd,),
                                        stdin=subprocess.DEVNULL, env=env, close_fds=True)
        child.close()
        self.conn.send({k: v for k, v in config.items() if k not in ("env", "paths", "python", "sdkHome")})

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def exitcode(self) -> Optional[int]:
        return self.process.poll()

    def signal_kill(self) -> None:
        if self.alive:
            self.process.kill()

    def kill(self) -> None:
        self.signal_kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            logger.warning("worker %s did not exit after SIGKILL", self.name)
        self.conn.close()


class Slot:
    def __init__(self, pool: "ServicePool", index: int):
        self.pool = pool
        self.name = f"{pool.service_id}-replica-{index}"
        self.worker: Optional[WorkerProcess] = None
        self.execution_id: Optional[str] = None
        self.stop_reason: Optional[str] = None  # set by terminate/restart while a job runs
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, name=f"faas-{self.name}", daemon=True)

    def _loop(self) -> None:
        pool = self.pool
        while True:
            execution_id = pool.next_job(self)
            if execution_id is None:
                self.discard_worker()
                return
            try:
                pool.runtime.run_on_slot(self, execution_id)
            except Exception:  # an emulator bug: record it on the execution, keep the slot alive
                logger.exception("slot %s failed running %s", self.name, execution_id)
                pool.runtime.finish(execution_id, "failed", error="emulator error while running the execution")
                self.discard_worker()
            finally:
                with self.lock:
                    self.execution_id, self.stop_reason = None, None

    def ensure_worker(self, config: dict) -> WorkerProcess:
        key = repr(sorted(config.items()))
        if self.worker is not None and (self.worker.config_key != key or not self.worker.alive):
            self.discard_worker()
        if self.worker is None:
            self.worker = WorkerProcess(config, self.name)
        return self.worker

    def discard_worker(self) -> None:
        with self.lock:
            worker, self.worker = self.worker, None
        if worker is not None:
            worker.kill()

    def stop(self, execution_id: str, reason: str) -> bool:
        """Kill the worker if it is running ``execution_id``; the run loop then records ``reason``."""
        with self.lock:
            if self.execution_id != execution_id:
                return False
            self.stop_reason = reason
            worker = self.worker
        if worker is not None:
            worker.signal_kill()
        return True


class ServicePool:
    def __init__(self, runtime: "FaasRuntime", service_id: str, concurrency: int, active: bool = True):
        self.runtime = runtime
        self.service_id = service_id
        self.limit = max(1, min(int(concurrency or 1), MAX_CONCURRENCY))
        self.active = active
        self.closed = False
        self.pending: Deque[str] = deque()
        self.slots: List[Slot] = []
        self.cond = threading.Condition()
        self._next_index = 0

    # -- queue -----------------------------------------------------------------------------------
    def submit(self, execution_id: str) -> None:
        with self.cond:
            self.pending.append(execution_id)
            busy = sum(1 for s in self.slots if s.execution_id is not None)
            if len(self.slots) - busy < len(self.pending) and len(self.slots) < self.limit:
                slot = Slot(self, self._next_index)
                self._next_index += 1
                self.slots.append(slot)
                slot.thread.start()
            self.cond.notify()

    def cancel(self, execution_id: str) -> bool:
        """Drop a queued execution; False if it is not queued."""
        with self.cond:
            try:
                self.pending.remove(execution_id)
                return True
            except ValueError:
                return False

    def next_job(self, slot: Slot) -> Optional[str]:
        """The next queued execution for ``slot``; ``None`` when the slot should end (idle or closed)."""
        deadline = time.monotonic() + IDLE_SECONDS
        with self.cond:
            while not self.closed and not (self.active and self.pending):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.slots.remove(slot)
                    return None
                self.cond.wait(remaining)
            if self.closed:
                if slot in self.slots:
                    self.slots.remove(slot)
                return None
            execution_id = self.pending.popleft()
            with slot.lock:
                slot.execution_id = execution_id
            return execution_id

    # -- control ---------------------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        with self.cond:
            self.active = active
            self.cond.notify_all()

    def set_limit(self, concurrency: int) -> None:
        with self.cond:
            self.limit = max(1, min(int(concurrency or 1), MAX_CONCURRENCY))

    def slot_running(self, execution_id: str) -> Optional[Slot]:
        with self.cond:
            return next((s for s in self.slots if s.execution_id == execution_id), None)

    def running(self) -> List[str]:
        with self.cond:
            return [s.execution_id for s in self.slots if s.execution_id is not None]

    def replicas(self) -> List[dict]:
        with self.cond:
            return [{"name": s.name, "status": "running" if s.execution_id else "idle",
                     "executionId": s.execution_id,
                     "pid": s.worker.pid if s.worker is not None else None} for s in self.slots]

    def restart(self, reason: str) -> List[str]:
        """Kill every worker (running ones are stopped with ``reason``); returns the stopped execution ids."""
        stopped = []
        with self.cond:
            slots = list(self.slots)
        for slot in slots:
            running = slot.execution_id
            if running is not None and slot.stop(running, reason):
                stopped.append(running)
            elif running is None:
                slot.discard_worker()
        return stopped

    def close(self) -> List[str]:
        """Stop the pool: returns the queued ids (not started) after killing every worker."""
        with self.cond:
            self.closed = True
            queued = list(self.pending)
            self.pending.clear()
            slots = list(self.slots)
            self.cond.notify_all()
        for slot in slots:
            running = slot.execution_id
            if running is not None:
                slot.stop(running, "service deleted")
            slot.discard_worker()
        return queued
