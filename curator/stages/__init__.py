"""Stage registry: every stage type, its config model, and the recipe's discriminated union."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from curator.stages.base import GlobalStage, RecordStage, Removal, Stage, StageConfig, StageResult
from curator.stages.exact_dedup import ExactDedup, ExactDedupConfig
from curator.stages.length import LengthFilter, LengthFilterConfig

STAGES: dict[str, type[Stage]] = {
    "exact_dedup": ExactDedup,
    "length": LengthFilter,
}

# The recipe validates `stages:` against this union, discriminated by `type`.
AnyStageConfig = Annotated[Union[ExactDedupConfig, LengthFilterConfig], Field(discriminator="type")]  # noqa: UP007


def build_stage(config: StageConfig) -> Stage:
    return STAGES[config.type](config)


__all__ = [
    "STAGES",
    "AnyStageConfig",
    "GlobalStage",
    "RecordStage",
    "Removal",
    "Stage",
    "StageConfig",
    "StageResult",
    "build_stage",
]
