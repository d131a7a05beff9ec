"""Corpus sections for pre-training documents: size, domains, line/paragraph duplicate rates,
exact and near duplicate rates (exact: a full pass), and the sampled estimates with their 95 %
intervals (from the audit's ``corpus.json``). Each figure says how it was measured.

Memory is bounded whatever the corpus size: counters are per source and per domain, and the
domain counter is pruned (Misra–Gries) past :data:`DOMAIN_CAPACITY` distinct domains, after which
the domain table says its counts are lower bounds.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from curator.audit_corpus import read_corpus
from curator.formats.document import document_url, url_domain
from curator.records import InstructionRecord, is_document
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

DOMAIN_CAPACITY = 100_000
EXACT = "exact (full pass)"
# The instruction checks of `type: quality` that need turns; a document has none.
CONVERSATION_CHECKS = (
    "empty_output/empty_instruction, placeholder_input/output, url_only_input, missing_attachment, "
    "output_equals_instruction/input, length, refusal, ai_identity, merged_instructions, "
    "truncated_output, unbalanced_code_fence, repetition"
)


class _Domains:
    """Documents per domain; exact until more than ``capacity`` domains, then Misra–Gries."""

    def __init__(self, capacity: int = DOMAIN_CAPACITY) -> None:
        self.capacity = capacity
        self.counts: Counter[str] = Counter()
        self.error = 0  # every count is at most this much below the truth

    def add(self, domain: str) -> None:
        self.counts[domain] += 1
        if len(self.counts) > 2 * self.capacity:
            cut = sorted(self.counts.values(), reverse=True)[self.capacity]
            self.error += cut
            self.counts = Counter({d: c - cut for d, c in self.counts.items() if c > cut})


class CorpusSection(ReportSection):
    key = "corpus"
    title = "Corpus (documents)"
    domains_shown = 20

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.documents = self.conversations = 0
        self.bytes = self.chars = self.words = 0
        self.by_source: dict[str, list[int]] = {}  # source → [documents, bytes]
        self.with_url = 0
        self.domains = _Domains()
        self.lines: Counter[str] = Counter()
        self.line_measured = 0
        self.exact_dups = self.near_dups = 0
        configs = self.manifest.recipe.stage_configs()
        names = {(s.get("name") or s.get("type")): s.get("type") for s in configs}
        self.exact_stages = {n for n, t in names.items() if t == "exact_dedup"}
        self.near_stages = {n for n, t in names.items() if t == "minhash_dedup"}

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        if not is_document(record):
            self.conversations += 1
            return
        self.documents += 1
        text = record.messages[0].content
        size = len(text.encode("utf-8", "surrogatepass"))
        self.bytes += size
        self.chars += len(text)
        self.words += len(text.split())
        entry = self.by_source.setdefault(record.provenance.source, [0, 0])
        entry[0] += 1
        entry[1] += size
        url = document_url(record.meta)
        if url:
            self.with_url += 1
            self.domains.add(url_domain(url) or "(unparsable)")
        found = record.annotations.extra.get("line_dedup")
        if isinstance(found, dict):
            self.line_measured += 1
            self.lines.update({k: int(v) for k, v in found.items() if isinstance(v, int)})
        # From flags and removals, not annotations.duplicate: a later dedup stage overwrites that.
        stages = {flag.partition(":")[0] for flag in record.annotations.quality_flags}
        if outcome.fate == "removed" and outcome.stage:
            stages.add(outcome.stage)
        self.exact_dups += not stages.isdisjoint(self.exact_stages)
        self.near_dups += not stages.isdisjoint(self.near_stages)

    def result(self) -> SectionResult:
        section = SectionResult(key=self.key, title=self.title)
        if not self.documents:
            section.notes.append("No document records (plain text) in this run.")
            return section
        corpus = read_corpus(self.run_dir) or {}
        tokens = corpus.get("tokens") or {}
        section.summary = {
            "documents": self.documents,
            "bytes": self.bytes,
            "characters": self.chars,
            "words": self.words,
            "tokens": tokens.get("total"),
            "tokenizer": tokens.get("tokenizer"),
            "mean_bytes_per_document": round(self.bytes / self.documents, 1),
            "exact_duplicate_documents_percent": share(self.exact_dups, self.documents),
            "near_duplicate_documents_percent": share(self.near_dups, self.documents),
        }
        rows: list[list[str | int | float | None]] = [
            ["documents", self.documents, EXACT],
            ["bytes (UTF-8)", self.bytes, EXACT],
            ["words (whitespace)", self.words, EXACT],
            [
                "tokens",
                tokens.get("total"),
                f"{EXACT}, {tokens['tokenizer']}" if tokens else "no --tokenizer",
            ],
            ["exact duplicate documents (%)", share(self.exact_dups, self.documents), EXACT],
            [
                "near duplicate documents, exact copies included (%)",
                share(self.near_dups, self.documents),
                EXACT,
            ],
        ]
        if self.line_measured:
            lines = self.lines
            rows += [
                ["duplicate lines (%)", share(lines["duplicate_lines"], lines["lines"]), EXACT],
                [
                    "duplicate line characters (%)",
                    share(lines["duplicate_line_chars"], lines["line_chars"]),
                    EXACT,
                ],
                [
                    "duplicate paragraphs (%)",
                    share(lines["duplicate_paragraphs"], lines["paragraphs"]),
                    EXACT,
                ],
                [
                    "duplicate paragraph characters (%)",
                    share(lines["duplicate_paragraph_chars"], lines["paragraph_chars"]),
                    EXACT,
                ],
            ]
            section.summary["duplicate_lines_percent"] = share(lines["duplicate_lines"], lines["lines"])
            section.summary["duplicate_paragraphs_percent"] = share(
                lines["duplicate_paragraphs"], lines["paragraphs"]
            )
        section.tables.append(
            Table(title="Size and duplicates", columns=["figure", "value", "measured"], rows=rows)
        )
        by_token = tokens.get("by_source") or {}
        section.tables.append(
            Table(
                title="Per source",
                columns=["source", "documents", "bytes", "tokens"],
                rows=[[s, d, b, by_token.get(s)] for s, (d, b) in sorted(self.by_source.items())],
            )
        )
        if self.with_url:
            self._domains(section)
        section.notes.append(
            "Instruction checks of the quality stage do not apply to documents (they have no turns): "
            f"{CONVERSATION_CHECKS}. The doc_quality stage checks documents instead."
        )
        if self.conversations:
            section.notes.append(f"{self.conversations:,} conversation records are not counted here.")
        return section

    def _domains(self, section: SectionResult) -> None:
        counts = self.domains.counts
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.domains_shown]
        approximate = self.domains.error > 0
        section.summary["documents_with_url"] = self.with_url
        section.summary["distinct_domains"] = None if approximate else len(counts)
        section.tables.append(
            Table(
                title=f"Top domains ({len(top)} of {'many' if approximate else f'{len(counts):,}'})",
                columns=["domain", "documents", "% of documents with a URL"],
                rows=[[d, c, share(c, self.with_url)] for d, c in top],
            )
        )
        section.charts.append(
            Chart(
                title="Documents per domain (top)",
                labels=[d for d, _ in top],
                values=[float(c) for _, c in top],
                y_label="documents",
            )
        )
        if approximate:
            section.notes.append(
                f"More than {2 * DOMAIN_CAPACITY:,} domains: domain counts are lower bounds, "
                f"each at most {self.domains.error:,} below the truth (Misra–Gries)."
            )


class EstimatesSection(ReportSection):
    """The expensive detectors' rates on the audit's sample, each with its 95 % interval."""

    key = "estimates"
    title = "Sampled estimates (95 % intervals)"

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        """Nothing to stream: the audit's corpus pass already measured the sample."""

    def result(self) -> SectionResult:
        section = SectionResult(key=self.key, title=self.title)
        sample = (read_corpus(self.run_dir) or {}).get("sample")
        if not sample:
            section.notes.append(
                "No sample: every figure in this report is exact (a full pass). "
                "`curator audit … --sample N|FRACTION --seed S` adds the expensive detectors (NER PII)."
            )
            return section
        section.summary = {
            "sample_size": sample["n"],
            "population": sample["population"],
            "seed": sample["spec"]["seed"],
            "method": sample["method"],
        }
        rows: list[list[str | int | float | None]] = []
        for name, found in sample["detectors"].items():
            figures = [("records with any finding", found["records_flagged"])]
            figures += [(f"type {k}", v) for k, v in found["by_type"].items()]
            figures += [(f"reason {k}", v) for k, v in found["by_reason"].items()]
            for label, est in figures:
                rows.append(
                    [
                        name,
                        label,
                        est["count"],
                        est["n"],
                        _pct(est["rate"]),
                        _pct(est["low"]),
                        _pct(est["high"]),
                    ]
                )
        section.tables.append(
            Table(
                title="Estimated rates (share of records)",
                columns=[
                    "detector",
                    "figure",
                    "in sample",
                    "sample size",
                    "rate %",
                    "95% low %",
                    "95% high %",
                ],
                rows=rows,
            )
        )
        section.notes.append(
            f"Estimated on {sample['described']}: {sample['n']:,} of {sample['population']:,} records, "
            f"{sample['method']} 95 % intervals. Every other figure in this report is exact (a full pass)."
        )
        return section


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 3)


