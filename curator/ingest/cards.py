"""Read licence, citation and friends from a dataset's own metadata, so a recipe need not repeat it.

Part of ingestion: the pipeline fills each source's missing provenance before the run
(:func:`fill_from_cards`), and the licence summary reports where a card disagrees with the recipe.

Two places hold it:

* a Hub-style ``README.md`` whose YAML front matter has ``license:``, ``license_name:``,
  ``license_link:``, ``pretty_name:``, ``language:`` (and a ``Citation`` section with a code block);
* a ``datasets`` ``save_to_disk`` folder's ``dataset_info.json`` (``license``, ``citation``,
  ``homepage``, ``version``).

Where to look for an input (unless the source names its ``card:``): a datasets folder itself and
its parent (the parent of a DatasetDict's split); for a file, its folder, and the folder above it
when the file sits in ``data/`` (the Hub's layout). A README.md without YAML front matter is not a
dataset card and is ignored. The recipe's own fields always win; a card that disagrees with the
recipe's licence is reported.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from curator.errors import InputError
from curator.io.safe_yaml import YamlLimitError, load_bounded
from curator.licensing.spdx import LicenseError, is_unknown, normalize_license

if TYPE_CHECKING:
    from curator.recipe import Recipe, SourceConfig

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|\Z)", re.S)
_CITATION = re.compile(r"^#+\s*Citation[^\n]*\n(.*?)(?=^#+\s|\Z)", re.S | re.M | re.I)
_CODE_BLOCK = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.S)
logger = logging.getLogger(__name__)
MAX_FRONT_MATTER_BYTES = 256 << 10
MAX_CARD_BYTES = 4 << 20  # a card is read whole: a huge file beside the data must not be

_CARD_KEYS = ("license", "license_name", "license_link", "pretty_name", "language", "dataset_info", "configs")


@dataclass(slots=True)
class CardInfo:
    """What a dataset's metadata says about it; ``path`` is where it was read."""

    path: str
    license: str | None = None  # normalised SPDX, or None
    license_raw: Any = None
    license_error: str | None = None
    license_link: str | None = None
    pretty_name: str | None = None
    language: list[str] = field(default_factory=list)
    citation: str | None = None
    url: str | None = None
    version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in {
                "path": self.path,
                "license": self.license,
                "license_as_written": self.license_raw,
                "license_error": self.license_error,
                "license_link": self.license_link,
                "pretty_name": self.pretty_name,
                "language": self.language or None,
                "citation": self.citation,
                "url": self.url,
                "version": self.version,
            }.items()
            if v is not None
        }


def front_matter(text: str) -> tuple[dict[str, Any] | None, str]:
    """(YAML front matter of a Markdown card or None, the text after it)."""
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, text
    try:
        data = load_bounded(match.group(1), max_bytes=MAX_FRONT_MATTER_BYTES)
    except (yaml.YAMLError, YamlLimitError) as exc:
        # A card is advice about the data, not the data: a broken one is ignored, and said so.
        logger.warning("ignoring a dataset card's YAML front matter: %s", str(exc).splitlines()[0])
        return None, text
    return (data if isinstance(data, dict) else None), text[match.end() :]


