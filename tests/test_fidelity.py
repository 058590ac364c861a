"""Platform fidelity (issue 13): what the platform does, checked over raw HTTP against the emulator.

Each test names the point of the issue it covers; the official SDK's view of the same behaviour is in
tests/test_dtlpy_compat_fidelity.py.
"""
from __future__ import annotations

import io
import json
import time

import pytest
import requests
from PIL import Image

ANNA, BEN = "anna@labelers.io", "ben@labelers.io"


class Api:
    """Raw HTTP to the emulator as one user: ``api.post("/datasets", json=...)`` -> ``requests.Response``."""

    def __init__(self, emulator, email: str = "fidelity@dataloop.local"):
        self.base = emulator.url + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + emulator.token(email)

    def __getattr__(self, method):
        return lambda path, **kw: self.session.request(method.upper(), self.base + path, timeout=60, **kw)

    def ok(self, method: str, path: str, **kw):
        response = getattr(self, method)(path, **kw)
        assert response.status_code == 200, f"{method.upper()} {path}: {response.status_code} {response.text}"
        return response.json()

    def command(self, method: str, path: str, **kw) -> dict:
        """Run an endpoint answering with a Command and wait for it to end."""
        command = self.ok(method, path, **kw)
        deadline = time.monotonic() + 60
        while command["status"] not in ("success", "failed", "aborted") and time.monotonic() < deadline:
            time.sleep(0.05)
            command = self.ok("get", f"/commands/{command['id']}")
        return command


@pytest.fixture(scope="module")
def api(emulator):
    return Api(emulator)


@pytest.fixture
def project(api, unique):
    return api.ok("post", "/projects", data={"name": unique("fidelity")})


@pytest.fixture
def dataset(api, project, unique):
    return api.ok("post", "/datasets", json={"name": unique("ds"), "projects": [project["id"]]})


def upload(api, dataset, path: str, data: bytes = b"x", mimetype: str = "text/plain") -> dict:
    return api.ok("post", f"/datasets/{dataset['id']}/items",
                  files={"file": (path.rsplit("/", 1)[-1], data, mimetype)}, data={"path": path})


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def items(api, dataset):
    return [upload(api, dataset, f"/f/{i}.txt", str(i).encode()) for i in range(4)]


def create_task(api, dataset, name="task", **extra) -> dict:
    body = {"name": name, "query": json.dumps({"filter": {"$and": [{"hidden": False}, {"type": "file"}]}}),
            "datasetId": dataset["id"], "projectId": dataset["projects"][0], "spec": {"type": "annotation"},
            "asynced": True, "priority": 2, **extra}
    command = api.command("post", "/annotationtasks", json=body)
    assert command["status"] == "success", command
    return api.ok("get", f"/annotationtasks/{command['spec']['createdTaskId']}")


def task_items(api, dataset, task, exclude=None) -> list:
    clauses = [{"metadata.system.refs.id": {"$in": [task["id"]]}}]
    if exclude:
        clauses.append({"metadata.system.refs.id": {"$ne": exclude}})
    page = api.ok("post", f"/datasets/{dataset['id']}/query",
                  json={"resource": "items", "filter": {"$and": clauses}, "pageSize": 1000})
    return page["items"]


# -- 1-3: tasks ------------------------------------------------------------------------------------
def test_1_two_tasks_may_share_a_name(api, dataset, items, unique):
    name = unique("same")
    first = create_task(api, dataset, name, workload=[{"assigneeId": ANNA, "load": 100}])
    second = create_task(api, dataset, name, workload=[{"assigneeId": BEN, "load": 100}])
    assert first["id"] != second["id"] and first["name"] == second["name"] == name
    page = api.ok("post", "/annotationtasks/query",
                  json={"filter": {"name": name}, "context": {"projectIds": dataset["projects"]}})
    assert page["totalItemsCount"] == 2


