"""Exact deduplication: records whose normalised text hashes equal are one cluster; keep one.

Map: a 128-bit BLAKE2b digest of the normalised text per record, the record's id and, for keep
policies other than ``first``, its keep value (:mod:`curator.dedup.keep`).
Reduce: sorting all digests groups each cluster; the keep policy picks one record per cluster
(ties: input order).
Map: the other members are removed as ``exact_duplicate`` with ``duplicate_of`` naming the kept
record and ``similarity`` 1.0; every member of a cluster larger than one carries the cluster's
id (the kept record's id) and size in ``annotations.duplicate``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from curator.dedup.decisions import ClusterDecisions, cluster_decisions, duplicate_details
from curator.dedup.ids import ids_at_parts, pack_ids, take_parts
from curator.dedup.keep import KeepPolicy, keep_values
from curator.dedup.partitioned import ExactPartitioned, PartitionedReduce
from curator.records import InstructionRecord
from curator.stages.base import GlobalStage, Reason, StageConfig, StageResult
from curator.stages.text import Normalization, TextField, normalize, select_text

_DIGEST_BYTES = 16
REASON = "exact_duplicate"


class ExactDedupConfig(StageConfig):
    """Remove records whose normalised text is identical to a kept record's."""

    type: Literal["exact_dedup"] = "exact_dedup"
    text: TextField = Field(default="conversation", description="Which turns are compared.")
    normalization: Normalization = Field(default_factory=Normalization)
    keep: KeepPolicy = Field(
        default="first",
        description="Which record of a cluster is kept: first, longest_response, "
        "{source_priority: [...]} or {highest: <annotation path>}.",
    )


@dataclass(slots=True)
class ExactSignatures:
    digests: np.ndarray  # (n, 2) uint64: the 128-bit digest
    ids: np.ndarray  # packed record ids (curator.dedup.ids)
    values: np.ndarray | None  # (n,) float64 keep-policy values; None for keep: first


class ExactDedup(GlobalStage[ExactDedupConfig]):
    config_model = ExactDedupConfig

    def signatures(self, batch: list[InstructionRecord]) -> ExactSignatures:
        options = self.config.normalization
        field = self.config.text
        digests = b"".join(
            hashlib.blake2b(
                normalize(select_text(r, field), options).encode("utf-8", "surrogatepass"),
                digest_size=_DIGEST_BYTES,
            ).digest()
            for r in batch
        )
        return ExactSignatures(
            digests=np.frombuffer(digests, dtype="<u8").reshape(len(batch), 2).copy(),
            ids=pack_ids([r.id for r in batch]),
            values=keep_values(batch, self.config.keep),
        )

    def reduce(self, signatures: Sequence[ExactSignatures]) -> list[ClusterDecisions]:
        offsets = np.zeros(len(signatures) + 1, dtype=np.int64)
        np.cumsum([len(s.digests) for s in signatures], out=offsets[1:])
        if not offsets[-1]:
            return [ClusterDecisions.empty() for _ in signatures]
        digests = np.concatenate([s.digests for s in signatures])
        # Sort by digest (ties in input order); runs of equal digests are the clusters.
        order = np.lexsort((np.arange(len(digests)), digests[:, 1], digests[:, 0]))
        ordered = digests[order]
        del digests
        same = np.zeros(len(order), dtype=bool)
        same[1:] = (ordered[1:] == ordered[:-1]).all(axis=1)
        del ordered
        in_cluster = same.copy()
        in_cluster[:-1] |= same[1:]
        label_sorted = order[np.maximum.accumulate(np.where(same, 0, np.arange(len(order))))]
        members = order[in_cluster]
        labels = label_sorted[in_cluster]
        sort = np.argsort(members)
        members, labels = members[sort], labels[sort]
        values = None
        if signatures[0].values is not None:
            values = take_parts([s.values for s in signatures], offsets, members)
        return cluster_decisions(
            offsets,
            members,
            labels,
            values,
            ids=lambda index: ids_at_parts([s.ids for s in signatures], offsets, index),
            similarity_to_kept=lambda a, _b: np.ones(len(a)),
        )

    def partitioned_reduce(self) -> PartitionedReduce:
        return ExactPartitioned()

    def apply(self, batch: list[InstructionRecord], decisions: ClusterDecisions) -> StageResult:
        details = duplicate_details(batch, decisions, self.name)
        return self.settle(batch, [None if d is None else Reason(REASON, d) for d in details])
