"""What the model-score stages share: where the model runs, and optional score thresholds.

Scores are annotations (``annotations.scores[name]``); mixtures select by them. A threshold is
optional policy: a record whose score falls outside it is removed (``action: drop``) or flagged
(``tag``) with reason ``score_below_min`` / ``score_above_max``. A record with no score (no
answer token to score) is never removed by a threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from curator.errors import InputError
from curator.records import InstructionRecord
from curator.stages.base import Judgement, Reason


class ScoreThreshold(BaseModel):
    """Keep records whose score is within [min, max]."""

    model_config = ConfigDict(extra="forbid")

    score: str = Field(description="Name of a score this stage writes.")
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ScoreThreshold:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class ModelOptions(BaseModel):
    """Fields every model-score stage config has (mixed into the stage configs)."""

    device: str = Field(default="auto", description="auto (CUDA when present, else CPU), cpu, cuda, cuda:N.")
    precision: Literal["auto", "bf16", "fp32"] = Field(
        default="auto",
        description="auto: bf16 autocast on a GPU that supports it, fp32 on CPU (exact); bf16: bf16 "
        "autocast on CPU too (faster matmuls; scores differ slightly from fp32).",
    )
    threads: int | None = Field(
        default=1,
        ge=1,
        description="CPU threads per worker (1: scale with run.workers instead; best on a busy machine).",
    )
    thresholds: list[ScoreThreshold] = Field(
        default_factory=list,
        description="Optional: remove or flag records whose score is outside [min, max].",
    )


def check_threshold_names(thresholds: Sequence[ScoreThreshold], names: Sequence[str], stage: str) -> None:
    for threshold in thresholds:
        if threshold.score not in names:
            raise ValueError(
                f"threshold on {threshold.score!r}, but stage {stage!r} writes only: {', '.join(names)}"
            )


def resolve_model_path(model: str, base_dir: Path, stage: str) -> str:
    """A model named by a relative path, resolved against the recipe's folder; then checked to exist."""
    from curator.errors import CuratorError
    from curator.scoring.models import resolve_model

    path = Path(model).expanduser()
    if not path.is_absolute() and (base_dir / path).exists():
        model = str((base_dir / path).resolve())
    try:
        resolve_model(model, base_dir)
    except CuratorError as exc:
        raise InputError(f"stage {stage!r}: {exc}") from None
    return model


def annotate_and_judge(
    batch: Sequence[InstructionRecord],
    scores: dict[str, Sequence[float]],
    thresholds: Sequence[ScoreThreshold],
) -> list[Judgement]:
    """Write finite scores onto each record; per record, keep (None) or the threshold it fails."""
    judgements: list[Judgement] = []
    for index, record in enumerate(batch):
        for name, values in scores.items():
            value = float(values[index])
            if math.isfinite(value):
                record.annotations.scores[name] = round(value, 6)
        judgements.append(_outside(record, thresholds))
    return judgements


def _outside(record: InstructionRecord, thresholds: Sequence[ScoreThreshold]) -> Reason | None:
    for threshold in thresholds:
        value = record.annotations.scores.get(threshold.score)
        if value is None:
            continue
        if threshold.min is not None and value < threshold.min:
            return Reason("score_below_min", {"score": threshold.score, "value": value, "min": threshold.min})
        if threshold.max is not None and value > threshold.max:
            return Reason("score_above_max", {"score": threshold.score, "value": value, "max": threshold.max})
    return None
