"""Stage registry: every stage type, its config model, and the recipe's discriminated union.

To add a stage: write ``curator/stages/<name>.py`` with a config (``type: Literal["<name>"]``)
and a RecordStage or GlobalStage subclass (the contract: :mod:`curator.stages.base`), then import
it here and add one line to ``_STAGE_CLASSES`` (README: "Adding a stage").
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from curator.stages.base import GlobalStage, RecordStage, Removal, Stage, StageConfig, StageResult
from curator.stages.decontaminate import Decontaminate
from curator.stages.doc_quality import DocQualityStage
from curator.stages.exact_dedup import ExactDedup
from curator.stages.language import LanguageStage
from curator.stages.length import LengthFilter
from curator.stages.licence import LicenceStage
from curator.stages.line_dedup import LineDedup
from curator.stages.minhash_dedup import MinHashDedup
from curator.stages.pii import PIIStage
from curator.stages.quality import QualityFilter
from curator.stages.regex import RegexFilter

# One line per stage; the order here is the order of the JSON Schema's union.
_STAGE_CLASSES: list[type[Stage]] = [
    LengthFilter,
    QualityFilter,
    LanguageStage,
    DocQualityStage,
    PIIStage,
    ExactDedup,
    MinHashDedup,
    LineDedup,
    Decontaminate,
    LicenceStage,
    RegexFilter,
]

STAGES: dict[str, type[Stage]] = {
    cls.config_model.model_fields["type"].default: cls for cls in _STAGE_CLASSES
}

# The recipe validates `stages:` against this union, discriminated by `type`.
AnyStageConfig = Annotated[
    Union[tuple(cls.config_model for cls in _STAGE_CLASSES)],  # noqa: UP007
    Field(discriminator="type"),
]


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
