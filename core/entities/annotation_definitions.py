"""Annotation definitions: the geometry of one annotation, its wire ``coordinates`` (wire §8) and PIL drawing.

Names follow the official SDK: Box, Point, Polygon, Polyline, Segmentation, Classification, Ellipse, Cube,
Subtitle, FreeText, Pose; ``Undefined`` keeps any other type's coordinates opaque.
"""
from __future__ import annotations

import base64
import io
import math
from typing import Any, Dict, Optional, Tuple

from .._lazy import numpy as np

Color = Tuple[int, int, int, int]


def _xyz(point: dict) -> Tuple[float, float]:
    return float(point.get("x", 0)), float(point.get("y", 0))


class BaseAnnotationDefinition:
    """Common state: ``type`` (wire string), ``label``, attributes and description."""

    type = "undefined"

    def __init__(self, label: Optional[str] = None, attributes=None, description: Optional[str] = None):
        self.label = label
        self.attributes = attributes if attributes is not None else {}
        self.description = description

    # -- wire --------------------------------------------------------------------------------------
    def to_coordinates(self, color: Optional[Color] = None) -> Any:
        raise NotImplementedError

    @classmethod
    def from_coordinates(cls, coordinates: Any, label: Optional[str] = None, **kwargs):
        raise NotImplementedError

    # -- geometry ----------------------------------------------------------------------------------
    @property
    def geo(self) -> np.ndarray:
        return np.zeros((0, 2))

    @property
    def left(self) -> float:
        return float(self.geo[:, 0].min()) if len(self.geo) else 0.0

    @property
    def top(self) -> float:
        return float(self.geo[:, 1].min()) if len(self.geo) else 0.0

    @property
    def right(self) -> float:
        return float(self.geo[:, 0].max()) if len(self.geo) else 0.0

    @property
    def bottom(self) -> float:
        return float(self.geo[:, 1].max()) if len(self.geo) else 0.0

    @property
    def x(self):
        return self.geo[:, 0]

    @property
    def y(self):
        return self.geo[:, 1]

    def draw(self, draw, canvas, fill, thickness: int) -> None:
        """Draw onto a PIL ``ImageDraw`` (``canvas`` is the image); ``thickness=-1`` fills shapes."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(label={self.label!r})"


class Box(BaseAnnotationDefinition):
    type = "box"

    def __init__(self, left=None, top=None, right=None, bottom=None, label=None, attributes=None,
                 description=None, angle=None):
        super().__init__(label, attributes, description)
        if None in (left, top, right, bottom):
            raise ValueError("Box needs left, top, right and bottom")
        self._left, self._top = min(left, right), min(top, bottom)
        self._right, self._bottom = max(left, right), max(top, bottom)
        self.angle = angle

    @property
    def geo(self) -> np.ndarray:
        return np.array([[self._left, self._top], [self._right, self._bottom]], dtype=float)

    def to_coordinates(self, color=None):
        coordinates = [{"x": self._left, "y": self._top, "z": 0}, {"x": self._right, "y": self._bottom, "z": 0}]
        if self.angle:
            coordinates.append(self.angle)
        return coordinates

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        points = [p for p in coordinates if isinstance(p, dict)][:2]
        angle = next((c for c in coordinates[2:] if isinstance(c, (int, float))), None)
        xs, ys = zip(*(_xyz(p) for p in points))
        return cls(min(xs), min(ys), max(xs), max(ys), label=label, angle=angle, **kwargs)

    def draw(self, draw, canvas, fill, thickness):
        box = [self._left, self._top, self._right, self._bottom]
        if thickness < 0:
            draw.rectangle(box, fill=fill)
        else:
            draw.rectangle(box, outline=fill, width=max(1, thickness))


class Point(BaseAnnotationDefinition):
    type = "point"

    def __init__(self, x, y, label=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        self._x, self._y = float(x), float(y)

    @property
    def geo(self):
        return np.array([[self._x, self._y]])

    def to_coordinates(self, color=None):
        return {"x": self._x, "y": self._y, "z": 0}

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        return cls(*_xyz(coordinates), label=label, **kwargs)

    def draw(self, draw, canvas, fill, thickness):
        r = max(1, abs(thickness))
        draw.ellipse([self._x - r, self._y - r, self._x + r, self._y + r], fill=fill)


class Polygon(BaseAnnotationDefinition):
    type = "segment"

    def __init__(self, geo, label=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        self._geo = np.asarray(geo, dtype=float).reshape(-1, 2)

    @property
    def geo(self):
        return self._geo

    def to_coordinates(self, color=None):
        return [[{"x": float(x), "y": float(y)} for x, y in self._geo]]

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        ring = coordinates[0] if coordinates and isinstance(coordinates[0], list) else coordinates
        return cls([_xyz(p) for p in ring], label=label, **kwargs)

    def draw(self, draw, canvas, fill, thickness):
        points = [tuple(p) for p in self._geo]
        if len(points) < 2:
            return
        if thickness < 0:
            draw.polygon(points, fill=fill)
        else:
            draw.line(points + points[:1], fill=fill, width=max(1, thickness))


class Polyline(Polygon):
    type = "polyline"

    def draw(self, draw, canvas, fill, thickness):
        points = [tuple(p) for p in self._geo]
        if len(points) >= 2:
            draw.line(points, fill=fill, width=max(1, abs(thickness)))


class Segmentation(BaseAnnotationDefinition):
    """A pixel mask (``geo`` is a 2-D bool array); on the wire a base64 RGBA PNG in the label's colour."""

    type = "binary"
    PREFIX = "data:image/png;base64,"

    def __init__(self, geo, label=None, attributes=None, description=None, color=None):
        super().__init__(label, attributes, description)
        mask = np.asarray(geo)
        if mask.ndim != 2:
            raise ValueError(f"Segmentation geo must be a 2-D mask, got shape {mask.shape}")
        self._mask = mask.astype(bool)
        self.color = color

    @property
    def geo(self) -> np.ndarray:
        return self._mask

    @property
    def _points(self) -> np.ndarray:
        ys, xs = np.nonzero(self._mask)
        return np.stack([xs, ys], axis=1).astype(float)

    left = property(lambda self: float(self._points[:, 0].min()) if self._mask.any() else 0.0)
    top = property(lambda self: float(self._points[:, 1].min()) if self._mask.any() else 0.0)
    right = property(lambda self: float(self._points[:, 0].max()) if self._mask.any() else 0.0)
    bottom = property(lambda self: float(self._points[:, 1].max()) if self._mask.any() else 0.0)

    def to_coordinates(self, color=None):
        from PIL import Image
        rgb = tuple((color or self.color or (255, 255, 255))[:3])
        rgba = np.zeros(self._mask.shape + (4,), dtype=np.uint8)
        rgba[self._mask] = rgb + (255,)
        buffer = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
        return self.PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        from PIL import Image
        data = coordinates.get("data") if isinstance(coordinates, dict) else coordinates
        if not isinstance(data, str):
            raise ValueError("binary coordinates must be a base64 PNG data URL")
        payload = data.split(",", 1)[1] if data.startswith("data:") else data
        image = Image.open(io.BytesIO(base64.b64decode(payload)))
        array = np.array(image.convert("RGBA"))
        return cls(array[:, :, 3] > 0, label=label, **kwargs)

    @classmethod
    def from_polygon(cls, geo, label, shape, attributes=None) -> "Segmentation":
        """Rasterize a polygon into a mask of ``shape`` (height, width)."""
        from PIL import Image, ImageDraw
        canvas = Image.new("L", (shape[1], shape[0]), 0)
        ImageDraw.Draw(canvas).polygon([tuple(p) for p in np.asarray(geo, dtype=float)], fill=1)
        return cls(np.array(canvas, dtype=bool), label=label, attributes=attributes)

    def to_box(self) -> Box:
        return Box(self.left, self.top, self.right, self.bottom, label=self.label, attributes=self.attributes)

    def draw(self, draw, canvas, fill, thickness):
        from PIL import Image
        mask = Image.fromarray(self._mask.astype(np.uint8) * 255, "L")
        if mask.size != canvas.size:
            mask = mask.resize(canvas.size, Image.NEAREST)
        canvas.paste(fill, (0, 0), mask)


