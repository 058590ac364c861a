"""Hold the emulator's background commands (export, clone, ...) until released, so a test sees them running:
the platform's commands take a while, the emulator's usually end within the request."""
from __future__ import annotations

import threading


def hold_commands(emulator, monkeypatch) -> threading.Event:
    """Commands submitted from now on start only once the returned event is set (set it at teardown)."""
    runner = emulator.emulator.commands
    release = threading.Event()
    submit = runner.submit

    def held(api_url, command_type, spec, work, creator=None):
        def gated(progress):
            release.wait(60)
            return work(progress)
        return submit(api_url, command_type, spec, gated, creator=creator)
    monkeypatch.setattr(runner, "submit", held)
    monkeypatch.setattr(runner, "inline_wait", 0)
    return release
