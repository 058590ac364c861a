"""annotate_new_items end to end: new items -> pre-annotation (a FaaS model per item) -> annotation task ->
wait (a stand-in annotator completes it through the API) -> export."""
from __future__ import annotations

import json

from dags_examples.seed import Annotator
from dags_examples.seed import deploy_model_service
from prefect_dataloop import DataloopFunction
from prefect_dataloop.flows import annotate_new_items

from .conftest import artifacts_of, run_flow


def test_annotate_new_items(client, credentials, project, dataset, dataset_block, tmp_path, unique, emitted):
    service = deploy_model_service(project, tmp_path / "build")
    model = DataloopFunction(credentials=credentials, project_name=project.name, service_name=service.name,
                             function_name="pre_annotate", timeout_seconds=120)
    new = [dataset.items.upload(local_path=f"img {i}".encode(), remote_path="/new", remote_name=f"{i}.txt")
           for i in range(3)]
    dataset.items.upload(local_path=b"old", remote_path="/old", remote_name="old.txt")
    annotator = Annotator(client, dataset.id)
    annotator.start()
    try:
        result, run_id = run_flow(annotate_new_items, dataset_block, ["anna@labelers.io"], unique("review"),
                                  str(tmp_path / "export"), filters={"dir": "/new"}, pre_annotation=model,
                                  timeout=60)
    finally:
        annotator.stop.set()

    assert sorted(result["item_ids"]) == sorted(i.id for i in new) and result["items"] == 3
    assert [p["status"] for p in result["pre_annotation"]] == ["success"] * 3
    assert result["task"]["total_items"] == 3 and result["task"]["progress"] == 100
    assert (result["export"]["items"], result["export"]["annotations"]) == (3, 3)
    exported = json.loads(open(result["export"]["path"]).read())
    assert {i["filename"] for i in (exported if isinstance(exported, list) else exported["items"])} == \
        {f"/new/{i}.txt" for i in range(3)}
    assert len(emitted("dataloop.execution.succeeded")) == 3 and emitted("dataloop.task.")
    assert any(a.type == "markdown" and result["task"]["id"] in a.data for a in artifacts_of(run_id))


def test_annotate_new_items__nothing_new(dataset_block, tmp_path, unique):
    result, _ = run_flow(annotate_new_items, dataset_block, ["anna@labelers.io"], unique("none"),
                         str(tmp_path / "export"), filters={"dir": "/nothing-here"})
    assert result == {"items": 0, "item_ids": [], "pre_annotation": [], "task": None, "export": None}
