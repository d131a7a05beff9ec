"""Curate instruction-tuning data into clean, documented, licence-checked mixtures.

The Python API (see ``curator.api`` and the README's "Python API" section)::

    import curator

    result = curator.run_recipe("sample_data/recipe.yaml", "runs/sample")
    records = curator.read_records("sample_data/messy_chat.jsonl")
    out = curator.apply(records, [{"type": "length"}, {"type": "exact_dedup"}])

Names are imported on first use, so ``import curator`` (and the CLI) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("instruct-curator")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from curator.api import Applied, Removed, apply, read_records, recipe_from_dict, run_recipe
    from curator.errors import CuratorError
    from curator.pipeline import RunResult
    from curator.recipe import LoadedRecipe, Recipe, load_recipe
    from curator.records import InstructionRecord, Message
    from curator.stages import STAGES, Stage, StageConfig

_EXPORTS = {
    "Applied": "curator.api",
    "Removed": "curator.api",
    "apply": "curator.api",
    "read_records": "curator.api",
    "recipe_from_dict": "curator.api",
    "run_recipe": "curator.api",
    "CuratorError": "curator.errors",
    "RunResult": "curator.pipeline",
    "LoadedRecipe": "curator.recipe",
    "Recipe": "curator.recipe",
    "load_recipe": "curator.recipe",
    "InstructionRecord": "curator.records",
    "Message": "curator.records",
    "STAGES": "curator.stages",
    "Stage": "curator.stages",
    "StageConfig": "curator.stages",
}
__all__ = [
    "STAGES",
    "Applied",
    "CuratorError",
    "InstructionRecord",
    "LoadedRecipe",
    "Message",
    "Recipe",
    "Removed",
    "RunResult",
    "Stage",
    "StageConfig",
    "__version__",
    "apply",
    "load_recipe",
    "read_records",
    "recipe_from_dict",
    "run_recipe",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'curator' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
