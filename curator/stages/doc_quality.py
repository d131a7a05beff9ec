"""Document quality heuristics (``type: doc_quality``): Gopher and C4 rules for pre-training text.

Each check has a reason code (:data:`curator.quality.documents.DOCUMENT_REASONS`) and its
threshold in the recipe (``thresholds:``); the values measured are in the removal detail, so a
report can say why (``annotations.extra[<stage>]``). With ``action: tag`` every failing check adds
``<stage>:<reason>`` to ``annotations.quality_flags``; with ``drop`` the record is removed with its
first reason and the detail lists all of them.

Conversations are not documents: the stage passes them through untouched (it does not apply to
them), just as the instruction checks of ``type: quality`` find nothing to check in a document.
The stop-word check is English-only: it applies when an earlier ``language`` stage said ``en``
or did not run.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from curator.quality.documents import DOCUMENT_REASONS, DocumentThresholds, document_findings
from curator.records import InstructionRecord, is_document
from curator.stages.base import Reason, RecordStage, StageConfig, Verdict


class DocQualityConfig(StageConfig):
    """Gopher/C4 document heuristics, each a reason code with its threshold."""

    type: Literal["doc_quality"] = "doc_quality"
    thresholds: DocumentThresholds = Field(default_factory=DocumentThresholds)
    disabled: list[str] = Field(
        default_factory=list, description=f"Reason codes not to report: any of {', '.join(DOCUMENT_REASONS)}."
    )


class DocQualityStage(RecordStage[DocQualityConfig]):
    config_model = DocQualityConfig
    reasons: ClassVar[tuple[str, ...]] = DOCUMENT_REASONS

    def __init__(self, config: DocQualityConfig) -> None:
        super().__init__(config)
        unknown = sorted(set(config.disabled) - set(DOCUMENT_REASONS))
        if unknown:
            raise ValueError(f"doc_quality.disabled: unknown reason {unknown[0]!r}")
        self._disabled = frozenset(config.disabled)

    def check(self, record: InstructionRecord) -> Verdict | None:
        if not is_document(record):
            return None  # a conversation: these checks do not apply
        language = record.annotations.language
        findings = [
            f
            for f in document_findings(
                record.messages[0].content, self.config.thresholds, english=language in (None, "en")
            )
            if f.reason not in self._disabled
        ]
        if not findings:
            return None
        measured = {f.reason: f.detail or {} for f in findings}
        # The measured values, so a report can say why; a removal carries all of them as detail.
        record.annotations.extra[self.name] = measured
        return Verdict([Reason(f.reason, {"reasons": measured}) for f in findings])
