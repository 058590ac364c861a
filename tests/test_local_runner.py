"""LocalServiceRunner / Packages.test_local_package: run a package's function locally with mock inputs."""
from __future__ import annotations

import json
import sys

import pytest

from dataloop_core.local_runner import LocalServiceRunner, check_cls_arguments, dtlpy_stand_in, sanity_check
from dataloop_core.repositories.packages import Packages

MAIN = '''class ServiceRunner:
    def __init__(self, factor=1):
        self.factor = factor

    def run(self, item, progress=None):
        progress.update(progress=50)
        return item.filename

    def scale(self, number, label="x"):
        return f"{label}{number * self.factor}"
'''


def write(folder, mock, package=None):
    (folder / "main.py").write_text(MAIN)
    (folder / "mock.json").write_text(json.dumps(mock))
    if package is not None:
        (folder / "package.json").write_text(json.dumps(package))
    return str(folder)


PACKAGE = {"name": "p", "modules": [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
                                     "functions": [{"name": "run", "input": [{"name": "item", "type": "Item"}]},
                                                   {"name": "scale", "input": [{"name": "number",
                                                                                "type": "Integer"}]}]}]}


def test_runs_with_entity_inputs_fetched_from_the_platform(project, dataset, tmp_path):
    item = dataset.items.upload(local_path=b"abc", remote_path="/local", remote_name="a.txt")
    cwd = write(tmp_path, {"inputs": [{"name": "item", "value": {"item_id": item.id}}]}, PACKAGE)
    assert project.packages.test_local_package(cwd=cwd) == "/local/a.txt"


def test_multithreaded_mock_and_init_params(project, tmp_path):
    cwd = write(tmp_path, {"function_name": "scale", "init_params": {"factor": 3},
                           "inputs": [[{"name": "number", "value": 1}], [{"name": "number", "value": 2}]]}, PACKAGE)
    assert project.packages.test_local_package(cwd=cwd, concurrency=2) == ["x3", "x6"]


def test_runner_errors(client, tmp_path):
    cwd = write(tmp_path, {"inputs": []}, PACKAGE)
    runner = LocalServiceRunner(client, Packages(client), cwd=cwd, function_name="scale")
    with pytest.raises(ValueError, match="No entry for field 'number'"):
        runner.run_local_project()
    with pytest.raises(ValueError, match="does not exist in module"):
        LocalServiceRunner(client, Packages(client), cwd=cwd, function_name="nope").run_local_project()
    with pytest.raises(ValueError, match="unknown input type"):
        runner.get_field("n", "Picture", {"inputs": [{"name": "n", "value": 1}]})
    assert runner.get_field("n", "Integer", {"inputs": [{"name": "n", "value": 4}]}) == 4


def test_class_checks(tmp_path):
    write(tmp_path, {"inputs": []})
    modules = sanity_check(str(tmp_path), PACKAGE["modules"])
    assert modules[0].name == "default_module"
    from dataloop_core.local_runner import load_class
    cls = load_class(str(tmp_path / "main.py"), "ServiceRunner")
    missing = []
    check_cls_arguments(cls, missing, "scale", [])
    assert missing == ['missing input name: "number" in function definition: "scale"']
    with pytest.raises(ValueError, match="class 'Nope' not found"):
        load_class(str(tmp_path / "main.py"), "Nope")


DTLPY_MAIN = '''import dtlpy as dl


class ServiceRunner(dl.BaseServiceRunner):
    def run(self, item: dl.Item, progress: dl.Progress = None):
        return [type(self).__mro__[1].__name__, dl.Filters.__name__]
'''


def test_dtlpy_style_code_loads_without_the_sdk(project, tmp_path):
    """``import dtlpy`` in main.py works for the sanity check and local runs; the stand-in does not linger."""
    (tmp_path / "main.py").write_text(DTLPY_MAIN)
    (tmp_path / "mock.json").write_text(json.dumps({"inputs": [{"name": "item", "value": None}]}))
    modules = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner",
                "functions": [{"name": "run", "input": [{"name": "item", "type": "Json"}]}]}]
    assert sanity_check(str(tmp_path), modules)[0].functions[0].name == "run"
    assert "dtlpy" not in sys.modules
    package = project.packages.push(package_name="dtlpy-style", src_path=str(tmp_path), modules=modules)
    assert project.packages.test_local_package(cwd=str(tmp_path), package=package) == \
        ["BaseServiceRunner", "Filters"]
    module = dtlpy_stand_in()
    assert module.Item.__name__ == "Item" and module.BaseServiceRunner is not None
    with pytest.raises(AttributeError, match="dtlpy is not installed here; dtlpy.Nonexistent"):
        module.Nonexistent