def _hub_license(value: Any, data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(normalised SPDX or None, error). A list means all apply; ``other`` uses ``license_name``."""
    items = value if isinstance(value, list) else [value]
    parts = []
    for item in items:
        if item is None:
            continue
        text = str(item).strip()
        if text.lower() == "other" and data.get("license_name"):
            name = re.sub(r"[^A-Za-z0-9.\-]+", "-", str(data["license_name"])).strip("-")
            parts.append(f"LicenseRef-{name}")
        elif not is_unknown(text):
            parts.append(text)
    if not parts:
        return None, None
    expression = " AND ".join(f"({p})" if " " in p else p for p in parts)
    try:
        return normalize_license(expression), None
    except LicenseError as exc:
        return None, str(exc)


def _read_small(path: Path) -> bytes | None:
    """The file's bytes, or None when unreadable, not a regular file, or over MAX_CARD_BYTES."""
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            data = handle.read(MAX_CARD_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CARD_BYTES:
        logger.warning("ignoring %s: over %d bytes, too big for a dataset card", path, MAX_CARD_BYTES)
        return None
    return data


def read_readme(path: Path) -> CardInfo | None:
    try:
        raw = _read_small(path)
        if raw is None:
            return None
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    data, body = front_matter(text)
    if data is None or not any(key in data for key in _CARD_KEYS):
        return None
    info = CardInfo(path=str(path))
    if "license" in data:
        info.license_raw = data["license"]
        info.license, info.license_error = _hub_license(data["license"], data)
    if data.get("license_link"):
        info.license_link = str(data["license_link"])
    if data.get("pretty_name"):
        info.pretty_name = str(data["pretty_name"])
    language = data.get("language")
    if isinstance(language, str):
        info.language = [language]
    elif isinstance(language, list):
        info.language = [str(x) for x in language if x]
    section = _CITATION.search(body)
    if section:
        block = _CODE_BLOCK.search(section.group(1))
        citation = (block.group(1) if block else section.group(1)).strip()
        info.citation = citation or None
    return info


def read_dataset_info(path: Path) -> CardInfo | None:
    """``dataset_info.json`` of a save_to_disk folder (empty strings count as absent)."""
    raw = _read_small(path)
    try:
        data = orjson.loads(raw) if raw is not None else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    info = CardInfo(path=str(path))
    if isinstance(data.get("license"), str) and data["license"].strip():
        info.license_raw = data["license"]
        info.license, info.license_error = _hub_license(data["license"], {})
    if isinstance(data.get("citation"), str) and data["citation"].strip():
        info.citation = data["citation"].strip()
    if isinstance(data.get("homepage"), str) and data["homepage"].strip():
        info.url = data["homepage"].strip()
    version = data.get("version")
    if isinstance(version, dict) and version.get("version_str") not in (None, "", "0.0.0"):
        info.version = str(version["version_str"])
    return info


def _merge(primary: CardInfo | None, secondary: CardInfo | None) -> CardInfo | None:
    if primary is None or secondary is None:
        return primary or secondary
    for name in ("license_raw", "license_link", "pretty_name", "citation", "url", "version"):
        if getattr(primary, name) is None:
            setattr(primary, name, getattr(secondary, name))
    if primary.license_raw is secondary.license_raw:
        primary.license, primary.license_error = secondary.license, secondary.license_error
    primary.language = primary.language or secondary.language
    return primary


def card_candidates(input_path: Path) -> list[Path]:
    """Folders whose metadata may describe ``input_path``, nearest first."""
    if input_path.is_dir():
        return [input_path, input_path.parent]
    folder = input_path.parent
    return [folder, folder.parent] if folder.name == "data" else [folder]


def find_card(input_path: Path) -> CardInfo | None:
    """The nearest dataset metadata for an input (README.md front matter, then dataset_info.json)."""
    for folder in card_candidates(input_path):
        readme = read_readme(folder / "README.md") if (folder / "README.md").is_file() else None
        info_file = folder / "dataset_info.json"
        info = read_dataset_info(info_file) if info_file.is_file() else None
        found = _merge(readme, info)
        if found is not None:
            return found
    return None


def read_card(path: Path) -> CardInfo:
    """The metadata a source's ``card:`` names: a README.md, a dataset_info.json or a folder of them."""
    if path.is_dir():
        found = _merge(
            read_readme(path / "README.md") if (path / "README.md").is_file() else None,
            read_dataset_info(path / "dataset_info.json") if (path / "dataset_info.json").is_file() else None,
        )
    elif path.name == "dataset_info.json":
        found = read_dataset_info(path)
    elif path.is_file():
        found = read_readme(path)
    else:
        raise InputError(f"card not found: {path}")
    if found is None:
        raise InputError(f"{path}: no dataset card metadata (YAML front matter or dataset_info.json) found")
    return found


_CARD_FIELDS = ("license", "url", "citation", "version")


def source_card(source: SourceConfig, base_dir: Path, input_paths: list[Path]) -> CardInfo | None:
    """The dataset card of a source: the one it names, else the first found next to its inputs."""
    if source.card:
        path = Path(source.card).expanduser()
        return read_card(path if path.is_absolute() else base_dir / path)
    for path in input_paths:
        found = find_card(path)
        if found is not None:
            return found
    return None


def fill_from_cards(
    recipe: Recipe, base_dir: Path, input_paths: list[list[Path]]
) -> tuple[Recipe, dict[str, CardInfo | None]]:
    """The recipe with each source's missing licence, url, citation, version and language read from
    its dataset card, and the cards (``input_paths``: each source's files, in source order).

    The recipe's own fields always win. A card a source names that cannot be read is an InputError.
    """
    sources, cards, changed = [], {}, False
    for source, paths in zip(recipe.sources, input_paths, strict=True):
        card = cards[source.name] = source_card(source, base_dir, paths)
        updates: dict[str, Any] = {}
        if card is not None:
            for name in _CARD_FIELDS:
                if getattr(source, name) is None and getattr(card, name) is not None:
                    updates[name] = getattr(card, name)
            if source.language is None and card.language:
                updates["language"] = card.language
        if updates:
            changed = True
            source = source.model_copy(update=updates)
        sources.append(source)
    if not changed:
        return recipe, cards
    filled = recipe.model_copy(update={"sources": sources})
    for stage in filled.stages:
        stage.bind_sources(filled.sources)
    return filled, cards
