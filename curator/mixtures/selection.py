"""Score-based selection: which kept records a mixture may draw from (``select:``).

Candidates are the records the mixture admits (sources, exclude_flags) that carry the score.
They are ranked best-first (``order``; ties by position in the run's output, so the result is
byte-reproducible), filtered by ``min``/``max``, and cut to ``top_count`` or ``top_fraction`` of
the candidates — over all of them, per source or per group. With ``diversity``, the cut walks the
ranking and skips a record whose embedding is closer than ``max_similarity`` to one already taken
(:func:`curator.scoring.diversity.greedy_diverse`), as Deita does. Weights and size then sample
from the selected records like from any pool.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from curator.mixtures.config import MixtureConfig, SelectConfig
from curator.mixtures.pool import PoolScan, iter_pool


def choose(
    mixture: MixtureConfig, scan: PoolScan, pool_paths: Sequence[Path], base_dir: Path
) -> tuple[np.ndarray, dict[str, Any]]:
    """(bool mask of selected pool records, the selection's summary for mixture.json and the card)."""
    rule = mixture.select
    assert rule is not None
    scores = scan.scores[rule.score]
    codes = scan.group_code[mixture.name]
    eligible = codes >= 0
    has_score = eligible & ~np.isnan(scores)
    passing = has_score.copy()
    if rule.min is not None:
        passing &= scores >= rule.min
    if rule.max is not None:
        passing &= scores <= rule.max
    selected = np.zeros(scan.count, dtype=bool)
    vectors = _embeddings(rule, pool_paths, np.flatnonzero(passing), base_dir) if rule.diversity else None
    skipped = 0
    for part in _partitions(rule, scan, codes):
        members = np.flatnonzero(passing & part)
        key = -scores[members] if rule.order == "highest" else scores[members]
        ranked = members[np.lexsort((members, key))]
        limit = _limit(rule, int((eligible & part).sum()), len(ranked))
        if vectors is None:
            selected[ranked[:limit]] = True
            continue
        from curator.scoring.diversity import greedy_diverse

        indices, embeddings = vectors
        rows = np.searchsorted(indices, ranked)
        picked = greedy_diverse(embeddings, rows, limit, rule.diversity.max_similarity)  # type: ignore[union-attr]
        selected[indices[picked]] = True
        # Skipped: candidates walked past before the last pick (all of them when the limit was not reached).
        walked = len(ranked)
        if len(picked) == limit and len(picked):
            position = {row: i for i, row in enumerate(rows.tolist())}
            walked = max(position[row] for row in picked.tolist()) + 1
        skipped += walked - len(picked)
    chosen = scores[selected]
    summary: dict[str, Any] = {
        **rule.model_dump(mode="json", exclude_none=True),
        "candidates": int(eligible.sum()),
        "with_score": int(has_score.sum()),
        "within_thresholds": int(passing.sum()),
        "selected": int(selected.sum()),
        "selected_score_range": [round(float(chosen.min()), 6), round(float(chosen.max()), 6)]
        if len(chosen)
        else None,
    }
    if rule.diversity is not None:
        summary["skipped_as_too_similar"] = skipped
    return selected, summary


def _limit(rule: SelectConfig, candidates: int, available: int) -> int:
    if rule.top_count is not None:
        return min(rule.top_count, available)
    if rule.top_fraction is not None:
        return min(math.floor(rule.top_fraction * candidates + 0.5), available)
    return available


def _partitions(rule: SelectConfig, scan: PoolScan, codes: np.ndarray) -> list[np.ndarray]:
    if rule.per == "all":
        return [np.ones(scan.count, dtype=bool)]
    column = scan.source_code if rule.per == "source" else codes
    return [column == value for value in np.unique(column[codes >= 0])]


def _embeddings(
    rule: SelectConfig, pool_paths: Sequence[Path], indices: np.ndarray, base_dir: Path
) -> tuple[np.ndarray, np.ndarray]:
    """(pool indices ascending, their unit embeddings) for the records that passed the thresholds."""
    from curator.scoring.embed import SentenceEmbedder

    diversity = rule.diversity
    assert diversity is not None
    wanted = np.zeros(max(int(indices.max()) + 1 if len(indices) else 0, 1), dtype=bool)
    wanted[indices] = True
    texts = [
        _text(record, diversity.text)
        for index, record in enumerate(iter_pool(pool_paths))
        if index < len(wanted) and wanted[index]
    ]
    embedder = SentenceEmbedder(
        diversity.model, base_dir=base_dir, max_tokens=diversity.max_tokens, threads=1
    )
    return indices, embedder.embed(texts)


def _text(record: dict[str, Any], which: str) -> str:
    roles = {"user": ("user",), "assistant": ("assistant",), "conversation": None}[which]
    return "\n".join(
        m["content"] if roles else f"{m['role']}: {m['content']}"
        for m in record["messages"]
        if roles is None or m["role"] in roles
    )
