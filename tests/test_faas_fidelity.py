"""FaaS functions run as on the platform (issue 10, points 9-12): the SDK's module-level API signed in as the
service's bot, a real project bot per service, package requirements installed per requirement set, secrets as
environment variables."""
from __future__ import annotations

import base64
import hashlib
import os
import textwrap
import uuid
import zipfile

import pytest

from dataloop_core import Filters
from dataloop_core.exceptions import BadRequest, NotFound

CODE = textwrap.dedent('''
    import os
    import dtlpy as dl

    class ServiceRunner:
        def lookup(self, item, name):
            fetched = dl.items.get(item_id=item.id)
            dataset = dl.datasets.get(dataset_id=fetched.dataset_id)
            project = dl.projects.get(project_id=dataset.projects[0])
            created = project.datasets.create(dataset_name=name)
            return {"item": fetched.name, "dataset": dataset.name, "project": project.name, "created": created.id,
                    "item_module": type(item).__module__}

        def environment(self, names):
            return {name: os.environ.get(name) for name in names}

        def dependency(self):
            import tinydep
            return tinydep.VALUE
''')
MODULES = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner", "initInputs": [],
            "functions": [{"name": "lookup", "input": [{"name": "item", "type": "Item"},
                                                       {"name": "name", "type": "String"}]},
                          {"name": "environment", "input": [{"name": "names", "type": "Json"}]},
                          {"name": "dependency", "input": []}]}]


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fidelity")
    (folder / "main.py").write_text(CODE)
    return folder


def push(project, src, requirements=None):
    return project.packages.push(src_path=str(src), package_name=f"fid-{uuid.uuid4().hex[:8]}", modules=MODULES,
                                 requirements=requirements)


def deploy(package, **kwargs):
    return package.services.deploy(service_name=f"svc-{uuid.uuid4().hex[:8]}", execution_timeout=60, **kwargs)


def run(service, function_name, execution_input=None):
    execution = service.execute(function_name=function_name, execution_input=execution_input or {})
    execution = execution.wait(timeout=60)
    assert execution.latest_status["status"] == "success", execution.latest_status
    return execution


# -- point 9 and 10: module-level API, as the service's bot ----------------------------------------
def test_module_level_api_acts_as_the_services_project_bot(project, src, tmp_path):
    dataset = project.datasets.create("source")
    (tmp_path / "cat.txt").write_text("meow")
    item = dataset.items.upload(local_path=str(tmp_path / "cat.txt"))
    service = deploy(push(project, src))
    bots = project.bots.list()
    assert [b.email for b in bots] == [service.bot] and bots[0].type == "bot"
    assert project.bots.get(bot_email=service.bot).id == bots[0].id

    execution = run(service, "lookup", {"item": {"item_id": item.id, "dataset_id": dataset.id}, "name": "made"})
    assert execution.output["item"] == "cat.txt" and execution.output["dataset"] == "source"
    assert execution.output["project"] == project.name
    assert execution.output["item_module"] == "dataloop_core.entities.item"
    assert execution.creator == "tester@dataloop.local"  # who asked; the function ran as the bot
    created = project.datasets.get(dataset_id=execution.output["created"])
    assert created.to_json()["creator"] == service.bot

    second = deploy(push(project, src))
    assert second.bot == service.bot and len(project.bots.list()) == 1  # one project bot serves them all


def test_deploy_with_a_named_bot_and_an_unknown_one(project, src, client):
    package = push(project, src)
    mine = project.bots.create("mine")
    body = {"name": f"svc-{uuid.uuid4().hex[:8]}", "projectId": project.id, "packageId": package.id,
            "botUserName": mine.email}
    assert client.transport.json("POST", "/services", json=body)["botUserName"] == mine.email
    ghost = f"ghost-{uuid.uuid4().hex[:6]}@bot.dataloop.ai"
    with pytest.raises(BadRequest, match=f"botUserName '{ghost}' is not a bot of project"):
        client.transport.json("POST", "/services", json={**body, "name": "other-svc", "botUserName": ghost})


