"""Exact deduplication: records whose normalised text hashes equal are one cluster; keep the first.

Map: a 128-bit BLAKE2b digest of the normalised text per record, plus the record's id.
Reduce: ``np.unique`` over all digests finds each cluster's first member (input order).
Map: records that are not their cluster's first member are removed as ``exact_duplicate``
with ``duplicate_of`` naming the kept record; kept members of clusters larger than one carry
the cluster's id and size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from curator.records import DuplicateInfo, InstructionRecord
from curator.stages.base import GlobalStage, StageConfig, StageResult
from curator.stages.text import Normalization, TextField, normalize, select_text

_DIGEST_BYTES = 16
_ID_DTYPE = "S24"  # record ids are 24 hex characters


class ExactDedupConfig(StageConfig):
    """Remove records whose normalised text is identical to an earlier record's."""

    type: Literal["exact_dedup"] = "exact_dedup"
    text: TextField = Field(default="conversation", description="Which turns are compared.")
    normalization: Normalization = Field(default_factory=Normalization)
    keep: Literal["first"] = Field(default="first", description="Which member of a cluster is kept.")


@dataclass(slots=True)
class ExactSignatures:
    digests: np.ndarray  # (n,) S16
    ids: np.ndarray  # (n,) S24


@dataclass(slots=True)
class ExactDecisions:
    offset: int  # global index of the batch's first record
    representative: np.ndarray  # (n,) global index of the kept record of each record's cluster
    cluster_size: np.ndarray  # (n,)
    representative_id: np.ndarray  # (n,) S24


class ExactDedup(GlobalStage[ExactDedupConfig]):
    config_model = ExactDedupConfig

    def signatures(self, batch: list[InstructionRecord]) -> ExactSignatures:
        options = self.config.normalization
        field = self.config.text
        digests = [
            hashlib.blake2b(
                normalize(select_text(r, field), options).encode("utf-8", "surrogatepass"),
                digest_size=_DIGEST_BYTES,
            ).digest()
            for r in batch
        ]
        return ExactSignatures(
            digests=np.array(digests, dtype=f"S{_DIGEST_BYTES}"),
            ids=np.array([r.id for r in batch], dtype=_ID_DTYPE),
        )

    def reduce(self, signatures: Sequence[ExactSignatures]) -> list[ExactDecisions]:
        digests = np.concatenate([s.digests for s in signatures]) if signatures else np.array([], "S16")
        ids = np.concatenate([s.ids for s in signatures]) if signatures else np.array([], _ID_DTYPE)
        # np.unique's return_index is the first occurrence, which is the keep-first policy.
        _, first, inverse, counts = np.unique(
            digests, return_index=True, return_inverse=True, return_counts=True
        )
        representative = first[inverse]
        sizes = counts[inverse]
        decisions, offset = [], 0
        for s in signatures:
            end = offset + len(s.ids)
            rep = representative[offset:end]
            decisions.append(ExactDecisions(offset, rep, sizes[offset:end], ids[rep]))
            offset = end
        return decisions

    def apply(self, batch: list[InstructionRecord], decisions: ExactDecisions) -> StageResult:
        result = StageResult()
        for position, record in enumerate(batch):
            size = int(decisions.cluster_size[position])
            if size == 1:
                result.kept.append(record)
                continue
            kept_id = decisions.representative_id[position].decode()
            is_kept = int(decisions.representative[position]) == decisions.offset + position
            record.annotations.duplicate = DuplicateInfo(
                method=self.name,
                cluster_id=kept_id,
                cluster_size=size,
                duplicate_of=None if is_kept else kept_id,
                similarity=None if is_kept else 1.0,
            )
            if is_kept:
                result.kept.append(record)
            else:
                self.route(result, record, "exact_duplicate", {"duplicate_of": kept_id})
        return result
