"""Quality flags by reason, with a few examples each (PII-redacted through ``example_text``).

A reason counts once per record whether the record was removed for it (``removed/<stage>.jsonl``)
or kept with it in ``annotations.quality_flags``; only stages of type ``quality`` are counted
here (other stages have their own sections). Repairs (``annotations.repairs``) are counted by kind.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from curator.quality.reasons import CHECK_OF_REASON, check_actions
from curator.records import InstructionRecord
from curator.report.base import (
    Chart,
    Example,
    ManifestLike,
    Outcome,
    ReportSection,
    SectionResult,
    Table,
    example_text,
)
from curator.report.overview import split_flag
from curator.report.stats import Sample, share


def _describe(detail: dict[str, Any] | None) -> str:
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if key in ("check", "message"):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


class QualitySection(ReportSection):
    key = "quality"
    title = "Quality checks"
    examples_per_reason = 3

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        configs = self.manifest.recipe.stage_configs()
        names = [s.get("name") or s.get("type") for s in configs]
        self.stages = {
            name: config
            for name, config in zip(names, configs, strict=True)
            if config.get("type") == "quality"
        }
        self.removed: Counter[str] = Counter()
        self.tagged: Counter[str] = Counter()
        self.records_flagged = 0
        self.records_removed = 0
        self.records = 0
        self.repairs: Counter[str] = Counter()
        # Per reason, the sampled (record, note); example texts are made in result(), for the kept few.
        self.samples: dict[str, Sample[tuple[InstructionRecord, str]]] = {}

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        self.records += 1
        for repair in record.annotations.repairs:
            self.repairs[repair.split(":", 1)[0]] += 1
        if not self.stages:
            return
        found: list[tuple[str, str, dict[str, Any] | None]] = []  # (reason, how, detail)
        for flag in record.annotations.quality_flags:
            stage, reason = split_flag(flag)
            if stage in self.stages:
                self.tagged[reason] += 1
                found.append((reason, f"tagged by {stage}", None))
        if outcome.fate == "removed" and outcome.stage in self.stages and outcome.reason:
            self.removed[outcome.reason] += 1
            self.records_removed += 1
            found.append((outcome.reason, f"removed by {outcome.stage}", outcome.detail))
        if not found:
            return
        self.records_flagged += 1
        for reason, how, detail in found:
            sample = self.samples.setdefault(reason, Sample(self.examples_per_reason))
            if sample.would_keep(record.id):
                described = _describe(detail)
                note = f"{how}; {described}" if described else how
                sample.offer(record.id, (record, note))  # its example text is made in result()

    def _actions(self) -> dict[str, str]:
        """reason → the action its check had in this run (from the resolved recipe)."""
        actions: dict[str, str] = {}
        for config in self.stages.values():
            for reason, action in check_actions(config).items():
                actions.setdefault(reason, action)
        return actions

    def result(self) -> SectionResult:
        section = SectionResult(
            key=self.key,
            title=self.title,
            summary={
                "records_flagged": self.records_flagged,
                "records_flagged_pct": share(self.records_flagged, self.records),
                "records_removed": self.records_removed,
                "reasons": len(set(self.removed) | set(self.tagged)),
                "repairs": sum(self.repairs.values()),
            },
        )
        if not self.stages:
            section.notes.append("This run has no `quality` stage.")
        reasons = sorted(
            set(self.removed) | set(self.tagged), key=lambda r: (-(self.removed[r] + self.tagged[r]), r)
        )
        actions = self._actions()
        if reasons:
            section.charts.append(
                Chart(
                    title="Records per reason",
                    labels=reasons,
                    values=[float(self.removed[r] + self.tagged[r]) for r in reasons],
                    y_label="records",
                )
            )
            section.tables.append(
                Table(
                    title="Quality findings by reason",
                    columns=["reason", "check", "action", "removed", "tagged", "records", "% of records"],
                    rows=[
                        [
                            reason,
                            CHECK_OF_REASON.get(reason, "?"),
                            actions.get(reason),
                            self.removed[reason],
                            self.tagged[reason],
                            self.removed[reason] + self.tagged[reason],
                            share(self.removed[reason] + self.tagged[reason], self.records),
                        ]
                        for reason in reasons
                    ],
                )
            )
            for reason in reasons:
                section.examples.extend(
                    Example(title=reason, record_id=record.id, text=example_text(record), note=note)
                    for record, note in self.samples[reason].items()
                )
        elif self.stages:
            section.notes.append("No record tripped a quality check.")
        if self.repairs:
            section.tables.append(
                Table(
                    title="Text repairs (annotations.repairs)",
                    columns=["repair", "records"],
                    rows=[[kind, n] for kind, n in sorted(self.repairs.items(), key=lambda x: (-x[1], x[0]))],
                )
            )
        return section
