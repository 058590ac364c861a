"""Ontology: a label tree (``roots``) plus attribute definitions; label edits go through
``PATCH /ontologies/{id}/labels`` with dotted tags for nested labels (wire §3.9)."""
from __future__ import annotations

import os
import uuid
from functools import cached_property
from typing import Dict, List, Optional, Tuple

from .base import Entity, Field
from .label import Label, as_labels


class AttributesTypes:
    CHECKBOX = "checkbox"
    RADIO_BUTTON = "radio_button"
    SLIDER = "range"
    YES_NO = "boolean"
    FREE_TEXT = "freeText"


class AttributesRange:
    """A slider attribute's range: ``AttributesRange(min_range=0, max_range=10, step=1)``."""

    def __init__(self, min_range: float, max_range: float, step: float):
        if min_range > max_range:
            raise ValueError(f"min_range {min_range} is greater than max_range {max_range}")
        self.min_range, self.max_range, self.step = min_range, max_range, step

    def to_json(self) -> dict:
        return {"min": self.min_range, "max": self.max_range, "step": self.step}


def labels_node(labels: List[Label], prefix: str = "") -> List[dict]:
    """Flatten labels to the ``labelsNode`` wire shape (children get dotted tags)."""
    nodes = []
    for label in labels:
        tag = f"{prefix}.{label.tag}" if prefix else label.tag
        node = {"tag": tag, "attributes": list(label.attributes), "displayData": dict(label.display_data)}
        if label.color is not None:
            node["color"] = label.hex
        if label.display_label is not None:
            node["displayLabel"] = label.display_label
        nodes.append(node)
        nodes.extend(labels_node(label.children, tag))
    return nodes


