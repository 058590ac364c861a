"""Packages over HTTP: push (codebase packing), get/list/revisions, update with version bumps, pull/build,
delete, deploy, name validation, and the local helpers."""
from __future__ import annotations

import json
import os

import pytest

from dataloop_core.entities.codebase import ItemCodebase
from dataloop_core.entities.function_io import FunctionIO
from dataloop_core.entities.package import Package, PackageFunction, PackageModule, PackageRequirement
from dataloop_core.exceptions import BadRequest, NotFound
from dataloop_core.filters import Filters, FiltersResource
from dataloop_core.repositories.packages import Packages, bump_version

MAIN = '''class ServiceRunner:
    def __init__(self, greeting="hi"):
        self.greeting = greeting

    def run(self, item, progress=None):
        return item

    def echo(self, text):
        return f"{self.greeting} {text}"
'''


def module():
    return PackageModule(functions=[PackageFunction("run", inputs=[FunctionIO("Item", "item")]),
                                    PackageFunction("echo", inputs=[FunctionIO("String", "text")],
                                                    outputs=[FunctionIO("String", "text")])])


@pytest.fixture
def src(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN)
    (folder / "requirements.txt").write_text("numpy>=1.20,<2\n# comment\nrequests\n")
    return str(folder)


def test_push_creates_then_updates_and_reuses_codebase(project, src, unique):
    name = unique("pkg")
    package = project.packages.push(package_name=name, src_path=src, modules=[module()])
    assert isinstance(package, Package) and package.name == name and package.version == "1.0.0"
    assert isinstance(package.codebase, ItemCodebase) and package.codebase.version == 1
    assert [f.name for f in package.modules[0].functions] == ["run", "echo"]
    assert package.requirements[0] == PackageRequirement("numpy", "1.20", ">=")
    again = project.packages.push(package_name=name, src_path=src, modules=[module()], revision_increment="minor")
    assert again.id == package.id and again.version == "1.1.0"
    assert again.codebase.item_id == package.codebase.item_id  # same content -> same codebase version
    with open(os.path.join(src, "extra.py"), "w") as handle:
        handle.write("X = 1\n")
    third = project.packages.push(package_name=name, src_path=src, modules=[module()])
    assert third.codebase.version == 2
    assert [r["version"] for r in project.packages.revisions(package=third)] == ["1.0.0", "1.1.0", "1.1.0"]


def test_get_list_update_and_delete(project, src, unique):
    name = unique("pkg")
    package = project.packages.push(package_name=name, src_path=src, modules=[module()])
    assert project.packages.get(package_id=package.id).name == name
    assert project.packages.get(package_name=name).id == package.id
    assert [p.id for p in project.packages.list().all()] == [package.id]
    filters = Filters(field="name", values="nothing-like-it", resource=FiltersResource.PACKAGE)
    assert project.packages.list(filters=filters).items_count == 0
    package.metadata = {"user": {"team": "cv"}}
    updated = project.packages.update(package, revision_increment="major")
    assert updated.version == "2.0.0" and updated.metadata == {"user": {"team": "cv"}}
    assert project.packages.delete(package_name=name) is True
    with pytest.raises(NotFound, match="Package not found"):
        project.packages.get(package_id=package.id)
    assert project.codebases.list_versions(name).items_count == 0


def test_bad_input(project, src, unique):
    with pytest.raises(BadRequest, match="invalid package name"):
        project.packages.push(package_name="Bad_Name", src_path=src, modules=[module()])
    with pytest.raises(BadRequest, match="invalid package id"):
        project.packages.get(package_id="nope")
    with pytest.raises(NotFound, match="Package not found: 0000"):
        project.packages.get(package_id="0" * 24)
    with pytest.raises(NotFound, match="Package not found. Name"):
        project.packages.get(package_name=unique("ghost"))
    broken = PackageModule(functions=[PackageFunction("missing_function")])
    with pytest.raises(ValueError, match='missing function: "missing_function"'):
        project.packages.push(package_name=unique("pkg"), src_path=src, modules=[broken])
    with pytest.raises(ValueError, match="revision_increment"):
        bump_version("1.0.0", "huge")
    with pytest.raises(ValueError, match="package or package_id"):
        project.packages.revisions()
    with pytest.raises(ValueError, match="invalid input type"):
        FunctionIO("Picture", "x")
    with pytest.raises(ValueError, match="same name"):
        PackageModule(functions=[PackageFunction("a"), PackageFunction("a")])


