"""Annotation definitions (wire §8 coordinates) and local rendering with numpy + Pillow."""
import numpy as np
import pytest

from dataloop_core.entities.annotation import ViewAnnotationOptions
from dataloop_core.entities.annotation_collection import AnnotationCollection, fallback_color
from dataloop_core.entities.annotation_definitions import (Box, Classification, Cube, Ellipse, FreeText, Point,
                                                           Polygon, Polyline, Pose, Segmentation, Subtitle,
                                                           Undefined, from_json)

CUBE = dict(front_tl=(0, 0), front_tr=(4, 0), front_br=(4, 4), front_bl=(0, 4), back_tl=(1, 1), back_tr=(5, 1),
            back_br=(5, 5), back_bl=(1, 5))


@pytest.mark.parametrize("definition", [
    Box(5, 6, 1, 2, label="b", angle=30), Point(3, 4, label="p"), Polygon([[0, 0], [4, 0], [4, 3]], label="s"),
    Polyline([[0, 0], [2, 2]], label="l"), Ellipse(5, 5, 3, 2, angle=15, label="e"), Cube(label="c", **CUBE),
    Subtitle("hi", label="t"), FreeText("free", label="f"), Pose("pose", "tmpl", "inst"),
    Classification(label="k")])
def test_coordinates_round_trip(definition):
    coordinates = definition.to_coordinates()
    again = from_json(definition.type, coordinates, label=definition.label)
    assert type(again) is type(definition) and again.to_coordinates() == coordinates


def test_box_normalizes_corners_and_wire_shape():
    box = Box(left=10, top=20, right=2, bottom=4, label="b")
    assert (box.left, box.top, box.right, box.bottom) == (2, 4, 10, 20)
    assert box.to_coordinates() == [{"x": 2, "y": 4, "z": 0}, {"x": 10, "y": 20, "z": 0}]
    with pytest.raises(ValueError):
        Box(1, 2, label="missing")


def test_segmentation_png_round_trip_in_label_colour():
    mask = np.zeros((5, 7), bool)
    mask[1:3, 2:6] = True
    coordinates = Segmentation(mask, label="m").to_coordinates(color=(10, 20, 30))
    assert coordinates.startswith("data:image/png;base64,")
    back = from_json("binary", {"data": coordinates}, label="m")
    assert back.geo.dtype == bool and (back.geo == mask).all()
    assert (back.left, back.top, back.right, back.bottom) == (2, 1, 5, 2)
    assert Segmentation.from_polygon([[0, 0], [6, 0], [6, 4], [0, 4]], "r", (5, 7)).geo.sum() > 20
    with pytest.raises(ValueError):
        Segmentation(np.zeros(3), label="bad")


def test_unknown_types_pass_through():
    note = from_json("note", {"box": [], "note": {}})
    assert isinstance(note, Undefined) and note.type == "note" and note.to_coordinates() == {"box": [], "note": {}}


def _collection(client, *pairs):
    collection = AnnotationCollection(client)
    collection._palette = ({"cat": (255, 0, 0)}, {"cat": 1, "dog": 2})
    for definition, object_id in pairs:
        collection.add(definition, object_id=object_id)
    return collection


def test_show_mask_instance_object_id(client):
    mask = np.zeros((10, 10), bool)
    mask[6:9, 6:9] = True
    collection = _collection(client, (Box(1, 1, 3, 3, label="cat"), 4), (Segmentation(mask, label="dog"), 5))
    rgba = collection.show(height=10, width=10, thickness=-1)
    assert rgba.shape == (10, 10, 4) and tuple(rgba[2, 2]) == (255, 0, 0, 255) and rgba[0, 9, 3] == 0
    assert tuple(rgba[7, 7][:3]) == fallback_color("dog")
    instance = collection.show(height=10, width=10, annotation_format=ViewAnnotationOptions.INSTANCE, thickness=-1)
    assert instance[2, 2] == 1 and instance[7, 7] == 2 and instance[0, 0] == 0
    objects = collection.show(height=10, width=10, annotation_format="object_id", thickness=-1)
    assert objects[2, 2] == 4 and objects[7, 7] == 5
    with pytest.raises(ValueError, match="height and width"):
        collection.show()
    with pytest.raises(ValueError, match="cannot be shown"):
        collection.show(height=1, width=1, annotation_format="json")


def test_img_mask_draws_over_image_and_vtt(client, tmp_path):
    image = np.full((8, 8, 3), 50, np.uint8)
    collection = _collection(client, (Point(4, 4, label="cat"), None), (Polyline([[0, 0], [7, 0]], label="cat"), None))
    over = collection.show(image=image, annotation_format=ViewAnnotationOptions.ANNOTATION_ON_IMAGE, alpha=1)
    assert tuple(over[4, 4][:3]) == (255, 0, 0) and tuple(over[7, 0][:3]) == (50, 50, 50)
    subtitles = AnnotationCollection(client)
    subtitles.add(Subtitle("hello", label="s"), start_time=1.5, end_time=2.25)
    path = subtitles.download(str(tmp_path / "s.vtt"), annotation_format=ViewAnnotationOptions.VTT)
    assert open(path).read().splitlines()[:4] == ["WEBVTT", "", "00:00:01.500 --> 00:00:02.250", "hello"]
    with pytest.raises(ValueError, match="img_filepath"):
        collection.download(str(tmp_path / "x.png"), annotation_format="img_mask", height=8, width=8)


def test_colours_come_from_the_dataset_ontology(dataset, tmp_path):
    dataset.add_label("cat", color=(0, 255, 0))
    item = dataset.items.upload(np.zeros((4, 4, 3), np.uint8), remote_name="z.png")
    mask = np.ones((4, 4), bool)
    uploaded = item.annotations.builder().add(Segmentation(mask, label="cat")).upload()
    assert (uploaded[0].geo == mask).all()
    rendered = item.annotations.show(annotation_format=ViewAnnotationOptions.MASK)
    assert tuple(rendered[0, 0]) == (0, 255, 0, 255)
    single = uploaded[0].show(annotation_format="mask")
    assert tuple(single[1, 1]) == (0, 255, 0, 255)
    path = uploaded[0].download(str(tmp_path / "a.json"))
    assert '"label": "cat"' in open(path).read()
    saved = item.annotations.download(str(tmp_path / "m.png"), annotation_format="mask")
    assert saved.endswith("m.png")