class DocQualitySection(ReportSection):
    """Gopher/C4 document flags by reason: documents, share, and redacted examples with the values."""

    key = "doc_quality"
    title = "Document quality (Gopher/C4 heuristics)"
    examples_per_reason = 2

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        configs = self.manifest.recipe.stage_configs("doc_quality")
        self.stages = {s.get("name") or s.get("type") for s in configs}
        self.documents = self.flagged = 0
        self.reasons: Counter[str] = Counter()
        # Per reason, the sampled records and the note; their example text is made in result(),
        # for the few kept, not for every record that was in the sample for a while.
        self.samples: dict[str, Sample[tuple[InstructionRecord, str]]] = {}

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        if not self.stages or not is_document(record):
            return
        self.documents += 1
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for flag in record.annotations.quality_flags:
            stage, _, reason = flag.partition(":")
            if stage in self.stages:
                values = (record.annotations.extra.get(stage) or {}).get(reason) or {}
                found.setdefault(reason, (f"tagged by {stage}", values))
        if outcome.fate == "removed" and outcome.stage in self.stages:
            for reason, values in ((outcome.detail or {}).get("reasons") or {}).items():
                found.setdefault(reason, (f"removed by {outcome.stage}", values))
        if not found:
            return
        self.flagged += 1
        for reason, (how, values) in found.items():
            self.reasons[reason] += 1
            sample = self.samples.setdefault(reason, Sample(self.examples_per_reason))
            if sample.would_keep(record.id):
                measured = ", ".join(f"{k} {v}" for k, v in values.items())
                sample.offer(record.id, (record, f"{how}; {measured}" if measured else how))

    def result(self) -> SectionResult:
        section = SectionResult(key=self.key, title=self.title)
        if not self.stages:
            section.notes.append("This run has no `doc_quality` stage.")
            return section
        section.summary = {
            "documents": self.documents,
            "documents_flagged": self.flagged,
            "documents_flagged_percent": share(self.flagged, self.documents),
        }
        ranked = sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        section.tables.append(
            Table(
                title="Documents per reason (exact, full pass)",
                columns=["reason", "documents", "% of documents"],
                rows=[[r, n, share(n, self.documents)] for r, n in ranked],
            )
        )
        if ranked:
            section.charts.append(
                Chart(
                    title="Documents per reason",
                    labels=[r for r, _ in ranked],
                    values=[float(n) for _, n in ranked],
                    y_label="documents",
                )
            )
        for reason, _ in ranked:
            section.examples.extend(
                Example(title=reason, record_id=record.id, text=example_text(record), note=note)
                for record, note in self.samples[reason].items()
            )
        section.notes.append("Examples are PII-redacted and shortened; the note gives the measured value.")
        return section
