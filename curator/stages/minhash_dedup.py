"""Near-duplicate removal: MinHash signatures, LSH buckets, exact Jaccard check, union-find.

Map (per shard, in parallel): select and normalise each record's text (:mod:`curator.stages.text`),
cut it into shingles (word or character n-grams, :mod:`curator.dedup.shingles`), compute
``num_perm`` MinHash values per record with numpy (equal to datasketch's, see
:mod:`curator.dedup.minhash`), and fold them into one key per LSH band. A shard's signatures
are the band keys, each record's distinct 32-bit shingle hashes (kept only to verify), its
keep-policy value and its id: compact numpy arrays, no Python objects per record.

Reduce (one process, over all shards in input order):

1. records with identical band keys are grouped first: one that has exactly the same shingle set
   as its group's first record (without ``verify``: the same band keys) is that record's
   duplicate outright (similarity 1.0) and is left out of the buckets, so a text repeated
   100,000 times costs 100,000 pairs, not 5·10^9;
2. per band, records are sorted by key; records sharing a key are candidate pairs (in a bucket of
   more than 65 records, each is paired with the next 64 in input order);
3. with ``verify`` (the default), each candidate pair's exact Jaccard similarity over the two
   shingle sets decides it: pairs below ``threshold`` (LSH false positives) are dropped;
4. connected components of the remaining pairs are the clusters (union-find); the keep policy
   picks one record per cluster (ties: input order), and every other member is removed as
   ``near_duplicate`` with ``duplicate_of`` (the kept record's id) and its exact similarity to
   that record (which, through a chain, can be below the threshold).

Map: each shard annotates its clustered records and removes (or tags) the duplicates.

Memory of the reduce, per record: 4 bytes per band key (8 without ``verify``), 4 per distinct
shingle (only with ``verify``), 4 for the shingle count, 12 for the id, 8 for a keep value
(policies other than ``first``); Alpaca rows with word 5-grams average 55 distinct shingles, so
about 320 bytes with the defaults (21 bands at 0.8). The reduce's own working arrays add about
20-30 bytes per record, and candidate pairs are verified in blocks of bounded size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, PrivateAttr, model_validator

from curator.config_types import Seed
from curator.dedup.cluster import (
    ShardedShingles,
    bucket_pairs,
    connected_components,
    equal_runs,
    jaccard,
    pack_pairs,
    sort_by_key,
    unique_sorted,
    unpack_pairs,
)
from curator.dedup.decisions import ClusterDecisions, cluster_decisions, duplicate_details
from curator.dedup.ids import ids_at_parts, pack_ids, take_parts
from curator.dedup.keep import KeepPolicy, keep_values
from curator.dedup.minhash import band_keys, optimal_bands, recall_bands, signatures, whole_keys
from curator.dedup.partitioned import MinHashPartitioned, PartitionedReduce
from curator.dedup.shingles import MAX_N, ShingleKind, shingle
from curator.records import InstructionRecord
from curator.stages.base import GlobalStage, Reason, StageConfig, StageResult
from curator.stages.text import Normalization, TextField, normalize, select_text

REASON = "near_duplicate"
# With verified candidates, bands × rows are chosen so that a pair of Jaccard exactly the threshold
# is missed with at most this probability (curator.dedup.minhash.recall_bands): 32×4 at 0.7, 21×6
# at 0.8, 14×9 at 0.9 with 128 permutations. A false positive only costs one exact check, a false
# negative is a duplicate left in the data.
VERIFIED_MISS_AT_THRESHOLD = 0.005
UNVERIFIED_WEIGHTS = (0.5, 0.5)  # datasketch's default (false positive, false negative) weights


class MinHashDedupConfig(StageConfig):
    """Remove records whose shingle sets are near-identical (Jaccard ≥ threshold) to a kept record's."""

    type: Literal["minhash_dedup"] = "minhash_dedup"
    text: TextField = Field(default="conversation", description="Which turns are compared.")
    normalization: Normalization = Field(
        default_factory=lambda: Normalization(strip_punctuation=True),
        description="Applied before shingling (default: NFKC, lower-case, no punctuation, one space).",
    )
    shingles: ShingleKind = Field(
        default="word", description="word: n consecutive words; char: n consecutive characters."
    )
    ngram: int = Field(default=5, ge=1, le=MAX_N, description="n of the shingles.")
    num_perm: int = Field(default=128, ge=2, le=1024, description="MinHash permutations.")
    seed: Seed = Field(default=1, description="Seed of the permutations (datasketch's default: 1).")
    threshold: float = Field(default=0.8, gt=0.0, lt=1.0, description="Jaccard similarity of a duplicate.")
    bands: int | None = Field(default=None, ge=1, description="LSH bands; default: chosen from threshold.")
    rows: int | None = Field(default=None, ge=1, description="Signature rows per band (with bands).")
    lsh_weights: tuple[float, float] | None = Field(
        default=None,
        description="(false positive, false negative) weights for choosing bands × rows from the "
        "threshold with datasketch's optimiser. Default with verify: the fewest bands that miss a "
        f"pair at exactly the threshold with probability ≤ {VERIFIED_MISS_AT_THRESHOLD}; without "
        f"verify: datasketch's {UNVERIFIED_WEIGHTS}.",
    )
    verify: bool = Field(
        default=True,
        description="Check each candidate pair's exact Jaccard similarity (removes LSH false positives).",
    )
    keep: KeepPolicy = Field(
        default="first",
        description="Which record of a cluster is kept: first, longest_response, "
        "{source_priority: [...]} or {highest: <annotation path>}.",
    )

    _lsh: tuple[tuple, tuple[int, int]] | None = PrivateAttr(default=None)  # (inputs, (bands, rows))

    @model_validator(mode="after")
    def _bands_and_rows(self) -> MinHashDedupConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither (they are then chosen from threshold)")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands × rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        if self.lsh_weights is not None and (min(self.lsh_weights) < 0 or sum(self.lsh_weights) <= 0):
            raise ValueError("lsh_weights must be two non-negative numbers, not both zero")
        self.lsh_params()
        return self

    def lsh_params(self) -> tuple[int, int]:
        """(bands, rows): as configured; else with verify and no weights, recall at the threshold
        first (:func:`recall_bands`); else datasketch's optimum for the threshold and weights.

        Computed once, when the config is validated (in the process that reads the recipe), and
        carried with it to worker processes, which then never import datasketch.
        """
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        weights = self.lsh_weights or (None if self.verify else UNVERIFIED_WEIGHTS)
        question = (self.threshold, self.num_perm, weights)
        if self._lsh is None or self._lsh[0] != question:
            if weights is None:
                answer = recall_bands(self.threshold, self.num_perm, VERIFIED_MISS_AT_THRESHOLD)
            else:
                answer = optimal_bands(self.threshold, self.num_perm, *weights)
            self._lsh = (question, answer)
        return self._lsh[1]


