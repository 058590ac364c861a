"""Recipe: the labeling setup of a dataset (its ontologies, instructions and UI settings)."""
from __future__ import annotations

import os
import uuid
from functools import cached_property
from typing import List

from .base import Entity, Field


def check_instruction_file(local_path: str) -> str:
    """An instruction document must be an existing local ``.pdf`` file."""
    if not isinstance(local_path, str) or os.path.splitext(local_path)[1].lower() != ".pdf":
        raise ValueError(f"annotation_instruction_file must be a .pdf file, got {local_path!r}")
    if not os.path.isfile(local_path):
        raise ValueError(f"annotation_instruction_file not found: {local_path}")
    return local_path


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

    @property
    def instruction_document(self):
        """``{"itemId", "datasetId", "name"}`` of the linked instruction PDF, or None."""
        return ((self.metadata or {}).get("system") or {}).get("instructionDocument")

    def add_instruction(self, annotation_instruction_file: str) -> "Recipe":
        """Upload a PDF to ``/.dataloop/recipes/<id>/instructions/`` of the project's Binaries dataset and link
        it as the recipe's ``metadata.system.instructionDocument``."""
        from ..repositories.datasets import upload_to_binaries
        check_instruction_file(annotation_instruction_file)
        if not self.project_ids:
            raise ValueError(f"recipe {self.id} has no project to store its instructions in")
        project = self.project if self.project is not None and self.project.id == self.project_ids[0] \
            else self.project_ids[0]
        item = upload_to_binaries(self._client, project, annotation_instruction_file,
                                  f"/.dataloop/recipes/{self.id}/instructions", f"{uuid.uuid4()}.pdf",
                                  overwrite=True)
        self.metadata.setdefault("system", {})["instructionDocument"] = {
            "itemId": item.id, "datasetId": item.dataset_id, "name": item.name}
        return self.update(system_metadata=True)

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