class Classification(BaseAnnotationDefinition):
    type = "class"

    def to_coordinates(self, color=None):
        return []

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        return cls(label=label, **kwargs)


class Ellipse(BaseAnnotationDefinition):
    type = "ellipse"

    def __init__(self, x, y, rx, ry, angle=0, label=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        self._x, self._y, self.rx, self.ry, self.angle = float(x), float(y), float(rx), float(ry), float(angle or 0)

    @property
    def geo(self):
        t = np.linspace(0, 2 * math.pi, 64, endpoint=False)
        a = math.radians(self.angle)
        xs = self._x + self.rx * np.cos(t) * math.cos(a) - self.ry * np.sin(t) * math.sin(a)
        ys = self._y + self.rx * np.cos(t) * math.sin(a) + self.ry * np.sin(t) * math.cos(a)
        return np.stack([xs, ys], axis=1)

    def to_coordinates(self, color=None):
        return {"angle": self.angle, "center": {"x": self._x, "y": self._y, "z": 0}, "rx": self.rx, "ry": self.ry}

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        x, y = _xyz(coordinates.get("center") or {})
        return cls(x, y, coordinates.get("rx", 0), coordinates.get("ry", 0), coordinates.get("angle", 0),
                   label=label, **kwargs)

    def draw(self, draw, canvas, fill, thickness):
        Polygon(self.geo).draw(draw, canvas, fill, thickness)


class Cube(BaseAnnotationDefinition):
    type = "cube"
    CORNERS = ("front_tl", "front_tr", "front_br", "front_bl", "back_tl", "back_tr", "back_br", "back_bl")

    def __init__(self, label=None, front_tl=None, front_tr=None, front_br=None, front_bl=None, back_tl=None,
                 back_tr=None, back_br=None, back_bl=None, angle=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        corners = (front_tl, front_tr, front_br, front_bl, back_tl, back_tr, back_br, back_bl)
        if any(c is None for c in corners):
            raise ValueError("Cube needs all eight corners as (x, y) pairs")
        self.corners = {name: tuple(float(v) for v in c[:2]) for name, c in zip(self.CORNERS, corners)}
        self.angle = angle

    @property
    def geo(self):
        return np.array([self.corners[name] for name in self.CORNERS])

    def to_coordinates(self, color=None):
        out: Dict[str, Any] = {name: {"x": x, "y": y, "z": 0} for name, (x, y) in self.corners.items()}
        out["angle"] = self.angle
        return out

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        corners = {name: _xyz(coordinates.get(name) or {}) for name in cls.CORNERS}
        return cls(label=label, angle=coordinates.get("angle"), **corners, **kwargs)

    def draw(self, draw, canvas, fill, thickness):
        g = [tuple(p) for p in self.geo]
        for face in (g[:4], g[4:]):
            draw.line(face + face[:1], fill=fill, width=max(1, abs(thickness)))
        for a, b in zip(g[:4], g[4:]):
            draw.line([a, b], fill=fill, width=max(1, abs(thickness)))


class Subtitle(BaseAnnotationDefinition):
    type = "subtitle"

    def __init__(self, text, label=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        self.text = text

    def to_coordinates(self, color=None):
        return {"text": self.text}

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        return cls((coordinates or {}).get("text", ""), label=label, **kwargs)


class FreeText(BaseAnnotationDefinition):
    type = "text"

    def __init__(self, text, label=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        self.text = text

    def to_coordinates(self, color=None):
        return self.text

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        return cls(coordinates if isinstance(coordinates, str) else "", label=label, **kwargs)


class Pose(BaseAnnotationDefinition):
    type = "pose"

    def __init__(self, label, template_id, instance_id=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        self.template_id, self.instance_id = template_id, instance_id

    def to_coordinates(self, color=None):
        return {"templateId": self.template_id, "instanceId": self.instance_id}

    @classmethod
    def from_coordinates(cls, coordinates, label=None, **kwargs):
        coordinates = coordinates or {}
        return cls(label, coordinates.get("templateId"), coordinates.get("instanceId"), **kwargs)


class Undefined(BaseAnnotationDefinition):
    """Any other type (note, comparison, cube_3d, gis, ...): coordinates kept as received."""

    def __init__(self, type: str, coordinates: Any = None, label=None, attributes=None, description=None):
        super().__init__(label, attributes, description)
        self.type, self.coordinates = type, coordinates

    def to_coordinates(self, color=None):
        return self.coordinates


BY_TYPE = {cls.type: cls for cls in (Box, Point, Polygon, Polyline, Segmentation, Classification, Ellipse, Cube,
                                     Subtitle, FreeText, Pose)}


def from_json(annotation_type: str, coordinates: Any, label: Optional[str] = None,
              attributes=None) -> BaseAnnotationDefinition:
    """The definition for a wire ``type`` and ``coordinates`` (unknown types become ``Undefined``)."""
    cls = BY_TYPE.get(annotation_type)
    if cls is None:
        return Undefined(annotation_type, coordinates, label=label, attributes=attributes)
    if coordinates is None and cls is not Classification:
        coordinates = [] if cls in (Box, Polygon, Polyline) else {}
    return cls.from_coordinates(coordinates, label=label, attributes=attributes)
