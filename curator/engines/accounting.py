"""Accounting of one shard-pass: per-stage counts and timings, and the removed records with reasons.

Every record a stage removes is written with its stage, reason and detail (after the scrubbing
stage, if any, has redacted it), and the counts must add up: records in = kept + removed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curator.io import JsonlWriter
from curator.io.jsonl import dumps_line
from curator.records import InstructionRecord
from curator.removed import removed_entry
from curator.stages import StageResult

Scrub = Callable[[list[InstructionRecord]], list[InstructionRecord]]


@dataclass(slots=True)
class StageStats:
    records_in: int = 0
    kept: int = 0
    removed: int = 0
    tagged: int = 0
    reasons: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, other: StageStats) -> None:
        self.records_in += other.records_in
        self.kept += other.kept
        self.removed += other.removed
        self.tagged += other.tagged
        self.reasons.update(other.reasons)
        self.seconds += other.seconds


@dataclass(slots=True)
class ShardReport:
    """What a worker sends back: counts, timings and (for a global stage) compact signatures."""

    shard: int
    rows: int = 0
    rejected: int = 0
    rejected_reasons: Counter = field(default_factory=Counter)
    adapt_seconds: float = 0.0
    stages: dict[str, StageStats] = field(default_factory=dict)
    records_out: int = 0
    signatures: Any = None


def account(
    stage_name: str,
    records_in: int,
    result: StageResult,
    seconds: float,
    report: ShardReport,
    removed_file: Callable[[], Path],
    scrub: Scrub | None = None,
) -> None:
    """Add a stage's result on one shard to ``report``; write its removed records (scrubbed)."""
    stats = report.stages.setdefault(stage_name, StageStats())
    stats.records_in += records_in
    stats.kept += len(result.kept)
    stats.removed += len(result.removed)
    stats.tagged += result.tagged
    stats.seconds += seconds
    if result.removed:
        removed = [removal.record for removal in result.removed]
        if scrub is not None:
            removed = scrub(removed)
        with JsonlWriter(removed_file(), durable=False) as out:
            for removal, record in zip(result.removed, removed, strict=True):
                stats.reasons[removal.reason] += 1
                data = record.model_dump(mode="json")
                entry = removed_entry(stage_name, removal.reason, removal.detail, data)
                out.write_line(dumps_line(entry))
    assert records_in == len(result.kept) + len(result.removed), f"stage {stage_name} lost records"
