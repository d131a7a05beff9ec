"""The recipe: what to read, which stages to run, where to write. YAML ⇄ Pydantic.

Every error names the key and the YAML line it is on, so a user can fix a recipe without
reading a traceback.
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from curator.config_types import SAFE_NAME_PATTERN, SafeName, Seed
from curator.errors import RecipeError
from curator.formats.spec import DataFiles
from curator.io.rows import ReadLimits
from curator.io.safe_yaml import YamlLimitError, compose_bounded, load_bounded
from curator.licensing.spdx import check_license
from curator.licensing.terms import KNOWN_TERMS, ModelTerms
from curator.mixtures.config import MixtureConfig
from curator.stages import AnyStageConfig
from curator.validation import ValidationConfig

_TEXT_OR_NUMBER: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]}
_ONE_OR_MANY_TEXTS: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}, {"type": "null"}]
}


class SourceConfig(DataFiles):
    """One input: files, how to read them (path, format, columns), and where they came from."""

    name: SafeName = Field(description="Short unique name; it appears in provenance, reports and removed/.")
    license: str | None = Field(
        default=None,
        description="SPDX licence expression, e.g. CC-BY-NC-4.0 (validated and normalised); default: "
        "the license: of the dataset's card (README.md front matter or dataset_info.json).",
    )
    license_column: str | None = Field(
        default=None,
        description="Field of each input row that holds that row's licence; overrides `license` where set.",
    )
    generated_by: str | None = Field(default=None, description="Model that generated the data, if any.")
    model_terms: str | ModelTerms | None = Field(
        default=None,
        description=f"Terms the generating model's output comes under: one of {', '.join(KNOWN_TERMS)}, "
        "or {name, url, restricts_competing, summary}; default: looked up from generated_by.",
    )
    url: str | None = None
    citation: str | None = None
    # The before-validators below accept more than the field types say (a YAML number as a version, one
    # language as a string); WithJsonSchema makes the exported schema accept exactly that much too.
    version: Annotated[str | None, WithJsonSchema(_TEXT_OR_NUMBER)] = Field(
        default=None, description="Version or revision of the dataset."
    )
    collection_date: Annotated[str | None, WithJsonSchema(_TEXT_OR_NUMBER)] = Field(
        default=None, description="When the data was collected, e.g. 2023-04."
    )
    language: Annotated[list[str] | None, WithJsonSchema(_ONE_OR_MANY_TEXTS)] = Field(
        default=None, description="Languages of the source (ISO 639-1): one code or a list."
    )
    card: str | None = Field(
        default=None,
        description="Dataset card (README.md with YAML front matter, dataset_info.json, or their folder) "
        "to read license, citation and url from; default: found next to the input.",
    )

    @field_validator("license")
    @classmethod
    def _spdx(cls, value: str | None) -> str | None:
        return check_license(value)

    @field_validator("model_terms")
    @classmethod
    def _known_terms(cls, value: str | ModelTerms | None) -> str | ModelTerms | None:
        if isinstance(value, str) and value not in KNOWN_TERMS:
            known = ", ".join(KNOWN_TERMS)
            raise ValueError(f"unknown model terms {value!r}; expected one of {known} or an object")
        return value

    @field_validator("version", "collection_date", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # YAML reads 2023-04-12 as a date and 1.0 as a float; both are meant as text here.
        if isinstance(value, (datetime.date, int, float)) and not isinstance(value, bool):
            return value.isoformat() if isinstance(value, datetime.date) else str(value)
        return value

    @field_validator("language", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def provenance(self) -> dict[str, Any]:
        """Provenance fields every record of this source starts with."""
        return {
            "source": self.name,
            "license": self.license,
            "generated_by": self.generated_by,
            "url": self.url,
            "citation": self.citation,
        }


class OutputConfig(BaseModel):
    """How the kept records are written."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["jsonl", "parquet"] = "jsonl"
    compression: Literal["none", "gzip", "zstd"] = Field(default="none", description="For JSONL output.")
    max_records_per_file: int = Field(default=100_000, ge=1)


class LimitsConfig(BaseModel):
    """Bounds on hostile input (see the README's Guarantees); a row past them is rejected."""

    model_config = ConfigDict(extra="forbid")

    max_row_bytes: int = Field(default=64 << 20, ge=1024, description="Longest row kept (bytes).")
    max_depth: int = Field(default=64, ge=2, le=1000, description="Deepest nesting of a row's JSON.")
    max_document_bytes: int = Field(
        default=1 << 30, ge=1024, description="Largest .json array file (parsed whole; use JSONL past it)."
    )
    max_compression_ratio: int = Field(
        default=250, ge=10, description="Decompressed ÷ compressed bytes past which an input is a bomb."
    )

    def read_limits(self) -> ReadLimits:
        return ReadLimits(**self.model_dump())


