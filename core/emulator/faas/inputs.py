"""Execution inputs checked against a function's declared ``FunctionIO`` list before anything runs."""
from __future__ import annotations

from typing import Any, Dict, Tuple

from ..errors import BadRequest, not_found
from ..ids import is_object_id

# FunctionIO type -> (store kind, id key in the reference object)
ENTITY_TYPES = {
    "Item": ("item", "item_id"), "Dataset": ("dataset", "dataset_id"), "Annotation": ("annotation", "annotation_id"),
    "Project": ("project", "project_id"), "Task": ("task", "task_id"), "Assignment": ("assignment", "assignment_id"),
    "Service": ("service", "service_id"), "Package": ("package", "package_id"),
    "Execution": ("execution", "execution_id"), "Recipe": ("recipe", "recipe_id"), "Model": ("model", "model_id"),
}
SCALARS = {
    "String": (str,), "Number": (int, float), "Float": (int, float), "Integer": (int,), "Boolean": (bool,),
}


def entity_ref(type_name: str, doc: dict) -> dict:
    """The reference object the platform passes for an entity input (``{"item_id", "dataset_id"}``...)."""
    _, key = ENTITY_TYPES[type_name]
    ref = {key: doc["id"]}
    if doc.get("datasetId"):
        ref["dataset_id"] = doc["datasetId"]
    if type_name == "Annotation" and doc.get("itemId"):
        ref["item_id"] = doc["itemId"]
    return ref


def _article(word: str) -> str:
    return "an" if word[:1] in "AEIOU" else "a"


def _check_one(store, name: str, type_name: str, value: Any) -> Any:
    if value is None:
        return None
    if type_name.endswith("[]"):
        if not isinstance(value, list):
            raise BadRequest(f"input {name!r} must be a list ({type_name}), got {type(value).__name__}")
        return [_check_one(store, name, type_name[:-2], v) for v in value]
    if type_name in ENTITY_TYPES:
        kind, key = ENTITY_TYPES[type_name]
        entity_id = value.get(key) if isinstance(value, dict) else value if isinstance(value, str) else None
        if entity_id is None:
            raise BadRequest(f"input {name!r} must be {_article(type_name)} {type_name} reference like {{{key!r}: <id>}}, "
                             f"got {type(value).__name__}")
        if not is_object_id(entity_id):
            raise BadRequest(f"input {name!r}: {key} must be a 24-hex id, got {entity_id!r}")
        if kind != "model" and store.find(kind, entity_id) is None:
            raise not_found(type_name, entity_id)
        return value if isinstance(value, dict) else {key: entity_id}
    allowed = SCALARS.get(type_name)
    if allowed is not None and (isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed)):
        raise BadRequest(f"input {name!r} must be {_article(type_name)} {type_name}, got {type(value).__name__}")
    return value


def check_inputs(store, function: dict, given: Any) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """Validated inputs and the declared type of each; ``BadRequest`` naming the offending input."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise BadRequest(f"execution input must be an object mapping input names to values, got "
                         f"{type(given).__name__}")
    declared = {io.get("name"): io.get("type") or "Json" for io in function.get("input") or []}
    unknown = [name for name in given if name not in declared]
    if unknown:
        expected = ", ".join(declared) or "none"
        raise BadRequest(f"function {function.get('name')!r} has no input {unknown[0]!r} (inputs: {expected})")
    clean = {name: _check_one(store, name, declared[name], value) for name, value in given.items()}
    return clean, declared