class Ontology(Entity):
    title = Field("title")
    metadata = Field("metadata", default=dict)

    @cached_property
    def labels(self) -> List[Label]:
        """The label tree; edit it and call ``update()`` to save (roots are rebuilt from it)."""
        return [Label.from_root(root) for root in self._json.get("roots") or []]

    @property
    def attributes(self) -> list:
        """Attribute definitions (attributes 2.0 in ``metadata.attributes``, else the v1 list)."""
        return (self.metadata or {}).get("attributes") or self._json.get("attributes") or []

    @property
    def project_ids(self) -> List[str]:
        return list(((self.metadata or {}).get("system") or {}).get("projectIds") or [])

    @property
    def recipe(self):
        return self._context.get("recipe")

    @property
    def labels_flat_dict(self) -> Dict[str, Label]:
        flat: Dict[str, Label] = {}
        for label in self.labels:
            flat.update(label.flatten())
        return flat

    @property
    def instance_map(self) -> Dict[str, int]:
        """``{dotted tag: 1-based index}`` over the sorted tags (used for instance masks)."""
        custom = self.__dict__.get("_instance_map")
        if custom is not None:
            return custom
        return {tag: i + 1 for i, tag in enumerate(sorted(self.labels_flat_dict))}

    @instance_map.setter
    def instance_map(self, value: Dict[str, int]) -> None:
        if not isinstance(value, dict):
            raise ValueError("instance_map must be a dict of {label: instance id}")
        self.__dict__["_instance_map"] = value

    @property
    def color_map(self) -> Dict[str, Optional[Tuple[int, int, int]]]:
        return {tag: label.rgb for tag, label in self.labels_flat_dict.items()}

    def to_json(self) -> dict:
        json = super().to_json()
        if "labels" in self.__dict__:
            json["roots"] = [label.to_root() for label in self.labels]
        return json

    def _refresh_from(self, json: dict) -> None:
        super()._refresh_from(json)
        self.__dict__.pop("labels", None)

    @cached_property
    def ontologies(self):
        from ..repositories.ontologies import Ontologies
        return Ontologies(self._client, recipe=self.recipe, dataset=self._context.get("dataset"),
                          project=self._context.get("project"))

    # -- labels ----------------------------------------------------------------------------------
    def _send_labels(self, labels: List[Label], upsert: bool) -> List[Label]:
        """PATCH the labels; the entity takes the answer's tree; returns the sent labels as stored."""
        if not labels:
            raise ValueError("no labels given")
        self._refresh_from(self.ontologies.patch_labels(self.id, labels_node(labels), upsert))
        flat = self.labels_flat_dict
        return [flat[label.tag] for label in labels if label.tag in flat]

    def _one_label(self, label_name, color, children, attributes, display_label, label, icon_path) -> Label:
        if label is None:
            label = Label(tag=label_name, color=color, display_label=display_label, attributes=attributes,
                          children=as_labels(children))
        if icon_path is not None:
            label.display_data.update(self._upload_icon(icon_path))
        return label

    def _upload_icon(self, icon_path: str) -> dict:
        """Upload a label icon to the project's Binaries dataset; the label's ``displayData`` part linking it."""
        from ..repositories.datasets import upload_to_binaries
        if not isinstance(icon_path, str) or not os.path.isfile(icon_path):
            raise ValueError(f"icon_path must be an existing local file, got {icon_path!r}")
        project = self._context.get("project") or getattr(self._context.get("dataset"), "project", None)
        if project is None:
            if not self.project_ids:
                raise ValueError("an ontology needs a project to store label icons in")
            project = self.project_ids[0]
        item = upload_to_binaries(self._client, project, icon_path,
                                  f"/.dataloop/ontologies/{self.id}/labelDisplayImages",
                                  f"{uuid.uuid4().hex}-{os.path.basename(icon_path)}")
        return {"displayImage": {"itemId": item.id, "datasetId": item.dataset_id}}

    def add_label(self, label_name: Optional[str] = None, color=None, children=None, attributes=None,
                  display_label: Optional[str] = None, label: Optional[Label] = None,
                  icon_path: Optional[str] = None) -> Label:
        """Add (or overwrite) one label; ``label_name`` may be dotted (``'vehicle.car'``); ``icon_path`` is an
        image shown for the label (uploaded to the project's Binaries dataset)."""
        return self._send_labels([self._one_label(label_name, color, children, attributes, display_label, label,
                                                  icon_path)], upsert=True)[0]

    def add_labels(self, label_list) -> List[Label]:
        """Add labels given as Labels, tags, root dicts or a ``{tag: color}`` dict."""
        return self._send_labels(as_labels(label_list), upsert=True)

    def update_label(self, label_name: Optional[str] = None, color=None, children=None, attributes=None,
                     display_label: Optional[str] = None, label: Optional[Label] = None,
                     upsert: bool = False, icon_path: Optional[str] = None) -> Label:
        """Change an existing label (404 unless it exists or ``upsert=True``)."""
        return self._send_labels([self._one_label(label_name, color, children, attributes, display_label, label,
                                                  icon_path)], upsert=upsert)[0]

    def update_labels(self, label_list, upsert: bool = False) -> List[Label]:
        return self._send_labels(as_labels(label_list), upsert=upsert)

    def delete_labels(self, label_names) -> "Ontology":
        """Remove labels (tags, dotted tags or Labels) and save the ontology."""
        if not isinstance(label_names, (list, tuple)):
            label_names = [label_names]
        tags = [name.tag if isinstance(name, Label) else name for name in label_names]
        missing = [tag for tag in tags if tag not in self.labels_flat_dict]
        if missing:
            raise ValueError(f"labels not in the ontology: {', '.join(missing)}")
        for tag in tags:
            parent, _, name = tag.rpartition(".")
            siblings = self.labels_flat_dict[parent].children if parent else self.labels
            siblings[:] = [label for label in siblings if label.tag != name]
        return self.update()

    # -- actions ---------------------------------------------------------------------------------
    def update(self, system_metadata: bool = False) -> "Ontology":
        return self.ontologies.update(ontology=self, system_metadata=system_metadata)

    def delete(self) -> bool:
        return self.ontologies.delete(ontology_id=self.id)

    def update_attributes(self, title: str, key: str, attribute_type, scope: Optional[list] = None,
                          optional: Optional[bool] = None, values: Optional[list] = None,
                          attribute_range=None) -> bool:
        return self.ontologies.update_attributes(ontology_id=self.id, title=title, key=key,
                                                 attribute_type=attribute_type, scope=scope, optional=optional,
                                                 values=values, attribute_range=attribute_range)

    def delete_attributes(self, keys: list) -> bool:
        return self.ontologies.delete_attributes(ontology_id=self.id, keys=keys)

    def __repr__(self) -> str:
        return f"Ontology(id={self.id!r}, title={self.title!r}, labels={len(self.labels_flat_dict)})"