class RunConfig(BaseModel):
    """How the engine processes the data (does not change the output)."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(default=5_000, ge=1, description="Rows per shard: the unit of parallel work.")
    workers: int = Field(default=1, ge=1, le=4096, description="Processes; `curator run --workers` wins.")
    limits: LimitsConfig = Field(default_factory=LimitsConfig)


class Recipe(BaseModel):
    """A whole curation run."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    name: str = "curation"
    seed: Seed = 0
    sources: list[SourceConfig] = Field(min_length=1)
    stages: list[AnyStageConfig] = Field(default_factory=list)
    mixtures: list[MixtureConfig] = Field(
        default_factory=list,
        description="Named samples of the kept records, each written to mixtures/<name>/ with a card.",
    )
    output: OutputConfig = Field(default_factory=OutputConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    storage_options: dict[str, Any] | None = Field(
        default=None,
        exclude=True,  # may hold credentials: never written to the manifest or a resolved recipe
        repr=False,
        description="fsspec options for remote sources and a remote --out (overridden per source); "
        "default: the standard environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL).",
    )
    validation: ValidationConfig | None = Field(
        default=None,
        description="Train a small model on each mixture and on the uncurated input, evaluate them on "
        "held-out sets and rank them (scorecard in <run>/validation/); needs the train extra.",
    )

    @model_validator(mode="after")
    def _default_storage_options(self) -> Recipe:
        # The recipe's storage_options reach every remote path it names that has none of its own.
        if self.storage_options:
            from curator.stages.decontaminate import DecontaminateConfig

            for source in self.sources:
                source.storage_options = source.storage_options or self.storage_options
            for stage in self.stages:
                if isinstance(stage, DecontaminateConfig):
                    for eval_set in stage.evals:
                        eval_set.storage_options = eval_set.storage_options or self.storage_options
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> Recipe:
        for kind, names in (
            ("source", [s.name for s in self.sources]),
            ("stage", [s.stage_name for s in self.stages]),
            ("mixture", [m.name for m in self.mixtures]),
        ):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"two {kind}s are named {name!r}; give each a unique `name`")
                seen.add(name)
        return self

    @field_validator("mixtures")
    @classmethod
    def _mixture_sources_exist(
        cls, mixtures: list[MixtureConfig], info: ValidationInfo
    ) -> list[MixtureConfig]:
        names = {s.name for s in info.data.get("sources") or []}
        for index, mixture in enumerate(mixtures):
            for source in mixture.sources or []:
                if source not in names:
                    raise ValueError(f"mixtures.{index}.sources: no source is named {source!r}")
            if mixture.by == "source" and mixture.weights:
                unknown = sorted(set(mixture.weights) - names - {"*"})
                if unknown:
                    named = ", ".join(map(repr, unknown))
                    raise ValueError(f"mixtures.{index}.weights: no source is named {named}")
        return mixtures

    @model_validator(mode="after")
    def _bind_sources(self) -> Recipe:
        # Stages that need to know the sources (the licence stage: each source's model terms).
        for stage in self.stages:
            stage.bind_sources(self.sources)
        return self

    def to_yaml(self) -> str:
        """The recipe as YAML, without default values (a stage's `type` is always written)."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        for config, dumped in zip(self.stages, data.get("stages", []), strict=True):
            dumped.setdefault("type", config.type)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class LoadedRecipe(BaseModel):
    """A validated recipe plus where it was read from (relative paths resolve against ``base_dir``)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    recipe: Recipe
    path: Path
    base_dir: Path
    sha256: str


def load_recipe(path: str | Path) -> LoadedRecipe:
    """Read and validate a recipe file; raise RecipeError naming the key and line of the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(f"recipe not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"cannot read recipe {path}: {exc}") from None
    recipe = parse_recipe(text, source_name=str(path))
    return LoadedRecipe(
        recipe=recipe,
        path=path.resolve(),
        base_dir=path.resolve().parent,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


MAX_RECIPE_BYTES = 1 << 20


def parse_recipe(text: str, source_name: str = "<recipe>") -> Recipe:
    try:
        root = compose_bounded(text, max_bytes=MAX_RECIPE_BYTES)
        data = load_bounded(text, max_bytes=MAX_RECIPE_BYTES) if root is not None else None
    except YamlLimitError as exc:
        raise RecipeError(f"{source_name}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RecipeError(f"{source_name}{where}: invalid YAML: {problem}") from None
    if root is None:
        raise RecipeError(f"{source_name}: the recipe is empty")
    lines: dict[tuple[Any, ...], int] = {}
    _index_lines(root, (), lines, source_name)
    if not isinstance(data, dict):
        raise RecipeError(f"{source_name}:1: a recipe is a mapping of keys (sources, stages, output, ...)")
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(_describe(exc, lines, source_name)) from None


def _index_lines(
    node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int], name: str
) -> None:
    """Map every key path to its 1-based line, and refuse duplicate keys (YAML would keep the last)."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise RecipeError(f"{name}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index_lines(value_node, (*path, key), lines, name)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, name)


def _describe(exc: ValidationError, lines: dict[tuple[Any, ...], int], name: str) -> str:
    """One line per problem: file:line: dotted.key: message."""
    problems = []
    for error in exc.errors():
        loc = _without_union_tag(error["loc"])
        key_path = loc
        while key_path and key_path not in lines:
            key_path = key_path[:-1]
        line = lines.get(key_path, 1)
        dotted = ".".join(str(p) for p in loc) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "string_pattern_mismatch" and error["ctx"]["pattern"] == SAFE_NAME_PATTERN:
            message = (
                f"{error['input']!r} is not a safe name: it names files, so use only letters, digits, "
                "'.', '_' and '-', starting with a letter or digit"
            )
        elif error["type"] == "union_tag_invalid":
            expected = error["ctx"]["expected_tags"]
            message = f"unknown stage type {error['input'].get('type')!r}; expected one of {expected}"
        elif error["type"] == "union_tag_not_found":
            message = "a stage needs a `type`"
        problems.append(f"{name}:{line}: {dotted}: {message}")
    return (
        "; ".join(problems)
        if len(problems) <= 3
        else "; ".join(problems[:3]) + f" (and {len(problems) - 3} more)"
    )


def _without_union_tag(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the tag pydantic inserts for a discriminated union: stages.0.length.x → stages.0.x."""
    if len(loc) >= 3 and loc[0] == "stages" and isinstance(loc[1], int) and isinstance(loc[2], str):
        from curator.stages import STAGES

        if loc[2] in STAGES:
            return (*loc[:2], *loc[3:])
    return tuple(loc)
