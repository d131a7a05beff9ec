"""Model scores and semantic duplicates in a report.

Scores: for each name in ``annotations.scores``, its distribution per source (quantiles) and a
histogram over all scored records, with the thresholds that act on it marked — the stage
thresholds of the recipe (``thresholds:`` of lm_score / classifier_score) and each mixture's
``select:`` bounds and effective cut (the last score a top fraction or count took) — so a user
can see where a threshold falls before tuning it.

Semantic duplicates: the removed pairs side by side (removed record, the record it duplicates,
cosine similarity), the pairs closest to the threshold first: where the threshold decides.
Example text always goes through :func:`~curator.report.base.example_text`.
"""

from __future__ import annotations

import heapq
import math
from array import array
from typing import Any

import numpy as np

from curator.records import InstructionRecord
from curator.report.base import (
    Chart,
    ManifestLike,
    Marker,
    Outcome,
    ReportSection,
    SectionResult,
    Table,
    example_text,
)
from curator.run.manifest import Manifest

SEMANTIC_TYPES = ("semantic_dedup",)
SCORE_TYPES = ("lm_score", "classifier_score")
BINS = 20
MAX_HEADS = 50_000  # kept cluster heads whose text is remembered for the side-by-side pairs


def thresholds(manifest: Manifest) -> dict[str, list[tuple[float, str]]]:
    """Score name → [(value, where it comes from)] from the run's recipe and mixtures."""
    found: dict[str, list[tuple[float, str]]] = {}
    for stage in manifest.recipe.stage_configs():
        if stage.get("type") not in SCORE_TYPES:  # other stages' `thresholds` mean other things
            continue
        name = stage.get("name") or stage.get("type")
        for rule in stage.get("thresholds") or []:
            for bound in ("min", "max"):
                if rule.get(bound) is not None:
                    found.setdefault(rule["score"], []).append((float(rule[bound]), f"{name} {bound}"))
    for mixture, summary in manifest.mixtures.items():
        selection = (summary.model_extra or {}).get("selection")
        if not selection:
            continue
        for bound in ("min", "max"):
            if selection.get(bound) is not None:
                found.setdefault(selection["score"], []).append(
                    (float(selection[bound]), f"{mixture} {bound}")
                )
        score_range = selection.get("selected_score_range")
        if score_range and ("top_fraction" in selection or "top_count" in selection):
            cut = score_range[0] if selection.get("order", "highest") == "highest" else score_range[1]
            found.setdefault(selection["score"], []).append((float(cut), f"{mixture} cut"))
    return found


class ScoresSection(ReportSection):
    key = "scores"
    title = "Model scores"
    pairs_shown = 10

    def __init__(self, manifest: ManifestLike) -> None:
        super().__init__(manifest)
        self.values: dict[tuple[str, str], array] = {}  # (score, source) → values
        self.semantic = set(self.manifest.stages_of(*SEMANTIC_TYPES))
        self.heads: dict[str, str] = {}  # kept cluster head id → example text
        self._pairs: list[tuple[float, str, list[Any]]] = []  # max-heap by -(closeness to threshold)

    def add(self, record: InstructionRecord, outcome: Outcome) -> None:
        source = record.provenance.source
        for name, value in record.annotations.scores.items():
            self.values.setdefault((name, source), array("d")).append(value)
        info = record.annotations.duplicate
        if info is None or info.method not in self.semantic:
            return
        if info.duplicate_of is None:
            if len(self.heads) < MAX_HEADS:
                self.heads[record.id] = example_text(record, 300)
            return
        if outcome.fate != "removed" or info.similarity is None:
            return
        # Lowest similarity first (closest to the threshold); ties by id, so the choice is order-free.
        entry = (
            -info.similarity,
            _negated(record.id),
            [info.similarity, example_text(record, 300), info.duplicate_of],
        )
        if len(self._pairs) < self.pairs_shown:
            heapq.heappush(self._pairs, entry)
        elif entry > self._pairs[0]:
            heapq.heapreplace(self._pairs, entry)

    def result(self) -> SectionResult:
        result = SectionResult(key=self.key, title=self.title)
        marks = thresholds(self.manifest)
        names = sorted({name for name, _ in self.values})
        rows = []
        for name in names:
            everything = np.concatenate(
                [np.frombuffer(v, dtype=np.float64) for (n, _), v in self.values.items() if n == name]
            )
            result.summary[f"{name} records"] = len(everything)
            result.summary[f"{name} median"] = round(float(np.median(everything)), 4)
            for source in sorted(s for n, s in self.values if n == name):
                values = np.frombuffer(self.values[name, source], dtype=np.float64)
                q = np.quantile(values, [0.0, 0.1, 0.5, 0.9, 1.0])
                rows.append(
                    [
                        name,
                        source,
                        len(values),
                        *(round(float(x), 4) for x in q),
                        round(float(values.mean()), 4),
                    ]
                )
            result.charts.append(_histogram(name, everything, marks.get(name, [])))
            for value, where in marks.get(name, []):
                below = float((everything < value).mean())
                result.notes.append(
                    f"{name}: {where} at {value:g} — {below:.1%} of scored records lie below it"
                )
        if rows:
            result.tables.append(
                Table(
                    title="Scores per source (kept and removed records)",
                    columns=["score", "source", "records", "min", "p10", "median", "p90", "max", "mean"],
                    rows=rows,
                )
            )
        if self._pairs:
            pairs = sorted(self._pairs, reverse=True)  # lowest similarity first, then by id
            result.tables.append(
                Table(
                    title="Semantic duplicates removed, closest to the threshold first",
                    columns=["similarity", "removed", "kept (duplicate_of)"],
                    rows=[
                        [round(sim, 4), text, self.heads.get(kept, f"(record {kept})")]
                        for _, _, (sim, text, kept) in pairs
                    ],
                )
            )
        if not rows and not self._pairs:
            result.notes.append(
                "No model scores: add lm_score or classifier_score stages (and semantic_dedup for semantic "
                "duplicates) to see their distributions here."
            )
        return result


def _histogram(name: str, values: np.ndarray, marks: list[tuple[float, str]]) -> Chart:
    """Equal-width bins from the 1st to the 99th percentile (outliers in the end bins)."""
    low, high = (float(x) for x in np.quantile(values, [0.01, 0.99]))
    for value, _ in marks:  # keep thresholds inside the drawn range
        low, high = min(low, value), max(high, value)
    if not math.isfinite(low) or high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, BINS + 1)
    counts = np.bincount(
        np.clip(np.searchsorted(edges, values, side="right") - 1, 0, BINS - 1), minlength=BINS
    )
    labels = [f"{edges[i]:.3g}" for i in range(BINS)]
    markers = [
        Marker(at=(value - low) / (high - low) * BINS, label=f"{where} {value:g}") for value, where in marks
    ]
    return Chart(
        title=f"{name} (all sources)",
        kind="histogram",
        labels=labels,
        values=[float(c) for c in counts],
        x_label=name,
        markers=markers,
    )


def _negated(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) if ord(c) < 0x10FFFF else c for c in text)
