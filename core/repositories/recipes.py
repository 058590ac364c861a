"""Recipes (wire §3.8): a dataset's recipe(s), or a project's recipes via the query-string listing."""
from __future__ import annotations

import webbrowser
from typing import List, Optional, Union

from .._repository import Repository, exactly_one, own_filters, path
from ..entities.recipe import Recipe, check_instruction_file
from ..filters import Filters, FiltersResource
from ..paging import PagedEntities

UI_SETTINGS = {"allowObjectIdAutoAssign": True, "studioV2App": True}


class Recipes(Repository):
    """``dataset.recipes`` (the dataset's, creating one switches the dataset to it) or ``project.recipes``."""

    def _build(self, json: dict) -> Recipe:
        return Recipe(self._client, json, **self._context)

    def _project_ids(self) -> List[str]:
        dataset, project = self._context.get("dataset"), self._context.get("project")
        if dataset is not None and dataset.project_id:
            return [dataset.project_id]
        if project is not None:
            return [project.id]
        raise ValueError("pass project_ids (or use project.recipes / dataset.recipes)")

    def create(self, project_ids: Optional[List[str]] = None, ontology_ids: Union[str, List[str], None] = None,
               labels=None, recipe_name: Optional[str] = None, attributes: Optional[list] = None,
               annotation_instruction_file: Optional[str] = None) -> Recipe:
        """Create a recipe (and first an ontology with ``labels`` when no ``ontology_ids``); an
        ``annotation_instruction_file`` (PDF) is uploaded and linked as its instruction document."""
        if annotation_instruction_file is not None:
            check_instruction_file(annotation_instruction_file)
        project_ids = project_ids if project_ids is not None else self._project_ids()
        if isinstance(project_ids, str):
            project_ids = [project_ids]
        dataset = self._context.get("dataset")
        if ontology_ids is None:
            ontology = self._client.ontologies.create(labels=labels or [], project_ids=project_ids,
                                                      attributes=attributes)
            ontology_ids = [ontology.id]
        elif isinstance(ontology_ids, str):
            ontology_ids = [ontology_ids]
        if recipe_name is None:
            recipe_name = f"{dataset.name} Default Recipe" if dataset is not None else "Default Recipe"
        body = {"title": recipe_name, "projectIds": project_ids, "ontologyIds": list(ontology_ids),
                "uiSettings": dict(UI_SETTINGS)}
        recipe = self._build(self._request("POST", "/recipes", json=body))
        if dataset is not None:
            dataset.switch_recipe(recipe_id=recipe.id)
        if annotation_instruction_file is not None:
            recipe.add_instruction(annotation_instruction_file)
        return recipe

    def get(self, recipe_id: str) -> Recipe:
        return self._build(self._request("GET", path("/recipes/{}", recipe_id)))

    def list(self, filters: Optional[Filters] = None):
        """A dataset's recipes (list), or a project's recipes (``PagedEntities``)."""
        dataset = self._context.get("dataset")
        if dataset is not None:
            return [self.get(recipe_id) for recipe_id in dataset.get_recipe_ids()]
        project = self._parent("project")
        filters = own_filters(filters, FiltersResource.RECIPE)
        if not filters.has_field("projects"):
            filters.add(field="projects", values=[project.id])
        return PagedEntities(self._query_page, filters, self._build)

    def _query_page(self, body: dict) -> dict:
        """Recipe listings take the DQL AND clauses as query-string pairs (lists comma-joined)."""
        params = {"pageOffset": body.get("page", 0), "pageSize": body.get("pageSize", 1000)}
        for clause in (body.get("filter") or {}).get("$and", []):
            for field, value in clause.items():
                if isinstance(value, dict):
                    raise ValueError(f"recipe listings support only equality clauses, got {field}: {value}")
                params[field] = ",".join(map(str, value)) if isinstance(value, list) else value
        return self._request("GET", "/recipes", params=params)

    def update(self, recipe: Recipe, system_metadata: bool = False) -> Recipe:
        params = {"system": "true"} if system_metadata else None
        answer = self._request("PATCH", path("/recipes/{}", recipe.id), json=recipe.to_json(), params=params)
        recipe._refresh_from(answer)
        return recipe

    def delete(self, recipe_id: str, force: bool = False) -> bool:
        """Delete a recipe; one still used by a dataset needs ``force=True``."""
        self._request("DELETE", path("/recipes/{}", recipe_id), params={"force": "true"} if force else None)
        return True

    def clone(self, recipe: Optional[Recipe] = None, recipe_id: Optional[str] = None,
              shallow: bool = False) -> Recipe:
        """Copy a recipe; ``shallow=True`` shares its ontologies instead of copying them."""
        exactly_one(recipe=recipe, recipe_id=recipe_id)
        recipe_id = recipe_id or recipe.id
        return self._build(self._request("POST", path("/recipes/{}/clone", recipe_id), json={"shallow": shallow}))

    @property
    def platform_url(self) -> str:
        return f"{self._client.console_url}projects/{self._project_ids()[0]}/recipes"

    def open_in_web(self, recipe: Optional[Recipe] = None, recipe_id: Optional[str] = None) -> None:
        recipe_id = recipe.id if recipe is not None else recipe_id
        url = f"{self.platform_url}/{recipe_id}" if recipe_id else self.platform_url
        webbrowser.open(url=url, new=2, autoraise=True)