def test_2_task_without_assignees_and_pulling_task(api, dataset, items, unique):
    task = create_task(api, dataset, unique("open"))
    assert task["assignmentIds"] == [] and task["totalItems"] == 4 and task["status"] == "open"
    assert len(task_items(api, dataset, task)) == 4
    pulling = create_task(api, dataset, unique("pull"), metadata={"system": {
        "allowedAssignees": [ANNA, BEN], "batchSize": 2, "maxBatchWorkload": 4}})
    assert pulling["metadata"]["system"]["batchSize"] == 2 and pulling["totalItems"] == 4


def test_2_empty_workload_is_a_task_without_assignees(api, dataset, items, unique):
    assert create_task(api, dataset, unique("empty"), workload=[])["assignmentIds"] == []


@pytest.mark.parametrize("kind, percentage, expected", [("qualification", None, 4 + 8), ("consensus", 100, 4 + 8),
                                                        ("consensus", 50, 4 + 4)])
def test_3_consensus_and_qualification_tasks_copy_their_items(api, dataset, items, unique, kind, percentage,
                                                              expected):
    system = {"consensusTaskType": kind, "allowedAssignees": [ANNA, BEN]}
    if percentage is not None:
        system.update(consensusPercentage=percentage, consensusAssignees=2)
    task = create_task(api, dataset, unique(kind), metadata={"system": system},
                       workload=[{"assigneeId": ANNA, "load": 50}, {"assigneeId": BEN, "load": 50}])
    consensus_id = task["metadata"]["system"]["consensusAssignmentId"]
    every = task_items(api, dataset, task)
    assert len(every) == expected and task["totalItems"] == expected
    copies = [i for i in every if i.get("srcItem")]
    assert len(copies) == expected - 4 and all(i["hidden"] for i in copies)
    assert {c["srcItem"] for c in copies} <= {i["id"] for i in items}
    assert len(task_items(api, dataset, task, exclude=consensus_id)) == expected - 4 + (4 - len(copies) // 2)
    visible = api.ok("post", f"/datasets/{dataset['id']}/query",
                     json={"filter": {"$and": [{"hidden": False}, {"type": "file"}]}})
    assert visible["totalItemsCount"] == 4  # the copies do not show in the dataset
    api.command("delete", f"/annotationtasks/{task['id']}", json={"asynced": True})
    assert task_items(api, dataset, task) == []
    remaining = api.ok("post", f"/datasets/{dataset['id']}/query", json={"filter": {"type": "file"}})["items"]
    assert sorted(i["id"] for i in remaining) == sorted(i["id"] for i in items)  # the copies went with the task


# -- 4-7: items and datasets -----------------------------------------------------------------------
def test_4_get_dataset_items_lists_the_items(api, dataset, items):
    page = api.ok("get", f"/datasets/{dataset['id']}/items")
    assert page["totalItemsCount"] == 4 and {i["id"] for i in page["items"]} == {i["id"] for i in items}
    second = api.ok("get", f"/datasets/{dataset['id']}/items", params={"pageOffset": 1, "pageSize": 3})
    assert len(second["items"]) == 1 and not second["hasNextPage"]


def test_5_item_update_drops_unknown_root_fields(api, items):
    item = items[0]
    answer = api.ok("patch", f"/items/{item['id']}", json={"bogusField": 1, "description": "kept"})
    stored = api.ok("get", f"/items/{item['id']}")
    assert "bogusField" not in answer and "bogusField" not in stored
    assert answer["description"] == stored["description"] == "kept"
    assert api.ok("patch", f"/items/{item['id']}", json={"description": ""})["description"] is None


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_6_malformed_dataset_id_is_not_found(api, method):
    response = getattr(api, method)("/datasets/some_ID", json={})
    assert response.status_code == 404 and "some_ID" in response.json()["message"]


@pytest.mark.parametrize("path", ["/items/Some_id", "/annotations/some_id", "/ontologies/some_id"])
def test_6_malformed_item_annotation_ontology_ids_stay_bad_requests(api, path):
    assert api.get(path).status_code == 400 and api.delete(path).status_code == 400


@pytest.mark.parametrize("path, status", [
    ("/datasets/bad", 404), ("/datasets/bad/directoryTree", 404), ("/datasets/bad/items", 404),
    ("/datasets/bad/schema", 404), ("/items/bad", 400), ("/items/bad/stream", 400), ("/items/bad/thumbnail", 400),
    ("/annotations/bad", 400), ("/ontologies/bad", 400), ("/recipes/bad", 400), ("/annotationtasks/bad", 400),
    ("/assignments/bad", 400), ("/commands/bad", 400), ("/drivers/bad", 400), ("/pipelines/bad", 400),
])
def test_6_malformed_id_statuses_per_resource(api, path, status):
    """Datasets answer 404 for a malformed id (BDD datasets get); items, annotations and ontologies 400 (BDD get and
    delete by "some_id"); the others keep 400, which the SDK reports as BadRequest naming the id."""
    response = api.get(path)
    assert response.status_code == status and "bad" in response.json()["message"], response.text


ITEM_KEYS = {"id", "datasetId", "projectId", "type", "filename", "name", "dir", "hidden", "annotated",
             "annotationsCount", "createdAt", "updatedAt", "updatedBy", "creator", "description", "spec", "srcItem",
             "url", "stream", "thumbnail", "annotations", "dataset", "metadata"}
DATASET_KEYS = {"id", "name", "url", "items", "projects", "creator", "createdAt", "updatedAt", "updatedBy",
                "itemsCount", "annotated", "annotationsCount", "metadata", "directoryTree", "driver", "readableType",
                "accessLevel", "readonly", "expirationOptions", "indexDriver", "enableSyncWithCloned", "isSyncing",
                "srcDataset", "locked"}


def test_7_items_and_datasets_have_the_full_platform_shape(api, dataset, items):
    for item in (items[0], api.ok("get", f"/items/{items[0]['id']}"),
                 api.ok("post", f"/datasets/{dataset['id']}/items", data={"type": "dir", "path": "/newdir"})):
        assert ITEM_KEYS <= set(item), ITEM_KEYS - set(item)
        assert item["projectId"] == dataset["projects"][0]
    for doc in (dataset, api.ok("get", f"/datasets/{dataset['id']}"),
                api.ok("post", "/datasets/query", json={"context": {"projects": dataset["projects"]}})["items"][0]):
        assert DATASET_KEYS <= set(doc), DATASET_KEYS - set(doc)
        assert doc["readonly"] is False and doc["locked"] is False and doc["srcDataset"] is None


ENTITY_KEYS = {
    "project": "id name url createdAt updatedAt creator org contributors role account isBlocked archived "
               "featureConstraints systemProject",
    "recipe": "id title projectIds ontologyIds creator url description instructions examples customActions uiSettings "
              "metadata createdAt updatedAt updatedBy",
    "ontology": "id title creator url roots attributes metadata",
    "task": "id name status projectId datasetId recipeId url creator taskOwner dueDate spec query metadata "
            "assignmentIds itemStatus annotationStatus progress forReview issues totalItems availableActions priority "
            "description createdAt updatedAt",
    "assignment": "id name annotator status projectId url metadata updatedBy updatedAt annotationStatus itemStatus "
                  "totalItems forReview issues",
    "annotation": "id url item itemId dataset datasetId type label attributes metadata creator createdAt updatedBy "
                  "updatedAt source hash",
    "pipeline": "id name url creator orgId projectId compositionId status createdAt updatedAt updatedBy startNodes nodes "
                "connections variables settings preview description revisions",
}


def test_7_every_entity_has_the_platform_shape(api, project, dataset, items):
    recipe = api.ok("get", f"/recipes/{dataset['metadata']['system']['recipes'][0]}")
    task = create_task(api, dataset, "shape", workload=[{"assigneeId": ANNA, "load": 100}])
    [annotation] = api.ok("post", f"/items/{items[0]['id']}/annotations", json=[{"type": "class", "label": "x"}])
    docs = {"project": project, "recipe": recipe, "ontology": api.ok("get", f"/ontologies/{recipe['ontologyIds'][0]}"),
            "task": task, "assignment": api.ok("get", f"/assignments/{task['assignmentIds'][0]}"),
            "annotation": annotation,
            "pipeline": api.ok("post", "/pipelines", json={"name": "shape", "projectId": project["id"]})}
    for kind, keys in ENTITY_KEYS.items():
        assert set(keys.split()) <= set(docs[kind]), (kind, set(keys.split()) - set(docs[kind]))


# -- 8-11: export lock and history, system datasets, thumbnails, schema, clone onto a taken name -----
def test_8_export_with_lock_keeps_the_dataset_locked_until_unlocked(api, dataset, items):
    assert api.patch(f"/datasets/{dataset['id']}/unlock").status_code == 400
    command = api.command("post", f"/datasets/{dataset['id']}/export",
                          json={"exportType": "json", "datasetLock": True, "annotations": {"include": False}})
    assert command["status"] == "success"
    locked = api.ok("get", f"/datasets/{dataset['id']}")
    assert locked["readonly"] is True and locked["locked"] is True
    api.ok("patch", f"/datasets/{dataset['id']}", json=locked)  # a full-document update while locked
    assert api.ok("patch", f"/datasets/{dataset['id']}/unlock")["readonly"] is False
    assert api.ok("get", f"/datasets/{dataset['id']}")["readonly"] is False
    response = api.patch(f"/datasets/{dataset['id']}/unlock")
    assert response.status_code == 400 and "dataset is not locked" in response.json()["message"]


def test_8_export_lock_ends_after_its_timeout(api, dataset, items):
    api.command("post", f"/datasets/{dataset['id']}/export",
                json={"exportType": "json", "datasetLock": True, "lockTimeoutSec": 1})
    deadline = time.monotonic() + 30
    while api.ok("get", f"/datasets/{dataset['id']}")["readonly"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert api.ok("get", f"/datasets/{dataset['id']}")["readonly"] is False
    assert api.patch(f"/datasets/{dataset['id']}/unlock").status_code == 400


def test_8_export_history(api, project, dataset, items):
    command = api.command("post", f"/datasets/{dataset['id']}/export", json={"exportType": "json"})
    history = api.ok("post", "/datasets/exports", json={"sortOrder": "ASC", "sortBy": "createdAt",
                                                        "projects": [project["id"]], "datasetId": dataset["id"]})
    assert [r["id"] for r in history["records"]] == [command["id"]]
    assert history["records"][0]["status"] == "success" and history["records"][0]["datasetId"] == dataset["id"]
    assert api.post("/datasets/exports", json={"projects": "nope"}).status_code == 400


def test_9_listing_with_system_space_includes_the_binaries_dataset(api, project, dataset):
    context = {"datasets": [project["id"]]}
    without = api.ok("post", "/datasets/query", json={"resource": "datasets", "context": context,
                                                      "systemSpace": False})
    with_system = api.ok("post", "/datasets/query", json={"resource": "datasets", "context": context,
                                                          "systemSpace": True})
    assert [d["name"] for d in without["items"]] == [dataset["name"]]
    assert sorted(d["name"] for d in with_system["items"]) == sorted([dataset["name"], "Binaries"])


def test_10_thumbnail_of_an_image_item(api, dataset):
    item = upload(api, dataset, "/pics/red.png", png(), "image/png")
    response = api.get(f"/items/{item['id']}/thumbnail")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("image/")
    assert max(Image.open(io.BytesIO(response.content)).size) <= 128
    first = api.ok("get", f"/items/{item['id']}")["metadata"]["system"]["thumbnailId"]
    assert api.get(f"/items/{item['id']}/thumbnail").content == response.content
    assert api.ok("get", f"/items/{item['id']}")["metadata"]["system"]["thumbnailId"] == first
    api.ok("patch", f"/items/{item['id']}", params={"system": "true"},
           json={"metadata": {"system": {"thumbnailId": None}}})
    assert api.get(f"/items/{item['id']}/thumbnail").status_code == 200
    assert api.ok("get", f"/items/{item['id']}")["metadata"]["system"]["thumbnailId"] != first
    tree = api.ok("get", f"/datasets/{dataset['id']}/directoryTree")
    names = {c["value"]["filename"] for c in tree["children"]}
    assert "/.dataloop" in names
    thumbnail_id = api.ok("get", f"/items/{item['id']}")["metadata"]["system"]["thumbnailId"]
    assert api.ok("delete", f"/items/{item['id']}") is True
    assert api.get(f"/items/{thumbnail_id}").status_code == 404  # the thumbnail goes with its item


def test_10_a_named_thumbnail_that_is_not_the_items_own_is_neither_served_nor_deleted(api, dataset):
    first = upload(api, dataset, "/pics/one.png", png(), "image/png")
    second = upload(api, dataset, "/pics/two.png", png(), "image/png")
    assert api.get(f"/items/{first['id']}/thumbnail").status_code == 200
    thumbnail_id = api.ok("get", f"/items/{first['id']}")["metadata"]["system"]["thumbnailId"]
    # a copied (or edited) thumbnailId names another item's thumbnail: that one is not this item's
    api.ok("patch", f"/items/{second['id']}", params={"system": "true"},
           json={"metadata": {"system": {"thumbnailId": thumbnail_id}}})
    assert api.get(f"/items/{second['id']}/thumbnail").status_code == 200
    assert api.ok("get", f"/items/{second['id']}")["metadata"]["system"]["thumbnailId"] != thumbnail_id
    api.ok("patch", f"/items/{second['id']}", params={"system": "true"},
           json={"metadata": {"system": {"thumbnailId": first["id"]}}})
    assert api.ok("delete", f"/items/{second['id']}") is True
    assert api.get(f"/items/{first['id']}").status_code == 200  # an item named by it is not deleted with it
    assert api.get(f"/items/{thumbnail_id}").status_code == 200


def test_10_thumbnail_of_a_non_image_is_not_found(api, dataset, items):
    response = api.get(f"/items/{items[0]['id']}/thumbnail")
    assert response.status_code == 404 and "thumbnail" in response.json()["message"]


def test_10_unsearchable_paths(api, dataset):
    path = f"/datasets/{dataset['id']}/schema"
    assert api.ok("get", path)["items"]["unsearchablePaths"] == []
    assert api.command("post", path + "/items", json={"unsearchablePaths": {"add": ["metadata.test"]}})[
        "status"] == "success"
    assert api.ok("get", path)["items"]["unsearchablePaths"] == ["metadata.test"]
    api.command("post", path + "/items", json={"unsearchablePaths": {"remove": ["metadata.test"]}})
    assert api.ok("get", path)["items"]["unsearchablePaths"] == []
    bad = api.post(path + "/items", json={"unsearchablePaths": {"add": "metadata.test"}})
    assert bad.status_code == 400 and "unsearchablePaths.add" in bad.json()["message"]


def test_11_clone_onto_a_taken_name_is_a_failed_command(api, dataset):
    command = api.command("post", f"/datasets/{dataset['id']}/clone",
                          json={"name": dataset["name"], "filter": {}, "cloneDatasetParams": {}})
    assert command["status"] == "failed"
    assert "Dataset with the same name already exists" in command["error"]


# -- 12-16: projects, ontologies, recipes, annotations ---------------------------------------------
@pytest.mark.parametrize("name", ["a#b", "50%", "what?", "<tag>", 'say "hi"', "x\ny", "a{b}", "back\\slash"])
def test_12_project_name_with_illegal_characters_is_rejected(api, name):
    response = api.post("/projects", data={"name": name})
    assert response.status_code == 400 and "illegal character" in response.json()["message"]


def test_12_duplicate_project_says_failed_to_create_project(api, project):
    response = api.post("/projects", data={"name": project["name"]})
    assert response.status_code == 400
    assert response.json()["message"].startswith("Failed to create project") and "already exists" in \
        response.json()["message"]


@pytest.mark.parametrize("project_id", ["some_project_id", "0" * 24])
def test_13_ontology_for_an_unknown_project_is_forbidden(api, project_id):
    response = api.post("/ontologies", json={"roots": [], "projectIds": [project_id]})
    assert response.status_code == 403


def test_13_ontology_for_a_project_of_someone_else_is_forbidden(api, emulator, project):
    other = Api(emulator, "stranger@dataloop.local")
    assert other.post("/ontologies", json={"roots": [], "projectIds": [project["id"]]}).status_code == 403
    assert api.post("/ontologies", json={"roots": [], "projectIds": [project["id"]]}).status_code == 200


def test_14_an_ontology_used_by_a_recipe_can_be_deleted(api, dataset):
    recipe = api.ok("get", f"/recipes/{dataset['metadata']['system']['recipes'][0]}")
    ontology_id = recipe["ontologyIds"][0]
    assert api.ok("delete", f"/ontologies/{ontology_id}") is True
    assert api.get(f"/ontologies/{ontology_id}").status_code == 404
    assert ontology_id not in api.ok("get", f"/recipes/{recipe['id']}")["ontologyIds"]


def test_15_recipe_created_with_instructions_records_them(api, project):
    body = {"title": "guided", "projectIds": [project["id"]], "instructions": [{"text": "box every cat"}],
            "examples": [{"itemId": "2" * 24}], "description": "cats", "customActions": [{"action": "flag"}],
            "metadata": {"system": {"instructionDocument": {"name": "guide.pdf"}}}}
    created = api.ok("post", "/recipes", json=body)
    stored = api.ok("get", f"/recipes/{created['id']}")
    for key in ("instructions", "examples", "description", "customActions"):
        assert created[key] == stored[key] == body[key]
    assert stored["metadata"]["system"]["instructionDocument"] == {"name": "guide.pdf"}
    assert api.post("/recipes", json={"instructions": "read me"}).status_code == 400


def test_15_recipe_instructions_are_recorded(api, project, dataset):
    recipe_id = dataset["metadata"]["system"]["recipes"][0]
    document = {"itemId": "1" * 24, "datasetId": dataset["id"], "name": "guide.pdf"}
    recipe = api.ok("get", f"/recipes/{recipe_id}")
    recipe["metadata"]["system"]["instructionDocument"] = document
    recipe["instructions"] = [{"text": "label every cat"}]
    api.ok("patch", f"/recipes/{recipe_id}", params={"system": "true"}, json=recipe)
    stored = api.ok("get", f"/recipes/{recipe_id}")
    assert stored["metadata"]["system"]["instructionDocument"] == document
    assert stored["instructions"] == [{"text": "label every cat"}]


def test_16_clearing_an_annotation_description_stores_none(api, items):
    [annotation] = api.ok("post", f"/items/{items[0]['id']}/annotations",
                          json=[{"type": "class", "label": "cat", "description": "a cat"}])
    answer = api.ok("put", f"/annotations/{annotation['id']}", json={"description": ""})
    stored = api.ok("get", f"/annotations/{annotation['id']}")
    assert answer.get("description") is None and stored.get("description") is None
    [empty] = api.ok("post", f"/items/{items[0]['id']}/annotations",
                     json=[{"type": "class", "label": "dog", "description": ""}])
    assert empty.get("description") is None
