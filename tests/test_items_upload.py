"""Items.upload: files, folders (file_types, trailing *), lists, buffers, arrays, URLs, links, annotations."""
import http.server
import io
import json
import threading

import numpy as np
import pytest

from dataloop_core.entities.item import ExportMetadata, Item, ItemLink, UrlLink
from dataloop_core.exceptions import PlatformException


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    (root / "a.jpg").write_bytes(b"a" * 10)
    (root / "sub" / "b.jpg").write_bytes(b"b" * 20)
    (root / "notes.txt").write_text("n")
    return root


def test_single_file_with_metadata_and_description(dataset, tree):
    item = dataset.items.upload(str(tree / "a.jpg"), remote_path="/in", item_metadata={"user": {"k": "v"}},
                                item_description="desc")
    assert isinstance(item, Item) and item.filename == "/in/a.jpg" and item.size == 10
    assert item.metadata["user"] == {"k": "v"} and item.description == "desc" and item.mimetype == "image/jpeg"
    assert dataset.items.upload(str(tree / "a.jpg"), remote_path="/in").id == item.id  # skip
    (tree / "a.jpg").write_bytes(b"c" * 10)
    replaced = dataset.items.upload(str(tree / "a.jpg"), remote_path="/in", overwrite=True)
    assert replaced.id == item.id


def test_folder_upload_keeps_head_folder_and_filters_types(dataset, tree):
    result = dataset.items.upload(str(tree), remote_path="/up", file_types=[".jpg"])
    assert {i.filename for i in result} == {"/up/photos/a.jpg", "/up/photos/sub/b.jpg"}
    listed = dataset.items.upload(str(tree) + "/*", remote_path="/flat", return_as_list=True)
    assert {i.filename for i in listed} == {"/flat/a.jpg", "/flat/sub/b.jpg", "/flat/notes.txt"}


def test_list_of_sources_buffers_and_arrays(dataset, tree):
    items = dataset.items.upload([str(tree / "a.jpg"), io.BytesIO(b"buffer"), b"raw"],
                                 remote_name=["x.jpg", "buf.txt", "raw.bin"], return_as_list=True)
    assert sorted(i.filename for i in items) == ["/buf.txt", "/raw.bin", "/x.jpg"]
    array = dataset.items.upload(np.full((4, 6, 3), 200, np.uint8), remote_name="arr.png")
    assert (array.width, array.height, array.mimetype) == (6, 4, "image/png")
    with pytest.raises(ValueError, match="remote_name"):
        dataset.items.upload(np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="match local_path"):
        dataset.items.upload([b"a", b"b"], remote_name=["one"])
    with pytest.raises(ValueError, match="nothing to upload"):
        dataset.items.upload(str(tree / "missing.jpg"))


def test_links_become_link_items(dataset):
    link = dataset.items.upload(UrlLink(ref="https://example.com/pic.jpg?x=1"))
    assert link.name == "picjpg_link.json"
    assert link.system["shebang"]["linkInfo"] == {"type": "url", "ref": "https://example.com/pic.jpg?x=1",
                                                   "mimetype": "image/jpeg"}
    target = dataset.items.upload(b"t", remote_name="t.txt")
    item_link = dataset.items.upload(ItemLink(item=target))
    assert item_link.system["shebang"]["linkInfo"]["ref"] == target.id


def test_http_url_is_fetched_then_uploaded(dataset):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"fetched")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        item = dataset.items.upload(f"http://127.0.0.1:{server.server_port}/files/remote.txt?sig=1")
    finally:
        server.shutdown()
    assert item.filename == "/remote.txt" and item.size == 7


def test_local_annotations_are_uploaded_for_created_items(dataset, tree, tmp_path):
    annotations = tmp_path / "ann" / "photos"
    (annotations / "sub").mkdir(parents=True)
    box = {"type": "box", "label": "cat", "coordinates": [{"x": 1, "y": 1}, {"x": 3, "y": 4}]}
    (annotations / "sub" / "b.json").write_text(json.dumps({"annotations": [box, box], "metadata": {"user": {"m": 1}}}))
    items = dataset.items.upload(str(tree) + "/*", local_annotations_path=str(annotations), file_types=[".jpg"],
                                 return_as_list=True)
    by_name = {i.name: i for i in items}
    assert len(by_name["b.jpg"].annotations.list()) == 2 and len(by_name["a.jpg"].annotations.list()) == 0
    single = dataset.items.upload(str(tree / "a.jpg"), remote_path="/one",
                                  local_annotations_path=str(annotations / "sub" / "b.json"),
                                  item_metadata=ExportMetadata.FROM_JSON)
    assert single.metadata["user"] == {"m": 1}
    assert len(single.annotations.list()) == 2


def test_errors_are_collected_or_raised(dataset, faults):
    faults({"path": f"/api/v1/datasets/{dataset.id}/items", "method": "POST", "status": 400, "times": 5})
    assert dataset.items.upload(b"x", remote_name="x.txt") is None
    faults({"path": f"/api/v1/datasets/{dataset.id}/items", "method": "POST", "status": 400, "times": 5})
    with pytest.raises(PlatformException, match="Errors in 1 files"):
        dataset.items.upload(b"x", remote_name="x.txt", raise_on_error=True)


def test_transient_server_errors_are_retried(dataset, faults):
    faults({"path": f"/api/v1/datasets/{dataset.id}/items", "method": "POST", "status": 500, "times": 1})
    assert dataset.items.upload(b"retry", remote_name="r.txt").size == 5
