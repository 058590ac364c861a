"""dataloop_core.emulator: an offline, persistent, wire-compatible Dataloop server."""
from .app import Emulator
from .server import EmulatorServer

__all__ = ["Emulator", "EmulatorServer"]
