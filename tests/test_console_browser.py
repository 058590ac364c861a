"""The web console in a real headless browser (Debian's chromium, driven by its own --dump-dom/--screenshot command
line, so no driver or extra library is needed): sign-in, navigation from a project to an annotated item, the
overlay drawn, a task's progress and an execution's logs. Skipped only where chromium is not installed
(``apt-get install -y chromium``)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from html import unescape

import numpy as np
import pytest
from PIL import Image

from dataloop_core.emulator.console import sign_in_link
from dataloop_core.entities.annotation_definitions import Box, Polygon

TESTER = "tester@dataloop.local"
BOX_COLOR = (200, 30, 40)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# this machine's closed network: nothing in the background, no updates, no sync, no QUIC
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--window-size=1100,1000"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")


class Browser:
    """One browser profile (its own cookie jar) driven page by page through chromium's command line."""

    def __init__(self, emulator, profile):
        self.base, self.profile = emulator.url, profile

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", *args], capture_output=True,
                              text=True, timeout=90, check=True)

    def dom(self, path: str) -> str:
        """The page's DOM after the browser loaded and rendered it."""
        return self._run("--dump-dom", self.base + path).stdout

    def screenshot(self, path: str, target) -> Image.Image:
        self._run(f"--screenshot={target}", self.base + path)
        return Image.open(target).convert("RGB")


def href(dom: str, pattern: str) -> str:
    """The first link of the DOM whose target matches ``pattern``."""
    found = re.search(rf'href="({pattern})"', dom)
    assert found, f"no link matching {pattern!r}"
    return unescape(found.group(1))


@pytest.fixture
def browser(emulator, tmp_path):
    """A browser signed in through the one-time link, as ``dataloop-emulator serve`` prints it."""
    browser = Browser(emulator, tmp_path / "profile")
    link = sign_in_link(emulator.emulator, emulator.url, TESTER)
    landing = browser._run("--dump-dom", link + "&next=/console/projects").stdout
    assert "<h1>Projects</h1>" in landing and TESTER in landing
    return browser


def test_without_signing_in_the_browser_gets_the_sign_in_form(emulator, project, tmp_path):
    dom = Browser(emulator, tmp_path / "fresh").dom(f"/console/projects/{project.id}")
    assert "<h1>Sign in</h1>" in dom and 'name="token"' in dom and project.name not in dom


def test_from_a_project_to_an_annotated_item_with_its_overlay_drawn(browser, project, dataset, tmp_path):
    dataset.add_label("cat", color=BOX_COLOR)
    canvas = Image.new("RGB", (200, 150), (235, 235, 235))
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    item = dataset.items.upload(local_path=buffer.getvalue(), remote_path="/cats", remote_name="tabby.png")
    builder = item.annotations.builder()
    builder.add(Box(20, 30, 120, 100, label="cat"))
    builder.add(Polygon([[140, 20], [190, 20], [165, 60]], label="dog"))
    builder.upload()

    projects = browser.dom("/console/projects")
    dom = browser.dom(href(projects, f"/console/projects/{project.id}"))
    dom = browser.dom(href(dom, f"/console/projects/{project.id}/datasets"))
    dom = browser.dom(href(dom, f"/console/projects/{project.id}/datasets/{dataset.id}/items"))
    dom = browser.dom(href(dom, r"[^\"]*\?dir=%2Fcats"))
    item_path = href(dom, f"/console/projects/{project.id}/datasets/{dataset.id}/items/{item.id}")
    dom = browser.dom(item_path)
    assert "<h1>tabby.png</h1>" in dom and 'data-type="box"' in dom

    shot = np.asarray(browser.screenshot(item_path, tmp_path / "item.png")).astype(int)
    stroke = (np.abs(shot - BOX_COLOR).sum(axis=2) < 30)
    columns, rows = np.nonzero(stroke.sum(axis=0) >= 100)[0], np.nonzero(stroke.sum(axis=1) >= 100)[0]
    assert len(columns) and len(rows), "the box's colour is not drawn"
    width, height = columns.max() - columns.min(), rows.max() - rows.min()
    # the 100 x 70 box of a 200 x 150 image shown 800 pixels wide: edges 400 x 280 apart, in the box's colour
    assert abs(width - 400) <= 8 and abs(height - 280) <= 8, (width, height)
    centre = shot[(rows.min() + rows.max()) // 2, (columns.min() + columns.max()) // 2]
    assert not stroke[(rows.min() + rows.max()) // 2, (columns.min() + columns.max()) // 2], centre
    assert (np.abs(shot - (235, 235, 235)).sum(axis=2) < 6).sum() > 100_000  # the image itself is shown


def test_a_tasks_progress(browser, project, dataset):
    items = [dataset.items.upload(local_path=b"w", remote_name=f"w{i}.txt") for i in range(4)]
    task = dataset.tasks.create(task_name="review", assignee_ids=["ann@x.com"])
    items[0].update_status("completed", task_id=task.id)
    dom = browser.dom(f"/console/projects/{project.id}/tasks")
    dom = browser.dom(href(dom, f"/console/projects/{project.id}/tasks/{task.id}"))
    assert '<progress max="100" value="25">' in dom and "ann@x.com" in dom
    assert re.search(r'>completed</span> <b>1</b>', dom) and re.search(r'>open</span> <b>3</b>', dom)


def test_an_executions_logs(browser, faas_project, package):
    from faas_runner import wait_status
    dataset = faas_project.datasets.create(f"browser-{package.name}")
    item = dataset.items.upload(local_path=b"x", remote_name="seen-by-the-browser.txt")
    service = package.deploy(service_name=f"browser-{package.name}", init_input={"greeting": "hello"})
    done = wait_status(service, service.execute(function_name="run", execution_input={"item": item.id}).id,
                       "success")
    dom = browser.dom(f"/console/projects/{faas_project.id}/services/{service.id}/main")
    dom = browser.dom(href(dom, f"/console/projects/{faas_project.id}/services/{service.id}/executions/{done.id}"))
    logs = dom.split('class="log"')[1]
    assert "hello seen-by-the-browser.txt" in logs and f"processing {item.id}" in logs
