"""Languages: the distribution the language stage found, mixed and code records, and the
least confident detections (examples go through ``example_text``, so they are PII-redacted)."""

from __future__ import annotations

from collections import Counter

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
from curator.report.stats import Sample, share

_CHART_LANGUAGES = 20
_LOW_CONFIDENCE = 0.5  # a record below this score counts as low-confidence in the summary


class LanguageSection(ReportSection):
    key = "language"
    title = "Languages"
    examples = 5

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        configs = self.manifest.recipe.stage_configs("language")
        self.stages = {s.get("name") or s.get("type") for s in configs}
        self.records = 0
        self.annotated = 0
        self.kept: Counter[str] = Counter()
        self.removed: Counter[str] = Counter()
        self.score_sum: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.mixed = 0
        self.mixed_pairs: Counter[str] = Counter()
        self.code = 0
        self.low = 0
        self.message_languages: Counter[str] = Counter()
        # The least confident records, sorted by (score, id), at most `examples`.
        # (score, id, record, note): the example text is made in result(), for the kept few only.
        self._lowest: list[tuple[float, str, InstructionRecord, str]] = []
        # (record, title, note): example texts are made in result(), for the records kept only.
        self.mixed_examples: Sample[tuple[InstructionRecord, str, str]] = Sample(3)
        self.code_examples: Sample[tuple[InstructionRecord, str, str]] = Sample(3)

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        self.records += 1
        found = record.annotations.extra.get("language")
        if not isinstance(found, dict):
            return
        self.annotated += 1
        language = record.annotations.language or "unknown"
        score = record.annotations.language_score or 0.0
        by_language = outcome.fate == "removed" and outcome.stage in self.stages
        (self.removed if by_language else self.kept)[language] += 1
        self.score_sum[language] += score
        if by_language and outcome.reason:
            self.reasons[outcome.reason] += 1
        for code in found.get("messages") or []:
            self.message_languages[code or "none"] += 1
        if found.get("mixed"):
            self.mixed += 1
            pair = f"{found.get('user')} → {found.get('assistant')}"
            self.mixed_pairs[pair] += 1
            if self.mixed_examples.would_keep(record.id):
                self.mixed_examples.offer(record.id, (record, f"mixed: {pair}", ""))
        if found.get("code"):
            self.code += 1
            if self.code_examples.would_keep(record.id):
                note = f"code share {found.get('code_share', 0):.0%}"
                self.code_examples.offer(record.id, (record, "code", note))
        if record.annotations.language is not None and score < _LOW_CONFIDENCE and not found.get("code"):
            self.low += 1
        if record.annotations.language is not None and not found.get("code"):
            self._offer_lowest(record, score, outcome)

    def _offer_lowest(self, record: InstructionRecord, score: float, outcome: Outcome) -> None:
        """Keep the ``examples`` records with the lowest (score, id): independent of arrival order."""
        key = (score, record.id)
        if len(self._lowest) >= self.examples and key >= self._lowest[-1][:2]:
            return
        note = f"score {score:.2f}; {outcome.fate}" + (f" ({outcome.reason})" if outcome.reason else "")
        self._lowest.append((score, record.id, record, note))
        self._lowest.sort(key=lambda entry: entry[:2])
        del self._lowest[self.examples :]

    def result(self) -> SectionResult:
        if not self.annotated:
            return SectionResult(
                key=self.key, title=self.title, notes=["No language stage ran: records carry no language."]
            )
        total = Counter(self.kept) + Counter(self.removed)
        ordered = sorted(total, key=lambda lang: (-total[lang], lang))
        labels = ordered[:_CHART_LANGUAGES]
        values = [float(self.kept[lang]) for lang in labels]
        rest = sum(self.kept[lang] for lang in ordered[_CHART_LANGUAGES:])
        if rest:
            labels, values = [*labels, "other"], [*values, float(rest)]
        chart = Chart(
            title="Kept records by language", labels=labels, values=values, x_label="language (ISO 639-1)"
        )
        rows: list[list[str | int | float | None]] = [
            [
                lang,
                self.kept[lang],
                self.removed[lang],
                share(total[lang], self.annotated),
                round(self.score_sum[lang] / total[lang], 3) if lang != "unknown" else None,
            ]
            for lang in ordered
        ]
        tables = [
            Table(
                title="Records by language",
                columns=["language", "kept", "removed by language", "% of records", "mean score"],
                rows=rows,
            )
        ]
        if self.reasons:
            tables.append(
                Table(
                    title="Removed by the language stage",
                    columns=["reason", "records"],
                    rows=[
                        [reason, n] for reason, n in sorted(self.reasons.items(), key=lambda i: (-i[1], i[0]))
                    ],
                )
            )
        if self.mixed_pairs:
            tables.append(
                Table(
                    title="Mixed records: user → assistant language",
                    columns=["pair", "records"],
                    rows=[
                        [pair, n]
                        for pair, n in sorted(self.mixed_pairs.items(), key=lambda i: (-i[1], i[0]))[:10]
                    ],
                )
            )
        lowest = [
            Example(
                title=f"low confidence: {record.annotations.language}",
                record_id=record.id,
                text=example_text(record),
                note=note,
            )
            for _, _, record, note in self._lowest
        ]
        top = ordered[0] if ordered else None
        summary: dict[str, int | float | str | None] = {
            "records_annotated": self.annotated,
            "languages": len([lang for lang in total if lang != "unknown"]),
            "top_language": top,
            "top_language_share": share(total[top], self.annotated) if top else None,
            "unknown": total.get("unknown", 0),
            "mixed": self.mixed,
            "code": self.code,
            "low_confidence": self.low,
            "removed": sum(self.removed.values()),
            "messages_detected": sum(n for code, n in self.message_languages.items() if code != "none"),
        }
        notes = [
            f"Mixed: user and assistant turns confidently in different languages "
            f"({self.mixed} records; translation data is legitimately mixed).",
            f"Code: records that are mostly code ({self.code}); never removed as unknown language "
            "by default.",
            f"Low confidence: score below {_LOW_CONFIDENCE} ({self.low} records, code excluded).",
        ]
        return SectionResult(
            key=self.key,
            title=self.title,
            summary=summary,
            tables=tables,
            charts=[chart],
            examples=[
                *lowest,
                *(
                    Example(title=title, record_id=record.id, text=example_text(record), note=note)
                    for record, title, note in [*self.mixed_examples.items(), *self.code_examples.items()]
                ),
            ],
            notes=notes,
        )
