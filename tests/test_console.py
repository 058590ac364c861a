"""The emulator's web console over real HTTP: sign-in, escaping, every page's content, keyset paging, deep links."""
from __future__ import annotations

import io
import re
from html import escape

import numpy as np
import pytest
import requests
from PIL import Image

from dataloop_core.emulator.console import sign_in_link
from dataloop_core.entities.annotation_definitions import Box, Classification, Point, Polygon, Segmentation

TESTER = "tester@dataloop.local"  # the conftest client's user: the projects it creates are visible to it
EVIL = "<img src=x onerror=alert(1)>"


def png(width=64, height=48, color=(240, 240, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def session_for(emulator, email=TESTER) -> requests.Session:
    """A browser-like session signed in through the console's form."""
    session = requests.Session()
    response = session.post(emulator.url + "/console/login", data={"token": emulator.token(email), "next": ""},
                            allow_redirects=False)
    assert response.status_code == 303, response.text
    return session


@pytest.fixture(scope="module")
def console(emulator):
    with session_for(emulator) as session:
        yield lambda path, **kw: session.get(emulator.url + path, allow_redirects=False, **kw)


@pytest.fixture
def annotated(dataset, unique):
    """An image item named with HTML, in a folder, with a box, a polygon, a point, a mask and a class."""
    dataset.add_label("cat", color=(200, 30, 40))
    item = dataset.items.upload(local_path=png(200, 150), remote_path="/cats", remote_name=EVIL + ".png")
    builder = item.annotations.builder()
    builder.add(Box(20, 30, 120, 100, label="cat"))
    builder.add(Polygon([[10, 10], [60, 10], [40, 50]], label="dog"))
    builder.add(Point(150, 120, label="nose"))
    mask = np.zeros((150, 200), bool)
    mask[100:140, 20:80] = True
    builder.add(Segmentation(mask, label="grass"))
    builder.add(Classification(label="indoor"))
    builder.upload()
    return item


def path_of(url: str, emulator) -> str:
    assert url.startswith(emulator.url + "/console/"), url
    return url[len(emulator.url):]


# -- sign-in -------------------------------------------------------------------------------------------
def test_no_page_without_a_session(emulator, project, annotated):
    item_page = path_of(annotated.platform_url, emulator)
    for path in ("/console/", f"/console/projects/{project.id}", item_page, f"/console/media/items/{annotated.id}",
                 f"/console/media/items/{annotated.id}/thumbnail"):
        for headers in ({}, {"Authorization": f"Bearer {emulator.token(TESTER)}"},
                        {"Cookie": "dataloop_console=forged.cookie.value"}):
            response = requests.get(emulator.url + path, headers=headers, allow_redirects=False)
            assert response.status_code == 401, (path, headers.keys())
            assert "Sign in" in response.text and project.name not in response.text
            assert response.headers["Content-Type"].startswith("text/html")


def test_sign_in_form_sets_a_strict_http_only_cookie_and_never_echoes_the_token(emulator, project):
    token = emulator.token(TESTER)
    target = f"/console/projects/{project.id}"
    response = requests.post(emulator.url + "/console/login", data={"token": token, "next": target},
                             allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"].endswith(target)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert token not in cookie and token not in response.text and token not in response.headers["Location"]
    session_cookie = response.cookies["dataloop_console"]
    page = requests.get(emulator.url + target, cookies={"dataloop_console": session_cookie})
    assert page.status_code == 200 and project.name in page.text
    # the session cookie is no API token
    api = requests.get(emulator.url + "/api/v1/projects", headers={"Authorization": f"Bearer {session_cookie}"})
    assert api.status_code == 401


def test_a_bad_token_is_refused_with_the_reason(emulator):
    response = requests.post(emulator.url + "/console/login", data={"token": "not-a-token"}, allow_redirects=False)
    assert response.status_code == 401 and "Set-Cookie" not in response.headers
    assert "sign-in refused: malformed token" in response.text
    refresh = emulator.emulator.auth.issue(TESTER, kind="refresh")
    response = requests.post(emulator.url + "/console/login", data={"token": refresh}, allow_redirects=False)
    assert response.status_code == 401 and "wrong token type" in response.text and refresh not in response.text


def test_the_one_time_link_works_once(emulator, project):
    link = sign_in_link(emulator.emulator, emulator.url, TESTER)
    first = requests.get(f"{link}&next=/console/projects/{project.id}", allow_redirects=False)
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/console/projects/{project.id}")
    assert "dataloop_console" in first.cookies
    again = requests.get(link, allow_redirects=False)
    assert again.status_code == 401 and "already used" in again.text and "Set-Cookie" not in again.headers


@pytest.mark.parametrize("target", ["https://example.com/x", "//example.com/console/", "/api/v1/projects",
                                    "/console\\..\\x", "/console/../api/v1/projects"])
def test_sign_in_goes_back_only_to_a_console_page(emulator, target):
    response = requests.post(emulator.url + "/console/login", data={"token": emulator.token(TESTER),
                                                                     "next": target}, allow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/console/"


def test_sign_out_clears_the_cookie(emulator):
    session = session_for(emulator)
    response = session.post(emulator.url + "/console/logout", allow_redirects=False)
    assert response.status_code == 303
    assert session.get(emulator.url + "/console/projects", allow_redirects=False).status_code == 401


def test_pages_carry_a_strict_content_security_policy(console):
    response = console("/console/projects")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert console("/console/static/console.css").headers["Content-Type"].startswith("text/css")


# -- data pages ----------------------------------------------------------------------------------------
def test_from_the_projects_list_to_an_annotated_item(emulator, console, project, dataset, annotated):
    projects = console("/console/projects").text
    assert f'href="/console/projects/{project.id}"' in projects and escape(project.name) in projects
    overview = console(f"/console/projects/{project.id}").text
    assert f'href="/console/projects/{project.id}/datasets"' in overview and TESTER in overview
    datasets = console(f"/console/projects/{project.id}/datasets").text
    items_href = f"/console/projects/{project.id}/datasets/{dataset.id}/items"
    assert f'href="{items_href}"' in datasets
    root = console(items_href).text
    assert f'href="{items_href}?dir=%2Fcats"' in root and "1 items in the dataset" in root
    folder = console(items_href + "?dir=/cats").text
    item_href = f"{items_href}/{annotated.id}"
    assert f'href="{item_href}"' in folder and f"/console/media/items/{annotated.id}/thumbnail" in folder
    assert "5 annotations" in folder
    page = console(item_href)
    assert page.status_code == 200
    html = page.text
    assert 'viewBox="0 0 200 150"' in html and f'href="/console/media/items/{annotated.id}"' in html
    assert '<rect x="20" y="30" width="100" height="70" stroke="#c81e28"' in html  # the label's colour
    assert '<polygon points="10,10 60,10 40,50"' in html and '<circle cx="150" cy="120"' in html
    assert 'data-type="binary"><image href="data:image/png;base64,' in html
    assert 'classes: <b class="classes">indoor</b>' in html
    assert "image/png" in html and "200 x 150" in html


def test_an_annotation_that_cannot_be_drawn_says_why(emulator, console, project, dataset, annotated):
    emulator.emulator.store.insert("annotation", {"type": "box", "label": "cat", "coordinates": "garbage",
                                                  "itemId": annotated.id, "datasetId": dataset.id}, scope=dataset.id)
    html = console(f"/console/projects/{project.id}/datasets/{dataset.id}/items/{annotated.id}").text
    assert html.count("<td>drawn</td>") == 4 and "<td>no geometry</td>" in html
    assert "not drawn: unreadable coordinates (" in html and html.count('data-type="box"') == 1


def test_html_in_names_is_escaped(console, project, dataset, annotated):
    pages = [f"/console/projects/{project.id}/datasets/{dataset.id}/items?dir=/cats",
             f"/console/projects/{project.id}/datasets/{dataset.id}/items/{annotated.id}"]
    for path in pages:
        html = console(path).text
        assert EVIL not in html and escape(EVIL) in html


def test_html_in_a_folder_name_and_dataset_name_is_escaped(console, project, unique):
    dataset = project.datasets.create(unique("<script>alert(1)</script>"))
    dataset.items.upload(local_path=b"x", remote_path="/<b>bold<", remote_name="a.txt")
    items = f"/console/projects/{project.id}/datasets/{dataset.id}/items"
    for path in (f"/console/projects/{project.id}/datasets", items, items + "?dir=/<b>bold<"):
        html = console(path).text
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>bold" not in html
        assert path.endswith("datasets") or "&lt;b&gt;bold&lt;" in html


def test_folders_page_with_keyset_cursors(console, project, dataset, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(230):
        (folder / f"f{i:03d}.txt").write_bytes(b"x")
    dataset.items.upload(local_path=str(folder), remote_path="/")
    base = f"/console/projects/{project.id}/datasets/{dataset.id}/items"
    seen, path, pages = [], base + "?dir=/many", 0
    while path:
        html = console(path.replace("&amp;", "&")).text
        names = re.findall(r'<div class="name">(f\d{3}\.txt)</div>', html)
        seen.extend(names)
        pages += 1
        following = re.search(r'<a href="([^"]+)">next page', html)
        path = following.group(1) if following else None
        assert len(names) == (100 if path else 30)
    assert pages == 3 and sorted(seen) == [f"f{i:03d}.txt" for i in range(230)] and len(set(seen)) == 230


def test_thumbnails_and_images_only_for_image_items(console, dataset, annotated):
    thumbnail = console(f"/console/media/items/{annotated.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumbnail.content)).size == (200, 150)
    image = console(f"/console/media/items/{annotated.id}")
    assert image.status_code == 200 and image.content == png(200, 150)
    assert "sandbox" in image.headers["Content-Security-Policy"]
    html_item = dataset.items.upload(local_path=b"<script>alert(1)</script>", remote_name="page.html")
    for path in (f"/console/media/items/{html_item.id}", f"/console/media/items/{html_item.id}/thumbnail"):
        response = console(path)
        assert response.status_code == 404 and "no image to show" in response.text
        assert "<script>alert" not in response.text


def test_another_users_project_is_forbidden(emulator, project, annotated):
    with session_for(emulator, "stranger@dataloop.local") as stranger:
        for path in (f"/console/projects/{project.id}", path_of(annotated.platform_url, emulator),
                     f"/console/media/items/{annotated.id}"):
            response = stranger.get(emulator.url + path)
            assert response.status_code == 403 and "Permission denied" in response.text
        assert project.name not in stranger.get(emulator.url + "/console/projects").text


def test_bad_ids_and_mismatched_parents_name_the_problem(console, project, dataset, annotated, unique):
    assert "invalid project id: &#39;nope&#39;" in console("/console/projects/nope").text
    other = project.datasets.create(unique("other"))
    response = console(f"/console/projects/{project.id}/datasets/{other.id}/items/{annotated.id}")
    assert response.status_code == 404 and f"Item not found: {annotated.id}" in response.text
    response = console(f"/console/projects/{project.id}/datasets/{dataset.id}/items?after=x")
    assert response.status_code == 400 and "invalid page cursor" in response.text
    response = console(f"/console/projects/{project.id}/datasets/{dataset.id}/items?dir=relative")
    assert response.status_code == 400 and "invalid folder" in response.text


def test_client_deep_links_open_the_matching_pages(emulator, client, console, project, dataset, annotated):
    assert client.console_url == emulator.url + "/console/"
    expected = {project.platform_url: project.name, client.projects.platform_url: project.name,
                dataset.platform_url: dataset.name, project.datasets.platform_url: dataset.name,
                annotated.platform_url: escape(annotated.name)}
    for url, text in expected.items():
        response = console(path_of(url, emulator))
        assert response.status_code == 200 and text in response.text, url


# -- work, FaaS, pipelines, commands -------------------------------------------------------------------
@pytest.fixture
def task(dataset):
    """A task over three items for two assignees; one item completed, one discarded."""
    items = [dataset.items.upload(local_path=png(), remote_path="/work", remote_name=f"w{i}.png") for i in range(4)]
    task = dataset.tasks.create(task_name="label <it>", assignee_ids=["ann@x.com", "bob@x.com"])
    items[0].update_status("completed", task_id=task.id)
    items[1].update_status("discard", task_id=task.id)
    return dataset.tasks.get(task_id=task.id)


def test_task_page_shows_progress_per_assignee_and_item_statuses(console, project, task):
    html = console(f"/console/projects/{project.id}/tasks/{task.id}").text
    assert "Task label &lt;it&gt;" in html and '<progress max="100" value="50">' in html
    for status, count in (("open", 2), ("completed", 1), ("discard", 1)):
        assert re.search(rf'<span class="badge[^"]*">{status}</span> <b>{count}</b>', html), status
    assignees = html.split('class="assignees"')[1].split("</table>")[0]
    assert "ann@x.com" in assignees and "bob@x.com" in assignees
    assert assignees.count("<progress") == 2 and html.count('<td><a href="/console/projects/') >= 4
    tasks = console(f"/console/projects/{project.id}/tasks").text
    assert f'href="/console/projects/{project.id}/tasks/{task.id}"' in tasks


def test_assignment_pages_list_their_items(console, project, task):
    assignment = task.assignments.list()[0]
    for path in (f"/console/projects/{project.id}/assignments/{assignment.id}",
                 f"/console/projects/{project.id}/tasks/{task.id}/assignments/{assignment.id}"):
        html = console(path).text
        assert assignment.annotator in html and html.count("<tr>") - 1 >= 2 + assignment.to_json()["totalItems"]
    other = console(f"/console/projects/{project.id}/tasks/{'0' * 24}/assignments/{assignment.id}")
    assert other.status_code == 404 and f"Assignment not found: {assignment.id}" in other.text


@pytest.fixture(scope="module")
def execution(faas_project, package):
    """A finished execution of the runner's ``run`` on an item named with HTML (the function prints the name)."""
    from faas_runner import wait_status
    dataset = faas_project.datasets.create(f"runs-{package.name}")
    item = dataset.items.upload(local_path=b"x", remote_name="<svg onload=alert(1)>.txt")
    service = package.deploy(service_name=f"svc-{package.name}", init_input={"greeting": "hi"})
    execution = service.execute(function_name="run", execution_input={"item": item.id})
    return service, wait_status(service, execution.id, "success")


def test_execution_page_shows_status_input_output_and_logs(console, faas_project, execution):
    service, done = execution
    html = console(f"/console/projects/{faas_project.id}/services/{service.id}/executions/{done.id}").text
    assert '<span class="badge ok">success</span>' in html and "half way" in html
    assert "&#34;item_id&#34;" in html and done.input["item"]["item_id"] in html
    log = html.split('class="log"')[1]
    assert "hi &lt;svg onload=alert(1)&gt;.txt" in log and "<svg onload" not in html
    assert "processing " + done.input["item"]["item_id"] in log
    service_html = console(f"/console/projects/{faas_project.id}/services/{service.id}/main").text
    assert f"/services/{service.id}/executions/{done.id}" in service_html
    assert f"/services/{service.id}/main" in console(f"/console/projects/{faas_project.id}/services").text


def test_pipeline_pages_show_nodes_and_the_last_runs_node_statuses(console, project, dataset, unique):
    from dataloop_core.entities.pipeline_node import CodeNode

    def keep(item):
        return item
    first = CodeNode("first <node>", project.id, project.name, keep)
    second = CodeNode("second", project.id, project.name, keep)
    pipeline = project.pipelines.create(name=unique("pipe"))
    pipeline.connect(first, second)
    pipeline = pipeline.update().install()
    item = dataset.items.upload(local_path=b"p", remote_name="p.txt")
    run = pipeline.execute(execution_input={"item": item.id}).wait(timeout=120)
    assert run.status == "success"
    html = console(f"/console/projects/{project.id}/pipelines/{pipeline.id}").text
    assert "first &lt;node&gt;" in html and "<td>first &lt;node&gt;</td><td>second</td>" in html
    runs = html.split('class="runs"')[1].split("</table>")[0]
    assert f"/pipelines/{pipeline.id}/executions/{run.id}" in runs and runs.count(">success</span>") == 3
    run_html = console(f"/console/projects/{project.id}/pipelines/{pipeline.id}/executions/{run.id}").text
    executions = run.executions[second.node_id]
    assert f"/services/{executions[0]['serviceId']}/executions/{executions[0]['id']}" in run_html
    assert f"/pipelines/{pipeline.id}" in console(f"/console/projects/{project.id}/pipelines").text


def test_commands_pages_list_the_callers_commands(emulator, console, task):
    html = console("/console/commands").text
    command_id = re.search(r'href="/console/commands/([0-9a-f]{24})"', html).group(1)
    page = console(f"/console/commands/{command_id}")
    assert page.status_code == 200 and "Spec" in page.text
    with session_for(emulator, "stranger@dataloop.local") as stranger:
        assert stranger.get(emulator.url + f"/console/commands/{command_id}").status_code == 403
        assert command_id not in stranger.get(emulator.url + "/console/commands").text


def test_every_deep_link_shape_opens_its_page(emulator, client, console, project, dataset, task, execution,
                                              faas_project, package, unique):
    """The client's platform_url/console_url links, and the provider's and Prefect's run links, open pages (the
    pipeline run shape is opened by the pipeline test)."""
    service, done = execution
    assignment = task.assignments.list()[0]
    recipe = dataset.recipes.list()[0]
    pipeline = project.pipelines.create(name=unique("linked"))
    base = client.console_url
    links = {project.tasks.platform_url: task.name, task.platform_url: task.name,
             task.assignments.platform_url: assignment.annotator, assignment.platform_url: assignment.annotator,
             service.platform_url: service.name, package.platform_url: package.name,
             f"{base}projects/{faas_project.id}/packages": package.name, recipe.platform_url: "Recipe",
             project.recipes.platform_url: "Recipes", pipeline.platform_url: pipeline.name,
             f"{base}projects/{project.id}/pipelines": pipeline.name,
             f"{base}iam/{project.org['id']}/members": TESTER,
             # the provider's execution_url and pipeline_execution_url shapes, Prefect's console_url
             f"{base}projects/{faas_project.id}/services/{service.id}/executions/{done.id}": done.id,
             f"{base}projects/{faas_project.id}/services/{service.id}": service.name}
    for url, text in links.items():
        response = console(path_of(url, emulator))
        assert response.status_code == 200 and escape(text) in response.text, url


def test_serve_prints_a_one_time_console_link(tmp_path):
    import subprocess
    import sys
    process = subprocess.Popen([sys.executable, "-m", "dataloop_core.emulator", "serve", "--port", "0",
                                "--data-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        base = process.stdout.readline().strip()
        line = process.stdout.readline().strip()
        assert line.startswith(f"console (one-time sign-in link): {base}/console/login?code=")
        link = line.split(": ", 1)[1]
        signed_in = requests.get(link, allow_redirects=False)
        assert signed_in.status_code == 303 and "dataloop_console" in signed_in.cookies
        home = requests.get(base + "/console/", cookies=signed_in.cookies)
        assert home.status_code == 200 and "developer@dataloop.local" in home.text  # the default token's user
        assert requests.get(link, allow_redirects=False).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=15)
        process.stdout.close()
        process.stderr.close()


def test_folder_pages_and_counts_are_served_by_indexes(emulator):
    """Paging a folder of 100k items stays fast: each page is an index range scan, never a sort or a table scan."""
    from dataloop_core.emulator.console import data
    store = emulator.emulator.store
    plans = {"ix_item_dir": data.FOLDER_PAGE, "ix_item_list": data.OF_TYPE.format("count(*)")}
    for index, sql in plans.items():
        plan = " ".join(row[-1] for row in store.execute("EXPLAIN QUERY PLAN " + sql, ("d",) * sql.count("?")))
        assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, plan
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan


def test_the_page_of_a_running_execution_reloads_until_it_is_done(console, faas_project, execution, tmp_path):
    from faas_runner import wait_status
    service, _ = execution
    flag = tmp_path / "release"
    running = service.execute(function_name="block", execution_input={"flag": str(flag)})
    page = f"/console/projects/{faas_project.id}/services/{service.id}/executions/{running.id}"
    assert '<meta http-equiv="refresh" content="3">' in console(page).text
    flag.write_text("go")
    wait_status(service, running.id, "success")
    assert "http-equiv" not in console(page).text
