"""Plan a run's inputs: every source's files, checked readable, with format, sha256 and size.

Nothing is written and no row is read past what format detection needs, so every input problem
is reported before a run starts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from curator.ingest.reader import relative_display, resolve_files

if TYPE_CHECKING:
    from curator.recipe import LoadedRecipe


@dataclass(frozen=True, slots=True)
class InputFile:
    """One resolved input file of a source."""

    source_index: int
    path: Path
    display: str  # as recorded in provenance: relative to the recipe's folder when inside it
    format: str
    sha256: str
    size: int


def plan_inputs(loaded: LoadedRecipe) -> list[InputFile]:
    """Resolve every source's files, check they are readable and detect formats; write nothing."""
    inputs: list[InputFile] = []
    for source_index, source in enumerate(loaded.recipe.sources):
        label = f"source {source.name!r}"
        for file in resolve_files(source, loaded.base_dir, display=relative_display, label=label):
            inputs.append(InputFile(source_index, file.path, file.display, file.format, *_digest(file.path)))
    return inputs


def _digest(path: Path) -> tuple[str, int]:
    """sha256 and size of a file, or of a folder's files in sorted order (a `datasets` folder)."""
    digest, size = hashlib.sha256(), 0
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    return digest.hexdigest(), size
