"""Ontologies (wire §3.9): label trees and attribute definitions of recipes."""
from __future__ import annotations

from typing import List, Optional

from .._repository import Repository, path, prune
from ..entities.label import as_labels
from ..entities.ontology import AttributesRange, AttributesTypes, Ontology
from ..filters import Filters, FiltersResource
from ..paging import PagedEntities

ATTRIBUTE_TYPES = {
    AttributesTypes.CHECKBOX: {"type": "options", "multi": True},
    AttributesTypes.RADIO_BUTTON: {"type": "options", "multi": False},
    AttributesTypes.SLIDER: {"type": "range"},
    AttributesTypes.YES_NO: {"type": "boolean"},
    AttributesTypes.FREE_TEXT: {"type": "freeText"},
}


class Ontologies(Repository):
    """``recipe.ontologies`` (the recipe's), ``project.ontologies`` / ``dataset.ontologies`` (by project)."""

    def _build(self, json: dict) -> Ontology:
        return Ontology(self._client, json, **self._context)

    @staticmethod
    def labels_to_roots(labels) -> List[dict]:
        """Labels (Labels, tags, root dicts or ``{tag: color}``) in the platform's ``roots`` shape."""
        return [label.to_root() for label in as_labels(labels)]

    def _project_ids(self) -> List[str]:
        for name in ("recipe", "dataset"):
            parent = self._context.get(name)
            ids = getattr(parent, "project_ids", None) or getattr(parent, "projects", None)
            if ids:
                return list(ids)
        project = self._context.get("project")
        return [project.id] if project is not None else []

    def create(self, labels, title: Optional[str] = None, project_ids: Optional[List[str]] = None,
               attributes: Optional[list] = None) -> Ontology:
        """Create an ontology; from ``recipe.ontologies`` it is also appended to the recipe."""
        project_ids = project_ids if project_ids is not None else self._project_ids()
        if isinstance(project_ids, str):
            project_ids = [project_ids]
        body = prune({"roots": self.labels_to_roots(labels), "projectIds": project_ids,
                      "attributes": list(attributes or []), "title": title})
        ontology = self._build(self._request("POST", "/ontologies", json=body))
        recipe = self._context.get("recipe")
        if recipe is not None:
            recipe.ontology_ids = list(recipe.ontology_ids or []) + [ontology.id]
            recipe.update()
        return ontology

    def get(self, ontology_id: str) -> Ontology:
        return self._build(self._request("GET", path("/ontologies/{}", ontology_id)))

    def list(self, project_ids: Optional[List[str]] = None) -> List[Ontology]:
        """The recipe's ontologies, or every ontology of the given (or the repository's) projects."""
        recipe = self._context.get("recipe")
        if recipe is not None and project_ids is None:
            return [self.get(ontology_id) for ontology_id in recipe.ontology_ids or []]
        project_ids = project_ids if project_ids is not None else self._project_ids()
        if isinstance(project_ids, str):
            project_ids = [project_ids]
        if not project_ids:
            raise ValueError("Ontologies.list needs project_ids, a project, a dataset or a recipe")
        filters = Filters(resource=FiltersResource.ONTOLOGY)
        return list(PagedEntities(lambda body: self._query_page(body, project_ids), filters, self._build).all())

    def _query_page(self, body: dict, project_ids: List[str]) -> dict:
        params = {"pageOffset": body.get("page", 0), "pageSize": body.get("pageSize", 1000),
                  "projects": ",".join(project_ids)}
        return self._request("GET", "/ontologies", params=params)

    def update(self, ontology: Ontology, system_metadata: bool = False) -> Ontology:
        """PUT the full ontology (roots rebuilt from ``ontology.labels``); the entity is refreshed."""
        params = {"system": "true"} if system_metadata else None
        answer = self._request("PUT", path("/ontologies/{}", ontology.id), json=ontology.to_json(), params=params)
        ontology._refresh_from(answer)
        return ontology

    def delete(self, ontology_id: str) -> bool:
        self._request("DELETE", path("/ontologies/{}", ontology_id))
        return True

    def patch_labels(self, ontology_id: str, labels_node: List[dict], upsert: bool) -> dict:
        """``PATCH /ontologies/{id}/labels``; answers the whole ontology (with ``roots``)."""
        answer = self._request("PATCH", path("/ontologies/{}/labels", ontology_id),
                               json={"labelsNode": labels_node, "upsert": upsert})
        if not isinstance(answer, dict) or "roots" not in answer:
            raise ValueError("the platform answered a label update without 'roots'")
        return answer

    def update_attributes(self, ontology_id: str, title: str, key: str, attribute_type,
                          scope: Optional[list] = None, optional: Optional[bool] = None,
                          values: Optional[list] = None, attribute_range=None) -> bool:
        """Add or update one attribute (attributes 2.0)."""
        wire_type = ATTRIBUTE_TYPES.get(getattr(attribute_type, "value", attribute_type))
        if wire_type is None:
            allowed = ", ".join(ATTRIBUTE_TYPES)
            raise ValueError(f"unknown attribute_type {attribute_type!r}; expected one of: {allowed}")
        if wire_type["type"] == "options" and not values:
            raise ValueError(f"attribute_type {attribute_type!r} needs values")
        if wire_type["type"] == "range" and attribute_range is None:
            raise ValueError("attribute_type 'range' needs attribute_range")
        if isinstance(attribute_range, AttributesRange):
            attribute_range = attribute_range.to_json()
        if isinstance(scope, str):
            scope = [scope]
        item = prune({"title": title, "key": key, **wire_type, "optional": optional, "values": values,
                      "range": attribute_range, "scope": scope or ["*"]})
        self._request("PATCH", path("/ontologies/{}/attributes", ontology_id), json={"items": [item], "upsert": True})
        return True

    def delete_attributes(self, ontology_id: str, keys: list) -> bool:
        if isinstance(keys, str):
            keys = [keys]
        if not keys:
            raise ValueError("keys must be a non-empty list of attribute keys")
        self._request("DELETE", path("/ontologies/{}/attributes", ontology_id), json={"keys": list(keys)})
        return True

