"""Cluster decisions of a dedup reduce, cut per shard, and how a shard applies them.

Only records in clusters of two or more are listed (most records are in none), so what the
reduce sends to each shard is small.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from curator.dedup.keep import choose_kept
from curator.records import DuplicateInfo, InstructionRecord


@dataclass(slots=True)
class ClusterDecisions:
    """For one shard: its records that are in a cluster of two or more."""

    positions: np.ndarray  # (m,) int64, index of the record in the shard, ascending
    kept: np.ndarray  # (m,) bool, whether the record is its cluster's kept record
    cluster_size: np.ndarray  # (m,) int64
    kept_id: list[str]  # (m,) id of the cluster's kept record (the cluster id)
    similarity: np.ndarray  # (m,) float64 similarity to the kept record; NaN when not known

    @classmethod
    def empty(cls) -> ClusterDecisions:
        return cls(
            np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.int64), [], np.zeros(0, np.float64)
        )


def cluster_decisions(
    offsets: np.ndarray,
    members: np.ndarray,
    labels: np.ndarray,
    values: np.ndarray | None,
    ids: Callable[[np.ndarray], list[str]],
    similarity_to_kept: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> list[ClusterDecisions]:
    """Decisions per shard for clustered records.

    ``offsets``: global index of each shard's first record, plus the total; ``members``: global
    indexes (ascending) of the records in clusters of two or more; ``labels``: a cluster label
    per member; ``values``: their keep-policy values (None: keep the first); ``ids(index)``: record
    ids by global index; ``similarity_to_kept(members, kept)``: each member's similarity to its
    cluster's kept record (None: unknown).
    """
    shards = len(offsets) - 1
    if not len(members):
        return [ClusterDecisions.empty() for _ in range(shards)]
    kept = choose_kept(members, labels, values)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    sizes = counts[inverse]
    is_kept = kept == members
    similarity = np.full(len(members), np.nan)
    if similarity_to_kept is not None:
        others = ~is_kept
        similarity[others] = similarity_to_kept(members[others], kept[others])
    kept_ids = ids(kept)
    result = []
    bounds = np.searchsorted(members, offsets)
    for shard in range(shards):
        lo, hi = bounds[shard], bounds[shard + 1]
        result.append(
            ClusterDecisions(
                positions=members[lo:hi] - offsets[shard],
                kept=is_kept[lo:hi],
                cluster_size=sizes[lo:hi],
                kept_id=kept_ids[lo:hi],
                similarity=similarity[lo:hi],
            )
        )
    return result


def duplicate_details(
    batch: list[InstructionRecord], decisions: ClusterDecisions, method: str
) -> list[dict[str, Any] | None]:
    """Annotate the batch's clustered records (``annotations.duplicate``, ``method`` = the stage's
    name); per record, None to keep it or the removal detail of a duplicate (``duplicate_of``, its
    similarity). The stage applies its action to the duplicates."""
    details: list[dict[str, Any] | None] = [None] * len(batch)
    for index, position in enumerate(decisions.positions.tolist()):
        record = batch[position]
        kept_id = decisions.kept_id[index]
        size = int(decisions.cluster_size[index])
        if decisions.kept[index]:
            record.annotations.duplicate = DuplicateInfo(method=method, cluster_id=kept_id, cluster_size=size)
            continue
        value = float(decisions.similarity[index])
        similarity = None if math.isnan(value) else round(value, 6)
        record.annotations.duplicate = DuplicateInfo(
            method=method,
            cluster_id=kept_id,
            cluster_size=size,
            duplicate_of=kept_id,
            similarity=similarity,
        )
        details[position] = {"duplicate_of": kept_id, "similarity": similarity}
    return details
