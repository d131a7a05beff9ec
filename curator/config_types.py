"""Constrained types shared by the config models (recipe, stages, mixtures, training).

A name in a recipe often becomes a file or folder name (``removed/<stage>.jsonl``,
``mixtures/<name>/``, ``<run>/<validation.out>/``), so every such name is checked when the recipe
loads: no separators, no ``..``, nothing hidden. Numbers that reach numpy or torch are bounded so
that an out-of-range value is a recipe error, not a crash at the end of a run.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

SAFE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

SafeName = Annotated[
    str,
    Field(
        pattern=SAFE_NAME_PATTERN,
        description="Letters, digits, '.', '_' and '-', starting with a letter or digit (it names files).",
    ),
]

Seed = Annotated[int, Field(ge=0, le=2**63 - 1, description="A seed: 0 to 2^63 − 1.")]
