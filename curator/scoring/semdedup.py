"""SemDeDup: semantic near-duplicates by embedding similarity inside k-means clusters.

1. spherical k-means (cosine) on the L2-normalised embeddings, seeded k-means++ start, a fixed
   number of Lloyd rounds at most — so the same embeddings always give the same clusters;
2. inside each cluster, every pair with cosine similarity ≥ ``threshold`` is an edge (computed a
   block of rows at a time, so memory stays ``block × cluster size``);
3. the caller turns edges into connected components and keeps one record per component.

Pairs that fall into different k-means clusters are not compared (as in SemDeDup); more
clusters make it faster and miss a few more pairs near cluster borders.
"""

from __future__ import annotations

import math

import numpy as np

BLOCK = 2048


def auto_clusters(n: int, per_cluster: int = 500) -> int:
    return max(1, math.ceil(n / per_cluster))


def kmeans(vectors: np.ndarray, k: int, seed: int, iterations: int = 20, sample: int = 50_000) -> np.ndarray:
    """Cluster label per row of ``vectors`` (float32, unit rows) by spherical k-means.

    Centroids are fitted on at most ``sample`` rows (a seeded sample), then every row is assigned
    to its most similar centroid; ties go to the lower centroid index.
    """
    n = len(vectors)
    k = max(1, min(k, n))
    if k == 1 or n == 0:
        return np.zeros(n, dtype=np.int32)
    rng = np.random.default_rng(seed)
    fit = vectors if n <= sample else vectors[np.sort(rng.choice(n, sample, replace=False))]
    centroids = _kmeans_pp(fit, k, rng)
    labels = np.full(len(fit), -1, dtype=np.int32)
    for _ in range(iterations):
        new = _assign(fit, centroids)
        if np.array_equal(new, labels):
            break
        labels = new
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, fit)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        centroids = np.where(empty[:, None], centroids, sums / np.maximum(norms, 1e-12))
    return _assign(vectors, centroids) if fit is not vectors else labels


def _kmeans_pp(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding on cosine distance (1 − similarity), seeded."""
    chosen = [int(rng.integers(len(points)))]
    distance = np.maximum(1.0 - points @ points[chosen[0]], 0.0).astype(np.float64)
    for _ in range(1, k):
        total = distance.sum()
        if total <= 0:  # every point coincides with a chosen one: fill up with unused points
            unused = np.setdiff1d(np.arange(len(points)), chosen)[: k - len(chosen)]
            chosen.extend(int(i) for i in unused)
            break
        pick = int(np.searchsorted(np.cumsum(distance), rng.random() * total, side="right"))
        pick = min(pick, len(points) - 1)
        chosen.append(pick)
        distance = np.minimum(distance, np.maximum(1.0 - points @ points[pick], 0.0))
    return points[chosen].astype(np.float32, copy=True)


def _assign(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    labels = np.empty(len(points), dtype=np.int32)
    for start in range(0, len(points), BLOCK * 8):
        labels[start : start + BLOCK * 8] = np.argmax(points[start : start + BLOCK * 8] @ centroids.T, axis=1)
    return labels


def similar_pairs(
    vectors: np.ndarray, labels: np.ndarray, threshold: float, live: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, similarity) for every pair a < b in one cluster with cosine ≥ threshold; sorted by (a, b).

    ``live`` (bool per row) leaves rows out, e.g. records without text.
    """
    index = np.arange(len(vectors)) if live is None else np.flatnonzero(live)
    order = index[np.argsort(labels[index], kind="stable")]
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    found_a, found_b, found_s = [], [], []
    for members in np.split(order, bounds):
        if len(members) < 2:
            continue
        block_vectors = vectors[members].astype(np.float32)
        for start in range(0, len(members), BLOCK):
            sims = block_vectors[start : start + BLOCK] @ block_vectors.T
            rows, cols = np.nonzero(sims >= threshold)
            rows_global = rows + start
            upper = cols > rows_global
            rows_global, cols = rows_global[upper], cols[upper]
            found_a.append(members[rows_global])
            found_b.append(members[cols])
            found_s.append(sims[rows[upper], cols])
    if not found_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    a, b, s = np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_s)
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    order = np.lexsort((hi, lo))
    return lo[order], hi[order], s[order]


def cosine(vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of rows a[i] and b[i] of unit ``vectors``."""
    if not len(a):
        return np.zeros(0)
    return np.einsum("ij,ij->i", vectors[a].astype(np.float32), vectors[b].astype(np.float32)).astype(
        np.float64
    )
