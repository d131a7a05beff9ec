"""Per-source breakdown: rows, rejected, removed, kept, flagged, typical lengths, top issue."""

from __future__ import annotations

from collections import Counter
from typing import Any

from curator.records import InstructionRecord
from curator.report.base import Chart, ManifestLike, Outcome, ReportSection, SectionResult, Series, Table
from curator.report.overview import split_flag
from curator.report.stats import Distribution, share


class _Source:
    __slots__ = ("flagged", "issues", "kept", "output_words", "rejected", "removed")

    def __init__(self) -> None:
        self.kept = 0
        self.removed = 0
        self.rejected = 0
        self.flagged = 0
        self.issues: Counter[str] = Counter()
        self.output_words = Distribution()


class SourcesSection(ReportSection):
    key = "sources"
    title = "Per source"

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.sources: dict[str, _Source] = {}
        self.rows: Counter[str] = Counter()
        for item in self.manifest.inputs:
            self.rows[item.source or "?"] += item.rows
            self.sources.setdefault(item.source or "?", _Source())

    def _get(self, name: str) -> _Source:
        source = self.sources.get(name)
        if source is None:
            source = self.sources[name] = _Source()
        return source

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        source = self._get(record.provenance.source)
        if outcome.fate == "kept":
            source.kept += 1
            if record.annotations.quality_flags:
                source.flagged += 1
            source.output_words.add(
                sum(len(m.content.split()) for m in record.messages if m.role == "assistant")
            )
        else:
            source.removed += 1
            source.issues[f"{outcome.stage}:{outcome.reason}"] += 1
        for flag in record.annotations.quality_flags:
            stage, reason = split_flag(flag)
            source.issues[f"{stage}:{reason}" if stage else reason] += 1

    def add_rejected(self, entry: dict[str, Any]) -> None:
        source = self._get(entry.get("source") or "?")
        source.rejected += 1
        source.issues[f"rejected:{entry.get('reason')}"] += 1

    def result(self) -> SectionResult:
        names = sorted(self.sources, key=lambda n: (-self._total(n), n))
        section = SectionResult(key=self.key, title=self.title, summary={"sources": len(names)})
        rows = []
        for name in names:
            s = self.sources[name]
            total = self._total(name)
            top = s.issues.most_common(1)
            rows.append(
                [
                    name,
                    total,
                    s.rejected,
                    s.removed,
                    s.kept,
                    share(s.kept, total),
                    s.flagged,
                    s.output_words.quantile(0.5),
                    f"{top[0][0]} ({top[0][1]:,})" if top else None,
                ]
            )
        section.tables.append(
            Table(
                title="Sources",
                columns=[
                    "source",
                    "rows",
                    "rejected",
                    "removed",
                    "kept",
                    "% kept",
                    "kept, flagged",
                    "median output words",
                    "most common issue",
                ],
                rows=rows,
            )
        )
        if names:
            segments = {
                "kept": [float(self.sources[n].kept - self.sources[n].flagged) for n in names],
                "kept, flagged": [float(self.sources[n].flagged) for n in names],
                "removed": [float(self.sources[n].removed) for n in names],
                "rejected": [float(self.sources[n].rejected) for n in names],
            }
            section.charts.append(
                Chart(
                    title="Where each source's rows went",
                    kind="stacked",
                    labels=names,
                    values=[float(self._total(n)) for n in names],
                    series=[Series(name=k, values=v) for k, v in segments.items()],
                    y_label="rows",
                )
            )
        mismatched = [n for n in names if n in self.rows and self.rows[n] != self._total(n)]
        if mismatched:
            section.notes.append(
                "Rows counted in the run's files differ from the manifest's input rows for: "
                + ", ".join(mismatched)
            )
        return section

    def _total(self, name: str) -> int:
        s = self.sources[name]
        return s.kept + s.removed + s.rejected
