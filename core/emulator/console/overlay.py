"""An item's annotations as an inline SVG drawn over its image, in the colours of the dataset's labels.

Boxes, polygons, polylines, points, ellipses (as polygons) and masks are drawn in image pixel coordinates (the
SVG's viewBox is the image size); classifications and other types have no geometry and are listed beside the image
instead. A mask is decoded and re-encoded by Pillow in its label's colour, so no stored data URL reaches the page as
it came in.
"""
from __future__ import annotations

import math
from typing import Dict, Iterable, List, Optional, Tuple

from markupsafe import Markup

from ...entities.annotation_collection import fallback_color
from ...entities.annotation_definitions import Segmentation, from_json
from ...entities.label import to_rgb

Rgb = Tuple[int, int, int]
STROKE = 3  # screen pixels, whatever the image's scale
DRAWN = {"box", "segment", "polyline", "point", "ellipse", "binary"}


def label_colors(ctx, dataset: dict) -> Dict[str, Rgb]:
    """``tag -> (r, g, b)`` of the labels in the ontologies of the dataset's recipes (nested tags dotted)."""
    colors: Dict[str, Rgb] = {}
    recipe_ids = ((dataset.get("metadata") or {}).get("system") or {}).get("recipes") or []
    for recipe_id in recipe_ids:
        recipe = ctx.store.find("recipe", recipe_id) or {}
        for ontology_id in recipe.get("ontologyIds") or []:
            ontology = ctx.store.find("ontology", ontology_id) or {}
            _flatten(ontology.get("roots") or [], "", colors)
    return colors


def _flatten(labels: Iterable[dict], parent: str, colors: Dict[str, Rgb]) -> None:
    """Ontology nodes are ``{"value": {"tag", "color", ...}, "children": [...]}``."""
    for node in labels:
        value = node.get("value") if isinstance(node, dict) else None
        if not isinstance(value, dict) or not value.get("tag"):
            continue
        tag = f"{parent}.{value['tag']}" if parent else value["tag"]
        try:
            rgb = to_rgb(value.get("color"))
        except (ValueError, TypeError):
            rgb = None
        if rgb:
            colors[tag] = rgb
        _flatten(node.get("children") or [], tag, colors)


def color_of(label: Optional[str], colors: Dict[str, Rgb]) -> Rgb:
    return colors.get(label or "") or fallback_color(label)


def hex_color(rgb: Rgb) -> str:
    return "#%02x%02x%02x" % tuple(rgb)


def svg(image_href: str, size: Tuple[int, int], annotations: List[dict],
        colors: Dict[str, Rgb]) -> Tuple[Markup, Dict[str, str]]:
    """The image with every drawable annotation over it (``size`` is the image's pixels), and why each annotation
    that could not be drawn was not (``{annotation id: reason}``)."""
    width, height = size
    shapes, problems = [], {}
    for annotation in annotations:
        if annotation.get("type") not in DRAWN:
            continue
        try:
            shapes.append(shape(annotation, color_of(annotation.get("label"), colors), size))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OSError) as exc:
            problems[annotation.get("id")] = f"not drawn: unreadable coordinates ({type(exc).__name__}: {exc})"
    drawing = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" id="overlay" viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
        '<image href="{href}" x="0" y="0" width="{w}" height="{h}"/>{shapes}</svg>'
    ).format(w=width, h=height, href=image_href, shapes=Markup("").join(shapes))
    return drawing, problems


def shape(annotation: dict, rgb: Rgb, size: Tuple[int, int]) -> Markup:
    """One drawable annotation's SVG element; ``ValueError`` and kin for coordinates that cannot be read."""
    kind = annotation.get("type")
    definition = from_json(kind, annotation.get("coordinates"), label=annotation.get("label"))
    element = _ELEMENTS[kind](definition, hex_color(rgb), rgb, size)
    title = Markup("<title>{} ({})</title>").format(annotation.get("label") or "", kind)
    return Markup('<g class="annotation" data-id="{}" data-type="{}">{}{}</g>').format(
        annotation.get("id") or "", kind, element, title)


def _stroke(color: str) -> Markup:
    return Markup('stroke="{}" stroke-width="{}" vector-effect="non-scaling-stroke" fill="{}" fill-opacity="0.15"'
                  ).format(color, STROKE, color)


def _box(definition, color, rgb, size) -> Markup:
    left, top, right, bottom = definition.left, definition.top, definition.right, definition.bottom
    turn = Markup(' transform="rotate({} {} {})"').format(_num(definition.angle), _num((left + right) / 2),
                                                          _num((top + bottom) / 2)) if definition.angle else ""
    return Markup('<rect x="{}" y="{}" width="{}" height="{}"{} {}/>').format(
        _num(left), _num(top), _num(right - left), _num(bottom - top), turn, _stroke(color))


def _points(definition) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in definition.geo[:, :2])


def _polygon(definition, color, rgb, size) -> Markup:
    return Markup('<polygon points="{}" {}/>').format(_points(definition), _stroke(color))


def _polyline(definition, color, rgb, size) -> Markup:
    return Markup('<polyline points="{}" {} fill="none"/>').format(_points(definition), _stroke(color))


def _point(definition, color, rgb, size) -> Markup:
    x, y = definition.geo[0][:2]
    radius = max(3.0, min(size) / 60)
    return Markup('<circle cx="{}" cy="{}" r="{}" {}/>').format(_num(x), _num(y), _num(radius), _stroke(color))


def _mask(definition: Segmentation, color, rgb, size) -> Markup:
    height, width = definition.geo.shape
    return Markup('<image href="{}" x="0" y="0" width="{}" height="{}" opacity="0.55"/>').format(
        definition.to_coordinates(color=rgb + (255,)), width, height)


def _num(value) -> str:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("coordinate is not a finite number")
    return f"{number:.2f}".rstrip("0").rstrip(".")


_ELEMENTS = {"box": _box, "segment": _polygon, "polyline": _polyline, "point": _point, "ellipse": _polygon,
             "binary": _mask}
