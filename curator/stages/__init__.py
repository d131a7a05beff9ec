"""Stage registry: every stage type, its config model, and the recipe's discriminated union.

To add a stage: write ``curator/stages/<name>.py`` with a config (``type: Literal["<name>"]``)
and a RecordStage or GlobalStage subclass (the contract: :mod:`curator.stages.base`), then import
it here and add one line to ``_STAGE_CLASSES`` (README: "Adding a stage").

Installed packages add stages through the ``curator.stages`` entry-point group (see the README,
"Write your own stage"); they join the recipe schema, ``curator schema``, audits and reports like
built-in stages. A plug-in that fails to import or is not a Stage is left out with a warning
(``PLUGIN_ERRORS``), so one broken package does not stop every run.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import Annotated, Union

from pydantic import Field

from curator.stages.base import GlobalStage, RecordStage, Removal, Stage, StageConfig, StageResult
from curator.stages.classifier_score import ClassifierScore
from curator.stages.decontaminate import Decontaminate
from curator.stages.doc_quality import DocQualityStage
from curator.stages.exact_dedup import ExactDedup
from curator.stages.language import LanguageStage
from curator.stages.length import LengthFilter
from curator.stages.licence import LicenceStage
from curator.stages.line_dedup import LineDedup
from curator.stages.lm_score import LMScore
from curator.stages.minhash_dedup import MinHashDedup
from curator.stages.pii import PIIStage
from curator.stages.python import PythonStage
from curator.stages.quality import QualityFilter
from curator.stages.regex import RegexFilter
from curator.stages.semantic_dedup import SemanticDedup

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
    PythonStage,
    LMScore,
    SemanticDedup,
    ClassifierScore,
]
PLUGIN_GROUP = "curator.stages"
PLUGIN_ERRORS: dict[str, str] = {}  # entry-point name → why it was left out


def _stage_type(cls: type[Stage]) -> str:
    return cls.config_model.model_fields["type"].default


def _plugins(builtin: list[type[Stage]]) -> list[type[Stage]]:
    """Stage classes from installed packages' ``curator.stages`` entry points, by name."""
    taken = {_stage_type(cls) for cls in builtin}
    found: list[type[Stage]] = []
    for point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda p: p.name):
        try:
            cls = point.load()
        except Exception as exc:  # any error inside a third-party package: leave it out, say why
            PLUGIN_ERRORS[point.name] = f"cannot import {point.value}: {type(exc).__name__}: {exc}"
            continue
        is_stage = isinstance(cls, type) and issubclass(cls, Stage)
        if not (is_stage and issubclass(cls.config_model, StageConfig)):
            PLUGIN_ERRORS[point.name] = f"{point.value} is not a curator Stage subclass with a config_model"
            continue
        if _stage_type(cls) in taken:
            PLUGIN_ERRORS[point.name] = f"{point.value}: stage type {_stage_type(cls)!r} is already taken"
            continue
        taken.add(_stage_type(cls))
        found.append(cls)
    for name, why in PLUGIN_ERRORS.items():
        logging.getLogger(__name__).warning("plug-in stage %s left out: %s", name, why)
    return found


_STAGE_CLASSES += _plugins(_STAGE_CLASSES)

STAGES: dict[str, type[Stage]] = {_stage_type(cls): cls for cls in _STAGE_CLASSES}

# The recipe validates `stages:` against this union, discriminated by `type`.
AnyStageConfig = Annotated[
    Union[tuple(cls.config_model for cls in _STAGE_CLASSES)],  # noqa: UP007
    Field(discriminator="type"),
]


def build_stage(config: StageConfig) -> Stage:
    return STAGES[config.type](config)


__all__ = [
    "PLUGIN_ERRORS",
    "PLUGIN_GROUP",
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
