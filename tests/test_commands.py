"""Commands over real HTTP, driven by the emulator's own command runner (wire §6)."""
from __future__ import annotations

import threading

import pytest

from dataloop_core import DataloopClient
from dataloop_core.emulator.errors import BadRequest as EmulatorBadRequest
from dataloop_core.entities.command import Command
from dataloop_core.exceptions import BadRequest, FailedDependency, Forbidden, NotFound

USER = "tester@dataloop.local"


@pytest.fixture
def submit(emulator, monkeypatch):
    """Submit a command of the tester's to the emulator's runner; the answer is not awaited."""
    runner = emulator.emulator.commands
    monkeypatch.setattr(runner, "inline_wait", 0)
    releases = []

    def run(work, spec=None, command_type="TestCommand"):
        return runner.submit(emulator.url + "/api/v1", command_type, spec or {}, work, creator=USER)

    def blocked():
        """A command that runs until released (released at teardown in any case)."""
        release = threading.Event()
        releases.append(release)

        def work(progress):
            progress(40)
            while not release.wait(0.02):
                progress(40)
            return {"done": True}
        return run(work), release

    run.blocked = blocked
    yield run
    for release in releases:
        release.set()


def test_wait_returns_the_successful_command(client, submit):
    doc = submit(lambda progress: {"returnedModelId": "abc"})
    command = client.commands.wait(doc["id"])
    assert isinstance(command, Command)
    assert command.status == "success" and command.progress == 100
    assert command.spec == {"returnedModelId": "abc"} and not command.in_progress()


def test_wait_on_entity_follows_its_url(client, submit):
    doc, release = submit.blocked()
    command = client.commands.get(url=doc["url"])
    for _ in range(250):  # the runner thread reports its first progress asynchronously
        if command.progress == 40:
            break
        threading.Event().wait(0.02)
        command = client.commands.get(url=doc["url"])
    assert command.in_progress() and command.progress == 40
    release.set()
    assert command.wait() is command
    assert command.status == "success" and command.spec == {"done": True}


def test_wait_calls_iteration_callback_while_running(client, submit):
    doc, release = submit.blocked()
    calls = []

    def callback():
        calls.append(1)
        if len(calls) == 2:
            release.set()
    assert client.commands.wait(doc["id"], iteration_callback=callback, step=0.01).status == "success"
    assert len(calls) >= 2


def test_failed_command_raises_failed_dependency_with_its_error(client, submit):
    def work(progress):
        raise EmulatorBadRequest("source dataset is empty")
    doc = submit(work)
    with pytest.raises(FailedDependency, match="source dataset is empty") as err:
        client.commands.wait(doc["id"])
    assert err.value.status_code == "424" and doc["id"] in str(err.value)
    with pytest.raises(FailedDependency):
        client.commands.get(doc["id"]).wait()


def test_timeout_names_the_command(client, submit):
    doc, _ = submit.blocked()
    with pytest.raises(TimeoutError, match=doc["id"]):
        client.commands.wait(doc["id"], timeout=0.3)


def test_abort_stops_a_running_command(client, submit):
    doc, _ = submit.blocked()
    aborted = client.commands.get(doc["id"]).abort()
    assert aborted.status == "aborted"
    assert client.commands.get(doc["id"]).status == "aborted"
    with pytest.raises(FailedDependency, match="aborted"):
        client.commands.wait(doc["id"])


def test_abort_of_a_finished_command_keeps_its_status(client, submit):
    doc = submit(lambda progress: {})
    client.commands.wait(doc["id"])
    assert client.commands.abort(doc["id"]).status == "success"


def test_list_has_the_users_commands_newest_first(client, submit):
    first = submit(lambda progress: {})
    second = submit(lambda progress: {})
    ids = [c.id for c in client.commands.list()]
    assert ids.index(second["id"]) < ids.index(first["id"])


def test_get_errors(client, emulator, submit):
    with pytest.raises(BadRequest, match="invalid command id"):
        client.commands.get("nope")
    with pytest.raises(NotFound, match="Command not found: " + "0" * 24):
        client.commands.get("0" * 24)
    with pytest.raises(NotFound):
        client.commands.abort("0" * 24)
    with pytest.raises(ValueError):
        client.commands.get()
    with pytest.raises(ValueError, match="api/v1"):
        client.commands.get(url="http://elsewhere/commands/1")


def test_other_users_commands_are_hidden(emulator, client):
    doc = emulator.emulator.commands.submit(emulator.url + "/api/v1", "T", {}, lambda p: {},
                                            creator="someone@else.io")
    assert doc["id"] not in [c.id for c in client.commands.list()]
    with pytest.raises(Forbidden, match="Permission denied"):
        client.commands.get(doc["id"])


def test_in_progress_rejects_unknown_status(client):
    assert Command(client, {"id": "x", "status": "created"}).in_progress()
    assert not Command(client, {"id": "x", "status": "canceled"}).in_progress()
    with pytest.raises(ValueError, match="unknown status"):
        Command(client, {"id": "x", "status": "weird"}).in_progress()


def test_terminal_entity_wait_sends_no_request(emulator):
    unreachable = DataloopClient(base_url="http://127.0.0.1:9", token=emulator.token(USER), max_retries=0)
    done = Command(unreachable, {"id": "1", "status": "success", "url": "http://127.0.0.1:9/api/v1/commands/1"})
    assert done.wait() is done


def test_abort_is_final_even_if_the_work_then_finishes(emulator, client, submit):
    started, release = threading.Event(), threading.Event()

    def work(progress):  # never reports progress, so it cannot notice the abort: it returns a result
        started.set()
        release.wait(10)
        return {"late": True}
    doc = submit(work)
    assert started.wait(10)
    assert client.commands.abort(doc["id"]).status == "aborted"
    release.set()
    for _ in range(250):  # the runner forgets the abort flag once the work returned
        if doc["id"] not in emulator.emulator.commands._aborted:
            break
        threading.Event().wait(0.02)
    command = client.commands.get(doc["id"])
    assert command.status == "aborted" and command.spec == {}