def test_use_user_jwt_runs_as_the_caller(project, src, tmp_path):
    dataset = project.datasets.create("jwt")
    (tmp_path / "a.txt").write_text("a")
    item = dataset.items.upload(local_path=str(tmp_path / "a.txt"))
    service = deploy(push(project, src))
    service._json["useUserJwt"] = True
    service = service.update()
    execution = run(service, "lookup", {"item": {"item_id": item.id, "dataset_id": dataset.id}, "name": "by-user"})
    created = project.datasets.get(dataset_id=execution.output["created"])
    assert created.to_json()["creator"] == "tester@dataloop.local"


# -- point 12: secrets and integrations as environment variables -----------------------------------
def test_secrets_and_integrations_reach_the_functions_environment(project, src, client):
    org_id = project.to_json()["org"]["id"]
    name = f"my-secret-{uuid.uuid4().hex[:6]}"
    secret = client.integrations.create("key_value", name, {"key": "k", "value": "s3cr3t-value"},
                                        organization_id=org_id)
    api = client.integrations.create("key_value", f"api-{uuid.uuid4().hex[:6]}", {"key": "k", "value": "api-value"},
                                     organization_id=org_id)
    service = deploy(push(project, src), secrets=[secret.id],
                     integrations=[{"env": "API_KEY", "value": api.id, "type": "key_value"}])
    execution = run(service, "environment", {"names": [name, "API_KEY", "DATALOOP_TOKEN_MISSING"]})
    assert execution.output == {name: "s3cr3t-value", "API_KEY": "api-value", "DATALOOP_TOKEN_MISSING": None}
    assert "s3cr3t-value" not in str(service.to_json())


def test_unknown_or_malformed_secrets_fail_the_deployment(project, src):
    package = push(project, src)
    missing = "0" * 24
    with pytest.raises(BadRequest, match=f"secret '{missing}' is not an integration"):
        deploy(package, secrets=[missing])
    with pytest.raises(BadRequest, match="integrations must be a list of"):
        deploy(package, integrations=[{"value": missing}])


