"""Platform fidelity through the unmodified official SDK (issue 13): each check records its outcome (a value, or
the exception's class and message) in a JSON report, so one failure does not hide the others."""
import json
import os
import sys
import threading
import types

from _env import dl
from PIL import Image

workdir = sys.argv[1]
report = {}
ANNA, BEN = "anna@dataloop.local", "ben@dataloop.local"


def check(name):
    def run(function):
        try:
            report[name] = function()
        except Exception as exc:  # the report names what failed and how
            report[name] = {"error": type(exc).__name__, "message": str(exc)}
        return function
    return run


project = dl.projects.create(project_name=os.environ["NAME"])
dataset = project.datasets.create(dataset_name="fidelity")
source = os.path.join(workdir, "files")
os.makedirs(source)
for i in range(10):
    with open(os.path.join(source, f"f{i:02d}.txt"), "w") as fh:
        fh.write(f"file {i}")
Image.new("RGB", (300, 200), (10, 200, 10)).save(os.path.join(workdir, "green.png"))
dataset.items.upload(local_path=os.path.join(source, "*"), remote_path="/task")
image = dataset.items.upload(local_path=os.path.join(workdir, "green.png"), remote_path="/pics")
on_task = dl.Filters(field="dir", values="/task")


# -- tasks and assignments --------------------------------------------------------------------------
@check("same_name_tasks")
def _():
    first = dataset.tasks.create(task_name="twin", assignee_ids=[ANNA], filters=on_task)
    second = dataset.tasks.create(task_name="twin", assignee_ids=[BEN], filters=on_task)
    return [first.name == second.name, first.id != second.id]


@check("task_without_assignees")
def _():
    task = dataset.tasks.create(task_name="nobody", priority=dl.TaskPriority.HIGH, filters=on_task)
    return [task.priority, task.get_items().items_count]


@check("pulling_task")
def _():
    task = dataset.tasks.create(task_name="pulling", batch_size=3, allowed_assignees=[ANNA, BEN],
                                max_batch_workload=5, filters=on_task)
    return task.metadata["system"]["batchSize"]


@check("qualification_task")
def _():
    task = dataset.tasks.create(task_name="qualify", assignee_ids=[ANNA, BEN], filters=on_task,
                                metadata={"system": {"consensusTaskType": "qualification"}})
    return [task.get_items(get_consensus_items=True).items_count, task.get_items().items_count]


@check("consensus_task_50")
def _():
    task = dataset.tasks.create(task_name="consensus", assignee_ids=[ANNA, BEN], filters=on_task,
                                consensus_percentage=50, consensus_assignees=2)
    return task.get_items(get_consensus_items=True).items_count


# -- items and datasets -----------------------------------------------------------------------------
@check("malformed_dataset_id")
def _():
    project.datasets.get(dataset_id="some_ID")


@check("item_new_root_field")
def _():
    item = dataset.items.get(item_id=image.id)
    item_json = item.to_json()
    item_json["newField"] = "newField"
    item.to_json = types.MethodType(lambda self: item_json, item)
    dataset.items.update(item=item)
    success, response = dl.client_api.gen_request(req_type="get", path=f"/items/{image.id}")
    return "newField" in response.json()


@check("item_description_cleared")
def _():
    item = dl.items.get(item_id=image.id)
    item.set_description("words")
    item.description = None
    return [item.description, dl.items.get(item_id=image.id).description]


@check("dataset_items_endpoint")
def _():
    success, response = dl.client_api.gen_request(req_type="get", path=f"/datasets/{dataset.id}/items")
    return [success, response.json().get("totalItemsCount")]


@check("dataset_json_fields")
def _():
    success, response = dl.client_api.gen_request(req_type="get", path=f"/datasets/{dataset.id}")
    return sorted({"enableSyncWithCloned", "srcDataset", "locked", "expirationOptions", "readonly"}
                  - set(response.json()))


def _export_locked(errors):
    try:
        dataset.export(local_path=os.path.join(workdir, "export"), dataset_lock=True)
    except Exception as exc:
        errors.append(str(exc))


