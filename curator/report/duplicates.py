"""Duplicates (exact_dedup, minhash_dedup) and eval contamination (decontaminate) in a report.

Duplicates: the rate per dedup stage (duplicates removed or tagged ÷ records the stage saw),
the histogram of cluster sizes, and the largest clusters with their kept record and duplicates
as examples. Clusters are read from ``annotations.duplicate`` (every member of a cluster of two
or more carries the cluster id and size), so a run with ``action: tag`` reports the same
clusters as one that drops. A record clustered by two dedup stages carries the later one.

Contamination: training records that overlap an eval set, the eval items they hit (from the
removal detail, or the annotation when tagged) and examples.

Example text always goes through :func:`~curator.report.base.example_text`.
"""

from __future__ import annotations

import heapq
from collections import Counter
from typing import Any

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
from curator.report.stats import Distribution, Sample, compact, share
from curator.run.manifest import StageEntry

DEDUP_TYPES = ("exact_dedup", "minhash_dedup")
CLUSTER_EDGES = (2, 3, 4, 5, 10, 20, 50, 100, 1000, 10000)


def _hits(manifest_stage: StageEntry) -> int:
    return manifest_stage.removed + manifest_stage.tagged


class DuplicatesSection(ReportSection):
    key = "duplicates"
    title = "Duplicates"
    largest = 10  # clusters shown with examples
    examples_per_cluster = 3

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.stages = self.manifest.stages_of(*DEDUP_TYPES)
        self.clusters: dict[tuple[str, str], int] = {}  # (stage, cluster id) → size
        # The largest clusters seen so far: a min-heap of (size, negated id order key, key).
        self._top: list[tuple[int, str, tuple[str, str]]] = []
        # Per cluster in the top: (record, title, note) of its first members. The example text
        # (PII-redacted, the names model included) is made in result(), only for the clusters
        # that end in the top: clusters enter and leave it while the run streams by.
        self._examples: dict[tuple[str, str], list[tuple[InstructionRecord, str, str]]] = {}

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        info = record.annotations.duplicate
        if info is None or info.method not in self.stages:
            return
        key = (info.method, info.cluster_id)
        if key not in self.clusters:
            self.clusters[key] = info.cluster_size
            self._consider(key, info.cluster_size)
        examples = self._examples.get(key)
        if examples is None or len(examples) >= self.examples_per_cluster:
            return
        if info.duplicate_of is None:
            note = f"kept ({outcome.fate})"
        else:
            similarity = "" if info.similarity is None else f", similarity {info.similarity:.3f}"
            how = "removed" if outcome.fate == "removed" else "tagged"
            note = f"{how}: duplicate of {info.duplicate_of}{similarity}"
        title = f"{info.method}: cluster {info.cluster_id} ({info.cluster_size} records)"
        examples.append((record, title, note))

    def _consider(self, key: tuple[str, str], size: int) -> None:
        # Order: larger first, then the smaller cluster id (so the choice is order-independent).
        entry = (size, _descending(key[1] + "\0" + key[0]), key)
        if len(self._top) < self.largest:
            heapq.heappush(self._top, entry)
            self._examples[key] = []
        elif entry > self._top[0]:
            dropped = heapq.heapreplace(self._top, entry)
            self._examples.pop(dropped[2], None)
            self._examples[key] = []

    def result(self) -> SectionResult:
        section = SectionResult(key=self.key, title=self.title)
        if not self.stages:
            section.notes.append("No dedup stage in this run.")
            return section
        first_in = next(iter(self.stages.values())).records_in
        duplicates = sum(_hits(s) for s in self.stages.values())
        sizes = Distribution()
        per_stage: Counter[str] = Counter()
        largest: dict[str, int] = {}
        for (stage, _), size in self.clusters.items():
            sizes.add(size)
            per_stage[stage] += 1
            largest[stage] = max(largest.get(stage, 0), size)
        section.summary = {
            "duplicates": duplicates,
            "duplicate_rate_percent": share(duplicates, first_in),
            "clusters": len(self.clusters),
            "largest_cluster": sizes.max,
            "records_in_clusters": sizes.total,
        }
        section.tables.append(
            Table(
                title="Dedup stages",
                columns=[
                    "stage",
                    "type",
                    "records in",
                    "duplicates",
                    "rate %",
                    "action",
                    "clusters",
                    "largest",
                ],
                rows=[
                    [
                        name,
                        s.type,
                        s.records_in,
                        _hits(s),
                        share(_hits(s), s.records_in),
                        s.action,
                        per_stage.get(name, 0),
                        largest.get(name),
                    ]
                    for name, s in self.stages.items()
                ],
            )
        )
        if sizes.n:
            labels, values = sizes.binned(CLUSTER_EDGES)
            section.charts.append(
                Chart(
                    title="Cluster sizes",
                    kind="histogram",
                    labels=labels,
                    values=values,
                    x_label="records in the cluster",
                    y_label="clusters",
                )
            )
        top = sorted(self._top, reverse=True)
        if top:
            section.tables.append(
                Table(
                    title=f"Largest clusters (top {len(top)})",
                    columns=["stage", "cluster (kept record id)", "records"],
                    rows=[[key[0], key[1], size] for size, _, key in top],
                )
            )
            for _, _, key in top:
                section.examples.extend(
                    Example(title=title, record_id=record.id, text=example_text(record), note=note)
                    for record, title, note in self._examples.get(key, [])
                )
        section.notes.append(
            "A cluster is a kept record and its duplicates; its id is the kept record's id. "
            f"Cluster sizes are binned at {', '.join(compact(e) for e in CLUSTER_EDGES)}."
        )
        return section


