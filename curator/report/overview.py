"""The report's first sections: the overall accounting, what each stage did, and rejected rows.

Counts are recomputed from the run's files (not copied from the manifest), and the overview
says whether they agree with manifest.json: the report is a second, independent check.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from curator.records import InstructionRecord
from curator.report.base import Chart, ManifestLike, Outcome, ReportSection, SectionResult, Table
from curator.report.stats import share
from curator.run import Manifest, RunFolder


def split_flag(flag: str) -> tuple[str, str]:
    """'quality:empty_output' → ('quality', 'empty_output'); a flag without a stage → ('', flag)."""
    stage, sep, reason = flag.partition(":")
    return (stage, reason) if sep else ("", flag)


def is_audit(manifest: Manifest) -> bool:
    """An audit run: every stage tags, nothing is removed."""
    stages = manifest.stages
    return bool(stages) and all(stage.action == "tag" for stage in stages)


class OverviewSection(ReportSection):
    key = "overview"
    title = "Overview"

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.kept = 0
        self.removed = 0
        self.rejected = 0
        self.flagged = 0
        self.flagged_by_stage: Counter[str] = Counter()

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        if outcome.fate == "kept":
            self.kept += 1
            flags = record.annotations.quality_flags
            if flags:
                self.flagged += 1
                self.flagged_by_stage.update({split_flag(flag)[0] for flag in flags})
        else:
            self.removed += 1

    def add_rejected(self, entry: dict[str, Any]) -> None:
        self.rejected += 1

    def result(self) -> SectionResult:
        m = self.manifest
        counts = m.counts.model_dump()
        rows = self.kept + self.removed + self.rejected
        mine = {"input_rows": rows, "kept": self.kept, "removed": self.removed, "rejected": self.rejected}
        differ = [
            f"{k}: files {v:,}, manifest {counts.get(k)}" for k, v in mine.items() if counts.get(k) != v
        ]
        section = SectionResult(
            key=self.key,
            title=self.title,
            summary={
                **mine,
                "flagged": self.flagged,
                "kept_pct": share(self.kept, rows),
                "removed_pct": share(self.removed, rows),
                "rejected_pct": share(self.rejected, rows),
                "flagged_pct": share(self.flagged, rows),
                "conservation": "holds" if m.conservation.holds else "fails",
                "matches_manifest": "yes" if not differ else "no",
            },
        )
        if differ:
            section.notes.append(f"The run's files and {RunFolder.MANIFEST} disagree: " + "; ".join(differ))
        else:
            section.notes.append(
                f"Every input row is accounted for: {rows:,} rows = {self.kept:,} kept + {self.removed:,} "
                f"removed + {self.rejected:,} rejected, counted from the run's files; "
                f"{RunFolder.MANIFEST} agrees."
            )
        section.tables.append(
            Table(
                title="Inputs",
                columns=["source", "file", "format", "rows"],
                rows=[[i.source, i.file, i.format, i.rows] for i in m.inputs],
            )
        )
        section.tables.append(
            Table(
                title="Stages",
                columns=["stage", "type", "action", "records in", "removed", "tagged"],
                rows=[[s.name, s.type, s.action, s.records_in, s.removed, s.tagged] for s in m.stages],
            )
        )
        order = [s.name for s in m.stages]
        flagged = sorted(
            self.flagged_by_stage.items(),
            key=lambda x: (order.index(x[0]) if x[0] in order else len(order), x[0]),
        )
        section.tables.append(
            Table(
                title="Kept records flagged, by stage",
                columns=["stage", "records", "% of input rows"],
                rows=[[stage or "(no stage)", n, share(n, rows)] for stage, n in flagged],
            )
        )
        return section


class WaterfallSection(ReportSection):
    """Runs: how many records each stage removed, in order, and why. Audits: what each stage flagged."""

    key = "waterfall"
    title = "What each stage did"

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.removed: Counter[tuple[str, str]] = Counter()
        self.tagged: Counter[tuple[str, str]] = Counter()
        self.tagged_records: Counter[str] = Counter()
        self.rejected = 0
        self.records = 0

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        self.records += 1
        if outcome.fate == "removed":
            self.removed[outcome.stage or "?", outcome.reason or "?"] += 1
        flags = record.annotations.quality_flags
        if flags:
            stages = set()
            for flag in flags:
                stage, reason = split_flag(flag)
                self.tagged[stage, reason] += 1
                stages.add(stage)
            for stage in stages:
                self.tagged_records[stage] += 1

    def add_rejected(self, entry: dict[str, Any]) -> None:
        self.rejected += 1

    def result(self) -> SectionResult:
        stages = [s.name for s in self.manifest.stages]
        extra = sorted({stage for stage, _ in self.removed} - set(stages))
        order = stages + extra
        by_stage = Counter()
        for (stage, _), n in self.removed.items():
            by_stage[stage] += n
        rows = self.records + self.rejected
        audit = is_audit(self.manifest)
        section = SectionResult(
            key=self.key,
            title="What each stage flagged" if audit else "What each stage removed",
            summary={
                "removed": sum(by_stage.values()),
                "records_tagged": sum(self.tagged_records.values()),
                "flags": sum(self.tagged.values()),
            },
        )
        if not audit:
            section.charts.append(
                Chart(
                    title="From input rows to kept records",
                    kind="waterfall",
                    labels=["input rows", "rejected", *order],
                    values=[float(rows), -float(self.rejected), *(-float(by_stage[s]) for s in order)],
                    y_label="records",
                )
            )
        tagged_stages = [s for s in order if self.tagged_records[s]] + sorted(
            s for s in self.tagged_records if s not in order
        )
        if len(tagged_stages) > 1:
            section.charts.append(
                Chart(
                    title="Records flagged by each stage (kept, with a reason in quality_flags)",
                    labels=tagged_stages,
                    values=[float(self.tagged_records[s]) for s in tagged_stages],
                    y_label="records",
                )
            )
        if self.removed:
            section.tables.append(
                Table(
                    title="Removed, by stage and reason",
                    columns=["stage", "reason", "records", "% of input rows"],
                    rows=[
                        [stage, reason, n, share(n, rows)]
                        for stage in order
                        for reason, n in sorted(
                            ((r, n) for (s, r), n in self.removed.items() if s == stage),
                            key=lambda x: (-x[1], x[0]),
                        )
                    ],
                )
            )
        if self.tagged:
            section.tables.append(
                Table(
                    title="Flagged, by stage and reason",
                    columns=["stage", "reason", "records", "% of input rows"],
                    rows=[
                        [stage, reason, n, share(n, rows)]
                        for (stage, reason), n in sorted(
                            self.tagged.items(),
                            key=lambda x: (
                                order.index(x[0][0]) if x[0][0] in order else len(order),
                                -x[1],
                                x[0][1],
                            ),
                        )
                    ],
                )
            )
        if not self.removed and not self.tagged:
            section.notes.append("No stage removed or flagged any record.")
        return section


class RejectsSection(ReportSection):
    """Rows that could not become records, by reason, with where they are (never their content)."""

    key = "rejects"
    title = "Rejected rows"
    max_examples = 10

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.reasons: Counter[str] = Counter()
        self.first: list[list[Any]] = []
        self.records = 0

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        self.records += 1

    def add_rejected(self, entry: dict[str, Any]) -> None:
        reason = entry.get("reason") or "?"
        self.reasons[reason] += 1
        if len(self.first) < self.max_examples:
            where = entry.get("line") if entry.get("line") is not None else f"row {entry.get('row')}"
            error = str(entry.get("error") or "")
            self.first.append([entry.get("source"), entry.get("file"), where, reason, error[:200]])

    def result(self) -> SectionResult:
        total = sum(self.reasons.values())
        rows = self.records + total
        section = SectionResult(
            key=self.key,
            title=self.title,
            summary={"rejected": total, "rejected_pct": share(total, rows), "reasons": len(self.reasons)},
        )
        if not total:
            section.notes.append("Every row was a valid record.")
            return section
        ordered = sorted(self.reasons.items(), key=lambda x: (-x[1], x[0]))
        section.tables.append(
            Table(
                title="Rejected rows by reason",
                columns=["reason", "rows", "% of input rows"],
                rows=[[reason, n, share(n, rows)] for reason, n in ordered],
            )
        )
        section.tables.append(
            Table(
                title=f"First {len(self.first)} rejected rows (rejected.jsonl has all, with the raw row)",
                columns=["source", "file", "line", "reason", "error"],
                rows=self.first,
            )
        )
        return section
