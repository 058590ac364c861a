"""Bots over real HTTP: create (1.124.2 behaviour), list, get by id/name/email, delete, bad input."""
from __future__ import annotations

import pytest

from dataloop_core.entities.bot import Bot
from dataloop_core.exceptions import BadRequest, MissingEntity, NotFound

MISSING_ID = "0" * 24


def test_create_list_get(project, unique):
    name = unique("bot")
    bot = project.bots.create(name)
    assert isinstance(bot, Bot) and bot.name == name and bot.type == "bot" and "@" in bot.email
    assert bot.password is None
    assert [b.id for b in project.bots.list()] == [bot.id]
    assert project.bots.get(bot_id=bot.id).email == bot.email
    assert project.bots.get(bot_name=name).id == bot.id
    assert project.bots.get(bot_email=bot.email).id == bot.id


def test_create_with_credentials_returns_the_password_once(project, unique):
    bot = project.bots.create(unique("creds"), return_credentials=True)
    assert bot.password and bot.password not in repr(bot)
    assert project.bots.get(bot_id=bot.id).password is None


def test_create_bad_input(project, client, unique):
    name = unique("dup")
    project.bots.create(name)
    with pytest.raises(BadRequest, match="already exists"):
        project.bots.create(name)
    with pytest.raises(ValueError):
        project.bots.create("  ")
    with pytest.raises(BadRequest, match="name"):
        client.transport.json("POST", f"/projects/{project.id}/bots", json={"name": ""})
    with pytest.raises(NotFound, match="Project not found"):
        client.transport.json("POST", f"/projects/{MISSING_ID}/bots", json={"name": "x"})
    assert len(project.bots.list()) == 1


def test_get_errors(project, unique):
    with pytest.raises(NotFound, match=f"Bot not found: {MISSING_ID}"):
        project.bots.get(bot_id=MISSING_ID)
    with pytest.raises(BadRequest, match="invalid bot id"):
        project.bots.get(bot_id="nope")
    with pytest.raises(NotFound, match="Bot not found"):
        project.bots.get(bot_name=unique("ghost"))
    with pytest.raises(ValueError):
        project.bots.get()
    with pytest.raises(MissingEntity):
        from dataloop_core.repositories.bots import Bots
        Bots(project.client).list()


def test_bot_of_another_project_is_not_found(client, project, unique):
    other = client.projects.create(unique("other"))
    bot = other.bots.create(unique("theirs"))
    with pytest.raises(NotFound):
        project.bots.get(bot_id=bot.id)


def test_delete_by_id_email_and_entity(project, unique):
    first, second, third = (project.bots.create(unique("b")) for _ in range(3))
    assert project.bots.delete(bot_id=first.id) is True
    assert project.bots.delete(bot_email=second.email) is True
    assert third.delete() is True
    assert project.bots.list() == []
    with pytest.raises(NotFound):
        project.bots.delete(bot_id=first.id)
    with pytest.raises(ValueError):
        project.bots.delete()