def test_pull_and_build(project, src, unique, tmp_path):
    package = project.packages.push(package_name=unique("pkg"), src_path=src, modules=[module()])
    folder = project.packages.pull(package=package, local_path=str(tmp_path / "pulled"))
    assert open(os.path.join(folder, "main.py")).read() == MAIN
    runner = project.packages.build(package=package, init_inputs={"greeting": "hey"},
                                    local_path=str(tmp_path / "built"))
    assert runner.echo("you") == "hey you"
    with pytest.raises(NotFound, match="Version not found"):
        project.packages.pull(package=package, version="9.9.9")


def test_deploy_delegates_to_services(project, src, unique):
    package = project.packages.push(package_name=unique("pkg"), src_path=src, modules=[module()])
    service = project.packages.deploy(package=package, service_name=unique("svc"))
    assert service.package_id == package.id
    with pytest.raises(BadRequest, match="used by services"):
        project.packages.delete(package=package)
    assert project.packages.get(package_id=package.id).id == package.id  # still there


def test_deploy_from_file(project, src, unique):
    name = unique("pkg")
    Packages.generate(name=name, src_path=src, service_name=unique("svc"))
    data = json.load(open(os.path.join(src, "package.json")))
    assert data["name"] == name and data["services"][0]["triggers"][0]["spec"]["actions"] == ["Created"]
    services, package = project.packages.deploy_from_file(project=project,
                                                          json_filepath=os.path.join(src, "package.json"))
    assert package.name == name and [s.name for s in services] == [data["services"][0]["name"]]
    assert [t.name for t in services[0].triggers.list().all()] == [data["services"][0]["triggers"][0]["name"]]


def test_checkout_and_local_helpers(client, project, src, unique, tmp_path):
    package = project.packages.push(package_name=unique("pkg"), src_path=src, modules=[module()])
    scoped = client.with_options()
    scoped.state_dir = str(tmp_path / "state")
    scoped.projects.get(project_id=project.id).packages.checkout(package=package)
    assert scoped.packages.get().id == package.id
    trigger = Packages.build_trigger_dict(actions="Created", function="echo", filters=Filters(field="dir",
                                                                                             values="/x"))
    assert trigger["spec"]["operation"] == {"type": "function", "functionName": "echo"}
    assert trigger["spec"]["actions"] == ["Created"] and trigger["spec"]["filter"]["$and"][-1] == {"dir": "/x"}
    assert Packages.is_multithread([[{"name": "a"}]]) is True and Packages.is_multithread([{"name": "a"}]) is False
    missing = []
    Packages.check_cls_arguments(Packages, missing, "deploy", [])
    assert missing == []  # every argument of Packages.deploy has a default
    Packages.check_cls_arguments(Packages, missing, "build_requirements", [])
    assert missing == ['missing input name: "filepath" in function definition: "build_requirements"']
    requirements = project.packages.build_requirements(os.path.join(src, "requirements.txt"))
    assert [r.to_json() for r in requirements] == [{"name": "numpy", "version": "1.20", "operator": ">="},
                                                   {"name": "numpy", "version": "2", "operator": "<"},
                                                   {"name": "requests"}]


def test_name_validation_routes(client):
    for kind in ("packages", "services", "triggers"):
        assert client.transport.json("GET", f"/piper-misc/naming/{kind}/good-name-1")["valid"] is True
        with pytest.raises(BadRequest, match="invalid"):
            client.transport.json("GET", f"/piper-misc/naming/{kind}/Not_Valid")


def test_open_in_web(project, src, unique, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, new=0, autoraise=True: opened.append(url))
    package = project.packages.push(package_name=unique("pkg"), src_path=src, modules=[module()])
    package.open_in_web()
    project.packages.open_in_web()
    assert opened == [f"{project.client.console_url}projects/{project.id}/packages/{package.id}/main",
                      f"{project.client.console_url}projects/{project.id}/packages"]