@dataclass(slots=True)
class MinHashSignatures:
    """One shard's share of the reduce's input."""

    keys: np.ndarray  # (n, bands) uint32 with verify, else uint64
    counts: np.ndarray  # (n,) uint32 distinct shingles per record; 0: no text, never a duplicate
    shingles: np.ndarray | None  # (sum(counts),) uint32, sorted per record (verify only)
    values: np.ndarray | None  # (n,) float64 keep-policy values; None for keep: first
    ids: np.ndarray  # packed record ids (curator.dedup.ids)

    @property
    def nbytes(self) -> int:
        arrays = (self.keys, self.counts, self.shingles, self.values, self.ids)
        return sum(a.nbytes for a in arrays if a is not None)


def record_texts(
    batch: Sequence[InstructionRecord], field: TextField, options: Normalization, kind: ShingleKind
) -> list[str]:
    """Each record's selected, normalised text.

    For word shingles, whitespace collapsing is skipped: splitting into words ignores it anyway.
    """
    if kind == "word" and options.collapse_whitespace:
        options = options.model_copy(update={"collapse_whitespace": False})
    return [normalize(select_text(record, field), options) for record in batch]


class MinHashDedup(GlobalStage[MinHashDedupConfig]):
    config_model = MinHashDedupConfig

    def __init__(self, config: MinHashDedupConfig) -> None:
        super().__init__(config)
        self.bands, self.rows = config.lsh_params()

    # -- map -------------------------------------------------------------------------------------
    def signatures(self, batch: list[InstructionRecord]) -> MinHashSignatures:
        c = self.config
        texts = record_texts(batch, c.text, c.normalization, c.shingles)
        shingles = shingle(texts, c.shingles, c.ngram)
        del texts
        minhashes = signatures(shingles, c.num_perm, c.seed)
        return MinHashSignatures(
            keys=band_keys(minhashes, self.bands, self.rows, wide=not c.verify),
            counts=shingles.counts.astype(np.uint32),
            shingles=shingles.hashes if c.verify else None,
            values=keep_values(batch, c.keep),
            ids=pack_ids([r.id for r in batch]),
        )

    # -- reduce ----------------------------------------------------------------------------------
    def reduce(self, signatures: Sequence[MinHashSignatures]) -> list[ClusterDecisions]:
        offsets = _offsets(signatures)
        parts = _Parts(signatures, offsets)
        a, b = self._similar_pairs(parts)
        members, labels = connected_components(a, b)
        return cluster_decisions(
            offsets,
            members,
            labels,
            values=parts.take("values", members) if signatures and signatures[0].values is not None else None,
            ids=lambda index: ids_at_parts([s.ids for s in signatures], offsets, index),
            similarity_to_kept=parts.jaccard if self.config.verify else None,
        )

    def similar_pairs(
        self, signatures: Sequence[MinHashSignatures], all_pairs: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Global indexes (a[i] < b[i]) of the record pairs found similar: the clusters' edges.

        An exact copy is linked to its group's first record only. ``all_pairs`` adds every pair
        that implies (a copy is as similar to any record as its original is): for tests and
        audits on small data, its size grows with the square of the copies.
        """
        return self._similar_pairs(_Parts(signatures, _offsets(signatures)), all_pairs)

    def _similar_pairs(self, parts: _Parts, all_pairs: bool = False) -> tuple[np.ndarray, np.ndarray]:
        signatures = parts.signatures
        if not signatures:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        verify = self.config.verify
        # Records with shingles; records without text are never anyone's duplicate.
        live = np.concatenate([s.counts > 0 for s in signatures])
        if not live.any():
            return np.zeros(0, np.int64), np.zeros(0, np.int64)

        # 1. Identical band keys: exact copies join their group's first record outside the buckets.
        twins_lo, twins_hi = self._twins(parts, live)
        twin_similarity = parts.jaccard(twins_lo, twins_hi) if verify else np.ones(len(twins_lo))
        exact = twin_similarity >= 1.0
        live[twins_hi[exact]] = False
        index_type = np.int32 if len(live) < (1 << 31) else np.int64
        nodes = np.flatnonzero(live).astype(index_type)
        del live

        # 2. Candidate pairs from every band's buckets (and twins that are not exact copies).
        found = [pack_pairs(twins_lo[~exact], twins_hi[~exact])]
        shard_bounds = np.searchsorted(nodes, parts.offsets)
        for band in range(self.bands):
            column = np.empty(len(nodes), dtype=signatures[0].keys.dtype)
            for shard, signature in enumerate(signatures):
                lo, hi = shard_bounds[shard], shard_bounds[shard + 1]
                column[lo:hi] = signature.keys[nodes[lo:hi] - parts.offsets[shard], band]
            lo, hi = unpack_pairs(bucket_pairs(column))
            del column
            found.append(pack_pairs(nodes[lo], nodes[hi]))
            del lo, hi
        del nodes
        a, b = unpack_pairs(unique_sorted(np.concatenate(found)))
        del found

        # 3. Verify: keep the pairs whose exact Jaccard similarity reaches the threshold.
        if verify:
            similar = parts.jaccard(a, b) >= self.config.threshold
            a, b = a[similar], b[similar]
        if all_pairs:
            return _implied_pairs(a, b, twins_lo[exact], twins_hi[exact])
        return np.concatenate([a, twins_lo[exact]]), np.concatenate([b, twins_hi[exact]])

    def _twins(self, parts: _Parts, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (first record, later record) of records with text whose band keys are all equal.

        With verify, 32-bit digests of the keys suffice (a chance match is only a candidate that
        the exact check turns down); without, they are 64-bit.
        """
        wide = not self.config.verify
        whole = np.concatenate([_whole_key(s, wide) for s in parts.signatures])
        present = np.flatnonzero(live)
        whole = whole[present]
        sorted_keys, order = sort_by_key(whole)
        del whole
        later, starts = equal_runs(sorted_keys)
        del sorted_keys
        return present[order[starts]], present[order[later]]

    def partitioned_reduce(self) -> PartitionedReduce:
        c = self.config
        return MinHashPartitioned(bands=self.bands, verify=c.verify, threshold=c.threshold)

    # -- map -------------------------------------------------------------------------------------
    def apply(self, batch: list[InstructionRecord], decisions: ClusterDecisions) -> StageResult:
        details = duplicate_details(batch, decisions, self.name)
        return self.settle(batch, [None if d is None else Reason(REASON, d) for d in details])


def _implied_pairs(
    a: np.ndarray, b: np.ndarray, copy_of: np.ndarray, copies: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a, b) plus those implied by exact copies (``copies[i]`` has the set of ``copy_of[i]``)."""
    groups: dict[int, list[int]] = {}
    for original, copy in zip(copy_of.tolist(), copies.tolist(), strict=True):
        groups.setdefault(original, [original]).append(copy)
    pairs = set()
    for members in groups.values():
        pairs.update((x, y) for i, x in enumerate(members) for y in members[i + 1 :])
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        pairs.update((min(p, q), max(p, q)) for p in groups.get(x, [x]) for q in groups.get(y, [y]) if p != q)
    ordered = sorted(pairs)
    return (
        np.array([p for p, _ in ordered], dtype=np.int64),
        np.array([q for _, q in ordered], dtype=np.int64),
    )


def _offsets(signatures: Sequence[MinHashSignatures]) -> np.ndarray:
    offsets = np.zeros(len(signatures) + 1, dtype=np.int64)
    np.cumsum([len(s.counts) for s in signatures], out=offsets[1:])
    return offsets


def _whole_key(signature: MinHashSignatures, wide: bool) -> np.ndarray:
    return whole_keys(signature.keys, wide)


class _Parts:
    """The shards' signatures seen as one array per field, without concatenating the big ones."""

    def __init__(self, signatures: Sequence[MinHashSignatures], offsets: np.ndarray) -> None:
        self.signatures = signatures
        self.offsets = offsets
        self._store: ShardedShingles | None = None

    def take(self, field: str, index: np.ndarray) -> np.ndarray:
        return take_parts([getattr(s, field) for s in self.signatures], self.offsets, index)

    def jaccard(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Exact Jaccard similarity of the shingle sets of records a[i] and b[i] (global indexes)."""
        if not len(a):
            return np.zeros(0)
        if self._store is None:
            self._store = ShardedShingles(
                self.offsets,
                [s.shingles for s in self.signatures],  # type: ignore[misc]
                [s.counts for s in self.signatures],
            )
        return jaccard(self._store, a, b)
