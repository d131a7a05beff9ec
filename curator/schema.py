"""JSON Schema for the record and the recipe, generated from the Pydantic models.

The files in ``schemas/`` are what `curator schema` writes; a test fails when they drift.
"""

from __future__ import annotations

import json

from curator.recipe import Recipe
from curator.records import InstructionRecord

SCHEMA_FILES = {
    "instruction_record.schema.json": InstructionRecord,
    "recipe.schema.json": Recipe,
}


def render_schemas() -> dict[str, str]:
    """File name → JSON text, deterministic (sorted keys, trailing newline)."""
    rendered = {}
    for name, model in SCHEMA_FILES.items():
        schema = model.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        rendered[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return rendered
