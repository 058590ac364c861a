"""What the examples need, shared by the Airflow and Prefect main jobs, examples and tests: the platform (or an
embedded emulator), generated images, a FaaS package whose service pre-annotates items (idempotent by name), and
a stand-in annotator that completes tasks through the API."""
from __future__ import annotations

import os
import textwrap
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from dataloop_core import DataloopClient
from dataloop_core.exceptions import NotFound

PACKAGE_CODE = textwrap.dedent('''
    import os, time

    class ServiceRunner:
        def pre_annotate(self, item):
            """A stand-in model: one box around the image, labelled by its brightness."""
            width, height = item.width or 64, item.height or 64
            item.annotations.upload([{"type": "box", "label": "object",
                                      "coordinates": [{"x": 0, "y": 0}, {"x": width - 1, "y": height - 1}],
                                      "metadata": {"system": {"model": {"name": "demo-model"}}}}])
            return item

        def pre_annotate_dataset(self, dataset):
            """Pre-annotate every item of the dataset that has no annotation yet; returns the count."""
            done = 0
            for item in dataset.items.list().all():
                if item.type == "file" and not item.annotated:
                    self.pre_annotate(item)
                    done += 1
            return {"pre_annotated": done}

        def echo(self, config):
            return {"echo": config}

        def fail(self):
            raise ValueError("model weights not found")

        def block(self, seconds):
            time.sleep(float(seconds))
            return "released"
''')
MODULES = [{"name": "default_module", "entryPoint": "main.py", "className": "ServiceRunner", "initInputs": [],
            "functions": [{"name": "pre_annotate", "input": [{"name": "item", "type": "Item"}],
                           "output": [{"name": "item", "type": "Item"}]},
                          {"name": "pre_annotate_dataset", "input": [{"name": "dataset", "type": "Dataset"}]},
                          {"name": "echo", "input": [{"name": "config", "type": "Json"}]},
                          {"name": "fail", "input": []},
                          {"name": "block", "input": [{"name": "seconds", "type": "Json"}]}]}]


def make_images(folder, count: int, size: int = 64, seed: int = 0) -> list:
    """``count`` small PNGs in ``folder`` (created), deterministic per ``seed``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        path = folder / f"img_{seed:03d}_{index:04d}.png"
        if not path.exists():
            Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def deploy_model_service(project, build_dir, name: str = "demo-model"):
    """The pre-annotation package and service of ``project`` (pushed and deployed once; found by name after)."""
    for service in project.services.list().all():
        if service.name == name:
            return service
    source = Path(build_dir) / f"{name}-{uuid.uuid4().hex[:6]}"
    source.mkdir(parents=True)
    (source / "main.py").write_text(PACKAGE_CODE)
    package = project.packages.push(src_path=str(source), package_name=name, modules=MODULES)
    return package.services.deploy(service_name=name)


def deploy_pipeline(project, service, name: str = "pre-annotate"):
    """An installed pipeline of one function node: the service's ``pre_annotate`` on its ``item`` input."""
    from dataloop_core.entities.pipeline_node import FunctionNode
    for pipeline in project.pipelines.list().all():
        if pipeline.name == name:
            return pipeline
    pipeline = project.pipelines.create(name=name)
    pipeline.add_node(FunctionNode("pre-annotate", service, "pre_annotate"))
    return pipeline.update().install()


def seed(client, work_dir, images: int = 24, project_name: str = "airflow-demo", dataset_name: str = "images"):
    """Project, dataset, images folder and model service for the example DAGs; returns their ids and paths."""
    work_dir = Path(work_dir)
    try:
        project = client.projects.get(project_name=project_name)
    except NotFound:
        project = client.projects.create(project_name)
    try:
        dataset = project.datasets.get(dataset_name=dataset_name)
    except NotFound:
        dataset = project.datasets.create(dataset_name, labels=["object"])
    folder = work_dir / "images"
    make_images(folder, images)
    service = deploy_model_service(project, work_dir / "build")
    pipeline = deploy_pipeline(project, service)
    return {"project_id": project.id, "dataset_id": dataset.id, "service_id": service.id, "pipeline_id": pipeline.id,
            "images_dir": str(folder), "export_dir": str(work_dir / "export"),
            "journal_dir": str(work_dir / "journal"), "annotator": client.user_email}


def env_settings(seeded: dict) -> dict:
    """The seed as the ``DATALOOP_DEMO_*`` variables the example DAGs read."""
    return {f"DATALOOP_DEMO_{key.upper()}": str(value) for key, value in seeded.items()}


def setting(name: str, default: str = "") -> str:
    """A ``DATALOOP_DEMO_<NAME>`` value for a DAG file (parsed at import, so never a network call)."""
    return os.environ.get(f"DATALOOP_DEMO_{name.upper()}", default)


@contextmanager
def dataloop(work: Path):
    """``(base_url, token)`` from the environment, else from an emulator started here for the job's duration."""
    if os.environ.get("DATALOOP_BASE_URL") and os.environ.get("DATALOOP_TOKEN"):
        yield os.environ["DATALOOP_BASE_URL"], os.environ["DATALOOP_TOKEN"]
        return
    from dataloop_core.emulator import EmulatorServer
    server = EmulatorServer(str(work / "emulator")).start()
    print(f"started an embedded emulator at {server.url}")
    try:
        yield server.url, server.token("annotator@dataloop.local")
    finally:
        server.stop()


class Annotator(threading.Thread):
    """Stands in for the annotators: completes every item of each new task of the dataset, through the API."""

    def __init__(self, client: DataloopClient, dataset_id: str):
        super().__init__(daemon=True)
        self.client, self.dataset_id, self.stop = client, dataset_id, threading.Event()
        self.done: dict = {}

    def run(self) -> None:
        dataset = self.client.datasets.get(dataset_id=self.dataset_id)
        while not self.stop.wait(0.5):
            for task in dataset.tasks.list():
                if task.id in self.done:
                    continue
                items = list(self.client.tasks.get_items(task_id=task.id).all())
                if not items:  # still being filled: look again on the next round
                    continue
                self.client.items.update_status("completed", items=items, task_id=task.id)
                self.done[task.id] = len(items)
                print(f"annotator: completed {len(items)} item(s) of task {task.name!r} through the API "
                      "(a person would do this in the annotation studio)", flush=True)
