"""JSON Schema for the record, the recipe and the run manifest, generated from the Pydantic models.

The files in ``schemas/`` are what `curator schema` writes; a test fails when they drift.
"""

from __future__ import annotations

import json

from curator.recipe import Recipe
from curator.records import InstructionRecord
from curator.run.manifest import Manifest

SCHEMA_FILES = {
    "instruction_record.schema.json": InstructionRecord,
    "recipe.schema.json": Recipe,
    "manifest.schema.json": Manifest,
}
# Records and recipes are read (validation mode); the manifest is written by curator, so its schema
# describes what is written (serialization mode: every field present unless it is absent by design).
_MODES = {"manifest.schema.json": "serialization"}


def render_schemas() -> dict[str, str]:
    """File name → JSON text, deterministic (sorted keys, trailing newline)."""
    rendered = {}
    for name, model in SCHEMA_FILES.items():
        schema = model.model_json_schema(mode=_MODES.get(name, "validation"))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        # A stable identifier, so editors and validators can cache and reference the schema by name.
        schema["$id"] = f"urn:instruct-curator:schema:{name}"
        rendered[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return rendered