@check("export_lock_unlock_rename")
def _():
    errors = []
    exporter = threading.Thread(target=lambda: _export_locked(errors))
    exporter.start()
    exporter.join()
    locked = project.datasets.get(dataset_id=dataset.id).readonly
    project.datasets.unlock(dataset=dataset)
    item = dataset.items.get(item_id=image.id)
    item.filename = "/pics/renamed.png"
    renamed = dataset.items.update(item=item).filename
    return [errors, locked, project.datasets.get(dataset_id=dataset.id).readonly, renamed]


@check("export_history")
def _():
    success, response = dl.client_api.gen_request(
        req_type="post", path="/datasets/exports",
        json_req={"sortOrder": "ASC", "sortBy": "createdAt", "projects": [project.id], "datasetId": dataset.id})
    return [success, [r["status"] for r in response.json()["records"]]]


@check("system_datasets")
def _():
    dl.projects.create(project_name=os.environ["NAME"] + "-other").datasets.create(dataset_name="elsewhere")
    counts = []
    for system in (False, True):
        success, response = dl.client_api.gen_request(
            req_type="post", path="/datasets/query",
            json_req={"resource": "datasets", "context": {"datasets": [project.id]}, "systemSpace": system})
        counts.append(len(response.json()["items"]))
    return counts


@check("thumbnail")
def _():
    success, response = dl.client_api.gen_request(req_type="get", path=f"/items/{image.id}/thumbnail")
    first = dl.items.get(item_id=image.id).metadata["system"]["thumbnailId"]
    item = dl.items.get(item_id=image.id)
    item.metadata["system"]["thumbnailId"] = None
    item.update(system_metadata=True)
    dl.client_api.gen_request(req_type="get", path=f"/items/{image.id}/thumbnail")
    second = dl.items.get(item_id=image.id).metadata["system"]["thumbnailId"]
    return [success, first != second, "/.dataloop/thumbnails" in dataset.directory_tree.dir_names]


@check("unsearchable_paths")
def _():
    dataset.schema.unsearchable_paths.add(paths=["metadata.test"])
    added = "metadata.test" in dataset.schema.get()["items"]["unsearchablePaths"]
    dataset.schema.unsearchable_paths.remove(paths=["metadata.test"])
    return [added, "metadata.test" in dataset.schema.get()["items"]["unsearchablePaths"]]


@check("clone_onto_taken_name")
def _():
    try:
        dataset.clone(clone_name=dataset.name)
    except dl.exceptions.FailedDependency as error:
        command_id = dl.client_api.last_request.path_url.split("/")[-1]
        return ["Dataset with the same name already exists" in error.args[1], command_id in error.args[1]]
    return "no error"


# -- projects, ontologies, recipes, annotations -----------------------------------------------------
@check("project_illegal_name")
def _():
    dl.projects.create(project_name="¤¶§!#$%&'()*+,-./:;<=>?@[]^_`{|}~")


@check("project_duplicate")
def _():
    dl.projects.create(project_name=project.name)


@check("ontology_unknown_project")
def _():
    recipe = dataset.recipes.get(recipe_id=dataset.metadata["system"]["recipes"][0])
    recipe.ontologies.create(labels={"cat": "#ff0000"}, project_ids="some_project_id", attributes=list())


@check("ontology_in_use_deleted")
def _():
    recipe = dataset.recipes.get(recipe_id=dataset.metadata["system"]["recipes"][0])
    ontology_id = recipe.ontology_ids[0]
    return [recipe.ontologies.delete(ontology_id=ontology_id),
            ontology_id in dataset.recipes.get(recipe_id=recipe.id).ontology_ids]


@check("recipe_instruction")
def _():
    pdf = os.path.join(workdir, "guide.pdf")
    with open(pdf, "wb") as fh:
        fh.write(b"%PDF-1.4\n%fake\n")
    recipe = dataset.recipes.list()[0]
    recipe.add_instruction(annotation_instruction_file=pdf)
    return "instructionDocument" in dataset.recipes.get(recipe.id).metadata["system"]


@check("annotation_description_removed")
def _():
    builder = image.annotations.builder()
    builder.add(annotation_definition=dl.Box(10, 10, 20, 20, "cat", description="a cat"))
    annotation = image.annotations.upload(builder)[0]
    annotation.description = None
    annotation.update()
    return dl.annotations.get(annotation_id=annotation.id).description


print(json.dumps(report))
