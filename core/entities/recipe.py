"""Recipe: the labeling setup of a dataset (its ontologies, instructions and UI settings)."""
from __future__ import annotations

from functools import cached_property
from typing import List

from .base import Entity, Field


class Recipe(Entity):
    title = Field("title")
    description = Field("description")
    project_ids = Field("projectIds", default=list)
    ontology_ids = Field("ontologyIds", default=list)
    instructions = Field("instructions")
    examples = Field("examples")
    custom_actions = Field("customActions")
    ui_settings = Field("uiSettings")
    metadata = Field("metadata", default=dict)
    updated_by = Field("updatedBy", readonly=True)

    @property
    def dataset(self):
        return self._context.get("dataset")

    @property
    def project(self):
        return self._context.get("project")

    @property
    def platform_url(self) -> str:
        project_id = (self.project_ids or [None])[0]
        return f"{self._client.console_url}projects/{project_id}/recipes/{self.id}"

    @cached_property
    def recipes(self):
        from ..repositories.recipes import Recipes
        return Recipes(self._client, dataset=self.dataset, project=self.project)

    @cached_property
    def ontologies(self):
        from ..repositories.ontologies import Ontologies
        return Ontologies(self._client, recipe=self, dataset=self.dataset, project=self.project)

    def get_ontologies(self) -> List:
        """The recipe's ontology entities."""
        return self.ontologies.list()

    def update(self, system_metadata: bool = False) -> "Recipe":
        return self.recipes.update(recipe=self, system_metadata=system_metadata)

    def delete(self, force: bool = False) -> bool:
        return self.recipes.delete(recipe_id=self.id, force=force)

    def clone(self, shallow: bool = False) -> "Recipe":
        return self.recipes.clone(recipe=self, shallow=shallow)

    def open_in_web(self) -> None:
        self.recipes.open_in_web(recipe=self)

    def __repr__(self) -> str:
        return f"Recipe(id={self.id!r}, title={self.title!r})"
