"""Line- and paragraph-level exact duplicates across the corpus (``type: line_dedup``).

What C4 (three-sentence spans) and dolma (paragraphs, with a Bloom filter) measure before they
remove repeated boilerplate: for every non-empty line and every paragraph (text between blank
lines), whether the same text (whitespace collapsed) occurred earlier in the corpus, in input
order, in this document or another.

Map: a 64-bit BLAKE2b hash and a length per line and per paragraph (12 bytes each).
Reduce: one sort of all hashes gives each first occurrence; the rest are duplicates.
Map: each document gets ``annotations.extra["line_dedup"]`` (lines, duplicate lines and their
characters; the same for paragraphs), which the corpus report sums into exact rates; a document
whose duplicate-line characters exceed ``max_duplicate_line_chars`` of its line characters is
flagged ``duplicate_lines`` (or removed with ``action: drop``). The text is never changed.

Memory of the reduce: 12 bytes per line and per paragraph (hash and length) plus 16 per document
(a typical web page has tens of lines: 638 bytes per document on web text), and while it runs
one byte per unit for the answer and about 30 bytes per unit of one hash partition of 16 (it
sorts partition by partition). All of it is in the process that reduces. Engines that reduce in
their workers (Ray) run it hash-partitioned across tasks instead
(:mod:`curator.dedup.partitioned_units`): no process holds every hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from curator.dedup.partitioned import PartitionedReduce
from curator.dedup.partitioned_units import UnitsPartitioned
from curator.records import InstructionRecord
from curator.stages.base import GlobalStage, Reason, StageConfig, StageResult
from curator.stages.text import TextField, select_text

REASON = "duplicate_lines"
_UNITS = ("line", "paragraph")


class LineDedupConfig(StageConfig):
    """Measure repeated lines and paragraphs across the corpus; flag boilerplate-heavy documents."""

    type: Literal["line_dedup"] = "line_dedup"
    text: TextField = Field(default="conversation", description="Which turns are split into lines.")
    min_chars: int = Field(default=1, ge=1, description="Lines shorter than this are not counted.")
    max_duplicate_line_chars: float = Field(
        default=0.5, ge=0, le=1, description="Flag a document when more of its line characters repeat."
    )


@dataclass(slots=True)
class UnitSignatures:
    hashes: np.ndarray  # (n,) uint64
    lengths: np.ndarray  # (n,) uint32: characters
    counts: np.ndarray  # (records,) int64: units per record, in batch order


def _units(text: str, unit: str, min_chars: int) -> list[str]:
    parts = text.split("\n") if unit == "line" else text.replace("\r\n", "\n").split("\n\n")
    units = (" ".join(part.split()) for part in parts)
    return [u for u in units if len(u) >= min_chars]


def _signatures(texts: list[str], unit: str, min_chars: int) -> UnitSignatures:
    hashes: list[bytes] = []
    lengths: list[int] = []
    counts = np.zeros(len(texts), dtype=np.int64)
    for index, text in enumerate(texts):
        units = _units(text, unit, min_chars)
        counts[index] = len(units)
        for u in units:
            hashes.append(hashlib.blake2b(u.encode("utf-8", "surrogatepass"), digest_size=8).digest())
            lengths.append(len(u))
    return UnitSignatures(
        np.frombuffer(b"".join(hashes), dtype="<u8").copy(), np.asarray(lengths, dtype=np.uint32), counts
    )


# The reduce sorts one hash partition at a time (by the hash's top bits), so its working memory
# beyond the hashes themselves is about 1/PARTITIONS of theirs, not three times (see the README).
PARTITIONS = 16
_PART_SHIFT = np.uint64(60)  # the top 4 bits pick the partition


def _first_occurrences(parts: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per batch, a bool mask: True where the hash was seen earlier (in input order).

    Equal hashes land in the same partition, and within a partition the hashes keep input
    order (batch by batch, position by position), so the first of each value there is its
    first in the corpus: the masks equal one sort of everything, with a fraction of its memory."""
    masks = [np.zeros(len(p), dtype=bool) for p in parts]
    keys = [(p >> _PART_SHIFT).astype(np.uint8) for p in parts]
    for partition in range(PARTITIONS):
        where = [np.flatnonzero(key == partition) for key in keys]
        sizes = [len(w) for w in where]
        if not sum(sizes):
            continue
        hashes = np.concatenate([p[w] for p, w in zip(parts, where, strict=True)])
        _, first = np.unique(hashes, return_index=True)
        repeat = np.ones(len(hashes), dtype=bool)
        repeat[first] = False
        del hashes, first
        for mask, w, chunk in zip(masks, where, np.split(repeat, np.cumsum(sizes)[:-1]), strict=True):
            mask[w] = chunk
    return masks


def _sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum of ``values`` per record (records start at ``starts``; a padding zero keeps
    reduceat in bounds for trailing records without units, which the caller zeroes)."""
    return np.add.reduceat(np.append(values, 0), starts) if len(starts) else starts


class LineDedup(GlobalStage[LineDedupConfig]):
    config_model = LineDedupConfig

    def signatures(self, batch: list[InstructionRecord]) -> dict[str, UnitSignatures]:
        texts = [select_text(r, self.config.text) for r in batch]
        return {unit: _signatures(texts, unit, self.config.min_chars) for unit in _UNITS}

    def reduce(self, signatures: Sequence[dict[str, UnitSignatures]]) -> list[dict[str, tuple]]:
        masks = {unit: _first_occurrences([s[unit].hashes for s in signatures]) for unit in _UNITS}
        return [
            {unit: (s[unit].lengths, s[unit].counts, masks[unit][i]) for unit in _UNITS}
            for i, s in enumerate(signatures)
        ]

    def partitioned_reduce(self) -> PartitionedReduce:
        return UnitsPartitioned(_UNITS)

    def apply(self, batch: list[InstructionRecord], decisions: dict[str, tuple]) -> StageResult:
        judgements: list[Reason | None] = []
        per_unit = {}
        for unit, (lengths, counts, repeat) in decisions.items():
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
            lengths = lengths.astype(np.int64)
            per_unit[unit] = (
                counts,
                _sums(repeat.astype(np.int64), starts),
                _sums(lengths, starts),
                _sums(np.where(repeat, lengths, 0), starts),
            )
        for index, record in enumerate(batch):
            found: dict[str, int] = {}
            for unit, (counts, dups, chars, dup_chars) in per_unit.items():
                n = int(counts[index])
                # reduceat gives the next value for an empty slice: zero those explicitly.
                found[f"{unit}s"] = n
                found[f"duplicate_{unit}s"] = int(dups[index]) if n else 0
                found[f"{unit}_chars"] = int(chars[index]) if n else 0
                found[f"duplicate_{unit}_chars"] = int(dup_chars[index]) if n else 0
            record.annotations.extra["line_dedup"] = found
            share = found["duplicate_line_chars"] / found["line_chars"] if found["line_chars"] else 0.0
            flagged = share > self.config.max_duplicate_line_chars
            judgements.append(Reason(REASON, {"duplicate_line_chars": round(share, 4)}) if flagged else None)
        return self.settle(batch, judgements)
