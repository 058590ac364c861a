"""Items.download: layout on disk, overwrite, buffers and arrays, filters, links, annotation renderings."""
import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from dataloop_core import Filters
from dataloop_core.entities.annotation import ViewAnnotationOptions
from dataloop_core.entities.annotation_definitions import Box


def _png(width=8, height=6, value=100) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def image(dataset):
    return dataset.items.upload(_png(), remote_name="img.png", remote_path="/pics")


def test_download_layouts(dataset, image, tmp_path):
    assert dataset.items.download(items=image, local_path=str(tmp_path)) == str(tmp_path / "items/pics/img.png")
    flat = dataset.items.download(items=[image.id], local_path=str(tmp_path / "flat"), to_items_folder=False,
                                  without_relative_path=True)
    assert flat == str(tmp_path / "flat" / "img.png")
    named = dataset.items.download(items=image, local_path=str(tmp_path / "named.png"))
    assert named == str(tmp_path / "named.png") and (tmp_path / "named.png").read_bytes() == _png()


def test_existing_files_are_kept_unless_overwrite(dataset, image, tmp_path):
    target = tmp_path / "items" / "pics" / "img.png"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"mine")
    image.download(local_path=str(tmp_path))
    assert target.read_bytes() == b"mine"
    image.download(local_path=str(tmp_path), overwrite=True)
    assert target.read_bytes() == _png()


def test_buffers_and_arrays(dataset, image):
    buffer = dataset.items.download(items=image, save_locally=False)
    assert buffer.read() == _png() and buffer.name == "img.png"
    array = image.download(save_locally=False, to_array=True)
    assert array.shape == (6, 8, 3) and int(array[0, 0, 0]) == 100
    text = dataset.items.upload(b"t", remote_name="t.txt")
    with pytest.raises(ValueError, match="images only"):
        text.download(save_locally=False, to_array=True)


def test_filters_file_types_and_folder_items(dataset, image, tmp_path):
    dataset.items.upload(b"text", remote_name="note.txt", remote_path="/pics")
    paths = list(dataset.items.download(filters=Filters(field="dir", values="/pics"), local_path=str(tmp_path)))
    assert sorted(os.path.basename(p) for p in paths) == ["img.png", "note.txt"]
    only_png = dataset.items.download(local_path=str(tmp_path / "png"), file_types=["image/png"])
    assert only_png == str(tmp_path / "png" / "items" / "pics" / "img.png")
    folder = dataset.items.get(filepath="/pics", is_dir=True)
    assert len(list(folder.download(local_path=str(tmp_path / "dir")))) == 2


def test_url_link_items_fetch_their_ref(dataset, tmp_path):
    source = tmp_path / "source.png"
    source.write_bytes(_png())
    from dataloop_core.entities.item import UrlLink
    link = dataset.items.upload(UrlLink(ref=source.as_uri(), name="lnk"))
    path = link.download(local_path=str(tmp_path / "out"))
    assert path.endswith("lnk_link.json.png") and open(path, "rb").read() == _png()


def test_annotation_options_render_next_to_items(dataset, image, tmp_path):
    image.annotations.builder().add(Box(1, 1, 4, 4, label="cat"), object_id=3).upload()
    path = image.download(local_path=str(tmp_path), annotation_options=[ViewAnnotationOptions.MASK,
                                                                         ViewAnnotationOptions.JSON,
                                                                         ViewAnnotationOptions.INSTANCE,
                                                                         ViewAnnotationOptions.OBJECT_ID,
                                                                         ViewAnnotationOptions.ANNOTATION_ON_IMAGE])
    assert os.path.isfile(path)
    mask = np.array(Image.open(tmp_path / "mask" / "pics" / "img.png"))
    assert mask.shape == (6, 8, 4) and mask[1, 1, 3] == 255 and mask[5, 7, 3] == 0
    exported = json.loads((tmp_path / "json" / "pics" / "img.json").read_text())
    assert exported["_id"] == image.id and exported["annotations"][0]["label"] == "cat"
    assert np.array(Image.open(tmp_path / "object_id" / "pics" / "img.png"))[1, 1] == 3
    assert np.array(Image.open(tmp_path / "instance" / "pics" / "img.png"))[1, 1] >= 1
    on_image = np.array(Image.open(tmp_path / "img_mask" / "pics" / "img.png"))
    assert tuple(on_image[5, 7][:3]) == (100, 100, 100)


def test_download_rejects_conflicting_arguments(dataset, image):
    with pytest.raises(ValueError, match="filters or items"):
        dataset.items.download(filters=Filters(), items=[image])


@pytest.mark.parametrize("project_name, dataset_name", [("..", "d"), ("p", "../../../escape"), ("/abs", "..")])
def test_default_download_root_stays_under_dataloop_home_whatever_the_names(project_name, dataset_name):
    from types import SimpleNamespace
    from dataloop_core.repositories._item_download import _default_root
    dataset = SimpleNamespace(name=dataset_name, project=SimpleNamespace(name=project_name))
    with pytest.raises(ValueError, match="unsafe remote path"):
        _default_root(SimpleNamespace(dataset=dataset))


def test_default_download_root_is_per_project_and_dataset():
    from types import SimpleNamespace
    from dataloop_core.repositories._item_download import _default_root
    dataset = SimpleNamespace(name="d", project=SimpleNamespace(name="p"))
    root = _default_root(SimpleNamespace(dataset=dataset))
    assert root == os.path.join(os.path.expanduser("~"), ".dataloop", "projects", "p", "datasets", "d")