# -- point 11: requirements installed per requirement set ------------------------------------------
def build_wheel(folder, name: str, value: str) -> None:
    """A minimal pure-Python wheel ``<name>-0.1`` whose module ``tinydep`` has ``VALUE``."""
    info = f"{name.replace('-', '_')}-0.1.dist-info"
    files = {"tinydep/__init__.py": f"VALUE = {value!r}\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = [f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()},"
              f"{len(text.encode())}" for path, text in files.items()]
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(folder / f"{name.replace('-', '_')}-0.1-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


@pytest.fixture
def offline_pip(tmp_path, monkeypatch):
    """pip's own settings: no index, this folder of wheels."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return wheels


def test_requirements_are_installed_once_per_set_and_importable(project, src, offline_pip, emulator):
    name = f"tinydep-{uuid.uuid4().hex[:6]}"
    build_wheel(offline_pip, name, "from the wheel")
    envs = os.path.join(emulator.emulator.data_dir, "faas", "envs")
    before = set(os.listdir(envs)) if os.path.isdir(envs) else set()
    requirements = [{"name": name, "version": "0.1", "operator": "=="}]
    service = deploy(push(project, src, requirements))
    assert run(service, "dependency").output == "from the wheel"
    added = set(os.listdir(envs)) - before
    assert len(added) == 1
    again = deploy(push(project, src, requirements))  # same set: the cached folder, no second install
    assert run(again, "dependency").output == "from the wheel"
    assert set(os.listdir(envs)) - before == added


def test_a_failed_install_fails_the_deployment_with_pips_message(project, src, offline_pip):
    package = push(project, src, [{"name": "no-such-dependency", "version": "9.9"}])
    with pytest.raises(BadRequest, match="(?s)no-such-dependency==9.9.*pip exit code.*No matching distribution"):
        deploy(package)


def test_malformed_requirements_are_refused_when_pushed(project, src):
    with pytest.raises(BadRequest, match="name must be a package name"):
        push(project, src, [{"name": "--index-url=http://127.0.0.1:9/", "version": "1"}])
    with pytest.raises(BadRequest, match="operator must be one of"):
        push(project, src, [{"name": "fine", "version": "1", "operator": "=>"}])


# -- point 12: batch executions over the query's context datasets ----------------------------------
def test_batch_execution_runs_on_the_query_context_datasets_only(project, tmp_path):
    from faas_runner import CODE as RUNNER_CODE, MODULES as RUNNER_MODULES
    (tmp_path / "main.py").write_text(RUNNER_CODE)
    package = project.packages.push(src_path=str(tmp_path), package_name=f"run-{uuid.uuid4().hex[:6]}",
                                    modules=RUNNER_MODULES)
    service = deploy(package)
    chosen, other = project.datasets.create("chosen"), project.datasets.create("other")
    wanted = []
    for dataset in (chosen, other):
        for name in ("a.txt", "b.txt"):
            (tmp_path / name).write_text(name)
            item = dataset.items.upload(local_path=str(tmp_path / name))
            if dataset is chosen:
                wanted.append(item.id)
    command = service.executions.create_batch(filters=Filters(context={"datasets": [chosen.id]}),
                                              function_name="run")
    started = command.spec["executionIds"]
    outputs = sorted(service.executions.wait(execution_id=i, timeout=60).output["item_id"] for i in started)
    assert outputs == sorted(wanted)
    with pytest.raises(BadRequest, match="context.datasets must be a non-empty list of dataset ids"):
        service.executions.create_batch(filters=Filters(context={"datasets": chosen.id}), function_name="run")
    with pytest.raises(NotFound, match="Dataset not found"):
        service.executions.create_batch(filters=Filters(context={"datasets": ["0" * 24]}), function_name="run")


def test_a_secret_that_cannot_be_an_environment_variable_is_refused(project, src, client):
    org_id = project.to_json()["org"]["id"]
    odd = client.integrations.create("key_value", f"a=b-{uuid.uuid4().hex[:6]}", {"key": "k", "value": "v"},
                                     organization_id=org_id)
    with pytest.raises(BadRequest, match="cannot be the environment variable 'a=b-"):
        deploy(push(project, src), secrets=[odd.id])


def test_changing_the_services_bot(project, src):
    service = deploy(push(project, src))
    other = project.bots.create("other")
    service._json["botUserName"] = other.email
    assert service.update().bot == other.email
    service._json["botUserName"] = "nobody@bot.dataloop.ai"
    with pytest.raises(BadRequest, match="'nobody@bot.dataloop.ai' is not a bot of project"):
        service.update()


def test_services_of_an_older_data_dir_get_a_project_bot_at_start(tmp_path, src):
    """Older emulators stored a made-up bot e-mail; at start-up such services adopt their project's bot."""
    from dataloop_core import DataloopClient
    from dataloop_core.emulator import EmulatorServer
    data_dir = str(tmp_path / "emulator")
    with EmulatorServer(data_dir) as server, \
            DataloopClient(base_url=server.url, token=server.token("tester@dataloop.local")) as client:
        project = client.projects.create(f"old-{uuid.uuid4().hex[:6]}")
        dataset = project.datasets.create("old")
        (tmp_path / "old.txt").write_text("old")
        item = dataset.items.upload(local_path=str(tmp_path / "old.txt"))
        service = deploy(push(project, src))
        store = server.emulator.store
        for bot in store.list("bot", scope=project.id):  # as an older emulator left it
            store.delete("bot", bot["id"])
        store.patch("service", service.id, {"botUserName": f"bot-{service.id}@bot.dataloop.local"})
    with EmulatorServer(data_dir) as server, \
            DataloopClient(base_url=server.url, token=server.token("tester@dataloop.local")) as client:
        project = client.projects.get(project_id=project.id)
        service = project.services.get(service_id=service.id)
        assert [b.email for b in project.bots.list()] == [service.bot]
        execution = run(service, "lookup", {"item": {"item_id": item.id, "dataset_id": dataset.id}, "name": "new"})
        assert project.datasets.get(dataset_id=execution.output["created"]).to_json()["creator"] == service.bot