def _descending(text: str) -> tuple[int, ...]:
    """A key that sorts ``text`` in reverse (so a min-heap on it keeps the smaller strings)."""
    return (*(-ord(c) for c in text), 1)


class ContaminationSection(ReportSection):
    key = "contamination"
    title = "Eval contamination"
    examples_shown = 5
    items_shown = 20

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.stages = self.manifest.stages_of("decontaminate")
        self.records = 0
        self.items: Counter[tuple[str, str]] = Counter()  # (eval set, eval id) → training records
        self.ngrams: dict[tuple[str, str], str] = {}  # (eval set, eval id) → first overlapping n-gram
        self.samples: Sample[Example] = Sample(self.examples_shown)

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        if not self.stages:
            return
        found: dict[str, Any] | None = None
        how = ""
        if outcome.fate == "removed" and outcome.stage in self.stages:
            found, how = outcome.detail or {}, f"removed by {outcome.stage}"
        else:
            for name in self.stages:
                if name in record.annotations.extra:
                    found, how = record.annotations.extra[name], f"tagged by {name}"
                    break
        if found is None:
            return
        self.records += 1
        hits = found.get("eval_hits") or []
        ngrams = found.get("hit_ngrams") or []
        for index, hit in enumerate(hits):
            key = (str(hit.get("eval_set")), str(hit.get("id")))
            self.items[key] += 1
            if index < len(ngrams):
                self.ngrams.setdefault(key, str(ngrams[index]))
        if self.samples.would_keep(record.id):
            named = ", ".join(f"{h.get('eval_set')}:{h.get('id')}" for h in hits[:3])
            more = found.get("eval_hits_total", len(hits)) - min(len(hits), 3)
            note = f"{how}; shares {found.get('shared_ngrams')} n-gram(s) with {named}"
            if more > 0:
                note += f" and {more} more"
            self.samples.offer(
                record.id,
                Example(
                    title="overlaps an eval item", record_id=record.id, text=example_text(record), note=note
                ),
            )

    def result(self) -> SectionResult:
        section = SectionResult(key=self.key, title=self.title)
        if not self.stages:
            section.notes.append("No decontaminate stage in this run.")
            return section
        records_in = sum(s.records_in for s in self.stages.values())
        section.summary = {
            "contaminated_records": self.records,
            "contaminated_percent": share(self.records, records_in),
            "eval_items_hit": len(self.items),
        }
        per_set: Counter[str] = Counter(eval_set for eval_set, _ in self.items)
        if per_set:
            section.charts.append(
                Chart(
                    title="Eval items hit, per eval set",
                    labels=list(per_set),
                    values=[float(v) for v in per_set.values()],
                    y_label="eval items",
                )
            )
        ranked = sorted(self.items.items(), key=lambda kv: (-kv[1], kv[0]))[: self.items_shown]
        section.tables.append(
            Table(
                title=f"Eval items hit (top {len(ranked)} of {len(self.items)})",
                columns=["eval set", "eval item", "training records", "overlapping n-gram (first seen)"],
                rows=[
                    [eval_set, item, count, self.ngrams.get((eval_set, item))]
                    for (eval_set, item), count in ranked
                ],
            )
        )
        section.examples.extend(self.samples.items())
        if not self.records:
            section.notes.append("No training record shares an n-gram with the eval sets.")
        return section
