"""Label: one node of an ontology's label tree (tag, colour, display name, attributes, children)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

Color = Union[Tuple[int, int, int], List[int], str, None]


def to_rgb(color: Color) -> Optional[Tuple[int, int, int]]:
    """``(r, g, b)`` from a tuple/list, ``'#rrggbb'`` or ``'rgb(r,g,b)'``; ``None`` stays ``None``."""
    if color is None:
        return None
    if isinstance(color, (tuple, list)) and len(color) == 3:
        return tuple(int(c) for c in color)
    if isinstance(color, str):
        text = color.strip()
        if text.startswith("#") and len(text) == 7:
            return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
        if text.startswith("rgb(") and text.endswith(")"):
            parts = text[4:-1].split(",")
            if len(parts) == 3:
                return tuple(int(p) for p in parts)
    raise ValueError(f"unknown colour {color!r}: use (r, g, b), '#rrggbb' or 'rgb(r,g,b)'")


def to_hex(color: Color) -> Optional[str]:
    rgb = to_rgb(color)
    return None if rgb is None else "#%02x%02x%02x" % rgb


class Label:
    """``Label(tag='cat', color=(255, 0, 0))``; children are Labels with plain (not dotted) tags."""

    def __init__(self, tag: str, color: Color = None, display_label: Optional[str] = None,
                 attributes: Optional[list] = None, children: Optional[List["Label"]] = None,
                 display_data: Optional[dict] = None):
        if not isinstance(tag, str) or not tag:
            raise ValueError(f"label tag must be a non-empty string, got {tag!r}")
        to_rgb(color)  # validate early
        self.tag = tag
        self.color = color
        self.display_label = display_label
        self.attributes = list(attributes) if attributes is not None else []
        self.children = list(children) if children is not None else []
        self.display_data = dict(display_data) if display_data is not None else {}

    @property
    def rgb(self) -> Optional[Tuple[int, int, int]]:
        return to_rgb(self.color)

    @property
    def hex(self) -> Optional[str]:
        return to_hex(self.color)

    @classmethod
    def from_root(cls, root: dict) -> "Label":
        """From the platform's ``{"value": {...}, "children": [...]}`` (or a flat value dict)."""
        if not isinstance(root, dict):
            raise ValueError(f"a label root must be a dict, got {type(root).__name__}")
        value = root.get("value", root)
        tag = value.get("tag", value.get("label_name"))
        if tag is None:
            raise ValueError(f"label has no tag: {root!r}")
        display = value.get("displayLabel", value.get("display_label"))
        return cls(tag=tag, color=value.get("color"), display_label=display,
                   attributes=value.get("attributes") or [], display_data=value.get("displayData") or {},
                   children=[cls.from_root(child) for child in root.get("children") or []])

    def to_root(self) -> dict:
        value: Dict[str, Any] = {"tag": self.tag, "attributes": list(self.attributes),
                                 "displayLabel": self.display_label, "displayData": dict(self.display_data)}
        if self.color is not None:
            value["color"] = self.hex
        return {"value": value, "children": [child.to_root() for child in self.children]}

    def flatten(self, prefix: str = "") -> Dict[str, "Label"]:
        """``{"parent": label, "parent.child": child, ...}``."""
        tag = f"{prefix}.{self.tag}" if prefix else self.tag
        flat = {tag: self}
        for child in self.children:
            flat.update(child.flatten(tag))
        return flat

    def __eq__(self, other) -> bool:
        return isinstance(other, Label) and self.to_root() == other.to_root()

    def __repr__(self) -> str:
        return f"Label(tag={self.tag!r}, color={self.hex!r}, children={len(self.children)})"


def as_labels(labels: Any) -> List[Label]:
    """Labels from a Label, a tag, a ``{tag: color}`` dict, a root dict, or a list of those."""
    if labels is None:
        return []
    if isinstance(labels, dict) and not ("tag" in labels or "value" in labels or "label_name" in labels):
        return [Label(tag=tag, color=color) for tag, color in labels.items()]
    if not isinstance(labels, (list, tuple)):
        labels = [labels]
    result = []
    for label in labels:
        if isinstance(label, Label):
            result.append(label)
        elif isinstance(label, str):
            result.append(Label(tag=label))
        elif isinstance(label, dict):
            result.append(Label.from_root(label))
        else:
            raise ValueError(f"unsupported label {label!r}: expected Label, str or dict")
    return result

