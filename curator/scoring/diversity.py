"""Diversity-aware selection (Deita's "score-first, diversity-aware" selection).

Candidates are taken best-first; one whose embedding has cosine similarity above
``max_similarity`` to any record already chosen is skipped. Comparisons run a block of candidates
at a time against the chosen set (one matrix product), then inside the block in order, so the
result is exactly the sequential greedy one.
"""

from __future__ import annotations

import numpy as np

BLOCK = 256


def greedy_diverse(vectors: np.ndarray, order: np.ndarray, limit: int, max_similarity: float) -> np.ndarray:
    """Indexes (in pick order) of up to ``limit`` rows taken along ``order`` with no two closer
    than ``max_similarity`` (cosine, unit rows)."""
    chosen: list[int] = []
    bank = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(order), BLOCK):
        if len(chosen) >= limit:
            break
        block = order[start : start + BLOCK]
        block_vectors = vectors[block].astype(np.float32)
        near_bank = (block_vectors @ bank.T).max(axis=1) > max_similarity if len(bank) else None
        inner = block_vectors @ block_vectors.T
        taken: list[int] = []
        for j in range(len(block)):
            if len(chosen) + len(taken) >= limit:
                break
            if near_bank is not None and near_bank[j]:
                continue
            if taken and inner[j, taken].max() > max_similarity:
                continue
            taken.append(j)
        chosen.extend(int(block[j]) for j in taken)
        bank = np.concatenate([bank, block_vectors[taken]])
    return np.asarray(chosen, dtype=np.int64)
