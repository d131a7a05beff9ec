"""PII: what the pii stage found, by type and role (counts only, never a value), what it did, and
which records it could only scan with pattern recognizers (no NLP model for their language, or
``structured_only``), because those records may still hold names."""

from __future__ import annotations

from collections import Counter

from curator.audit_corpus import read_corpus
from curator.records import InstructionRecord
from curator.report.base import (
    AUDIT_EXAMPLES,
    Chart,
    ManifestLike,
    Outcome,
    ReportSection,
    SectionResult,
    Table,
)

_REASONS = {
    "structured_only": "structured_only: the stage runs pattern recognizers only (no names)",
}


def _reason_text(reason: str) -> str:
    if reason.startswith("no_model:"):
        return f"no spaCy model configured for language {reason.split(':', 1)[1]!r} (names not looked for)"
    return _REASONS.get(reason, reason)


class PIISection(ReportSection):
    key = "pii"
    title = "Personal data (PII)"

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.configs = self.manifest.recipe.stage_configs("pii")
        self.stages = {s.get("name") or "pii" for s in self.configs}
        self.records = 0
        self.analysed = 0
        self.with_pii = Counter()  # fate → records with at least one finding
        self.findings: Counter[str] = Counter()
        self.records_by_type: Counter[str] = Counter()
        self.removed_by_type: Counter[str] = Counter()
        self.by_role: Counter[str] = Counter()
        self.dropped = 0
        self.pattern_only: Counter[str] = Counter()

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        self.records += 1
        marker = record.annotations.extra.get("pii")
        if isinstance(marker, dict):
            self.analysed += 1
            if marker.get("mode") == "patterns":
                self.pattern_only[str(marker.get("reason") or "patterns")] += 1
        if outcome.fate == "removed" and outcome.stage in self.stages:
            self.dropped += 1
        findings = record.annotations.pii
        if not findings:
            return
        self.with_pii[outcome.fate] += 1
        types = set()
        for finding in findings:
            self.findings[finding.type] += 1
            types.add(finding.type)
            if 0 <= finding.message < len(record.messages):
                self.by_role[record.messages[finding.message].role] += 1
        for entity in types:
            self.records_by_type[entity] += 1
            if outcome.fate == "removed":
                self.removed_by_type[entity] += 1

    def _no_stage_note(self) -> str:
        scan = (
            "Report examples are still redacted by a model-free scan (e-mails, phone and card numbers, "
            "SSNs, IBANs, IP and street addresses, secrets in URLs)"
        )
        if AUDIT_EXAMPLES.get():
            scan += " and by the names model"
        sample = (read_corpus(self.run_dir) or {}).get("sample") or {}
        sampled = [
            name for name, found in (sample.get("detectors") or {}).items() if found.get("type") == "pii"
        ]
        if sampled:
            return (
                f"PII was looked for on the audit's sample only ({', '.join(sampled)}: patterns and "
                f"names, {sample.get('n', 0):,} of {sample.get('population', 0):,} records): its rates, "
                "with 95 % intervals, are under Sampled estimates; the records outside the sample were "
                f"not scanned, so this section counts nothing. {scan}."
            )
        if AUDIT_EXAMPLES.get():
            return f"No pii stage ran. {scan}."
        return (
            f"No pii stage ran. {scan}, but names are not: add a pii stage (action: tag at least) "
            "to find them."
        )

    def result(self) -> SectionResult:
        notes: list[str] = []
        if not self.configs:
            notes.append(self._no_stage_note())
        for config in self.configs:
            name = config.get("name") or "pii"
            action = config.get("action", "redact")
            roles = config.get("roles") or {}
            per_role = ", ".join(f"{role}: {act}" for role, act in sorted(roles.items()))
            notes.append(f"stage {name!r}: action {action}" + (f" ({per_role})" if per_role else ""))
            if config.get("structured_only"):
                notes.append(
                    f"stage {name!r} ran in structured_only mode: pattern recognizers only, no names"
                )
            if config.get("keep_raw_removed"):
                notes.append(
                    f"stage {name!r} keeps raw text in removed/ and rejected.jsonl (keep_raw_removed)"
                )
        pattern_total = sum(self.pattern_only.values())
        if pattern_total:
            notes.append(
                f"{pattern_total:,} records were scanned with pattern recognizers only, so names in them "
                "were not looked for (see the table)."
            )
        order = sorted(self.findings, key=lambda t: (-self.findings[t], t))
        tables = [
            Table(
                title="Findings by type (counts only; values are never stored)",
                columns=["type", "findings", "records", "records removed"],
                rows=[[t, self.findings[t], self.records_by_type[t], self.removed_by_type[t]] for t in order],
            )
        ]
        if self.by_role:
            tables.append(
                Table(
                    title="Findings by role",
                    columns=["role", "findings"],
                    rows=[[role, n] for role, n in sorted(self.by_role.items(), key=lambda x: (-x[1], x[0]))],
                )
            )
        if self.pattern_only:
            tables.append(
                Table(
                    title="Records scanned with pattern recognizers only",
                    columns=["reason", "records"],
                    rows=[
                        [_reason_text(r), n]
                        for r, n in sorted(self.pattern_only.items(), key=lambda x: -x[1])
                    ],
                )
            )
        charts = []
        if order:
            charts.append(
                Chart(
                    title="PII findings by type",
                    labels=order,
                    values=[float(self.findings[t]) for t in order],
                    x_label="type",
                    y_label="findings",
                )
            )
        return SectionResult(
            key=self.key,
            title=self.title,
            summary={
                "records": self.records,
                "analysed by a pii stage": self.analysed,
                "kept records with PII": self.with_pii["kept"],
                "removed records with PII": self.with_pii["removed"],
                "removed by the pii stage": self.dropped,
                "findings": sum(self.findings.values()),
                "pattern-only records": pattern_total,
            },
            tables=tables,
            charts=charts,
            notes=notes,
        )
