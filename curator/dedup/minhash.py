"""MinHash signatures of a batch, vectorised, bit-for-bit equal to datasketch's; LSH band keys.

Signatures follow datasketch's default ``affine32`` scheme (datasketch >= 2.0): each 32-bit
shingle hash ``h`` is pre-mixed once with the 32-bit MurmurHash3 finaliser, then permutation
``k`` maps it to ``a_k * h + b_k mod 2^32``, with ``(a, b)`` drawn exactly as
``datasketch.MinHash(num_perm, seed)`` draws them. So row ``i`` of :func:`signatures` equals
``MinHash(num_perm, seed, hashfunc=int)`` updated with text ``i``'s shingle hashes (a test checks
this), and a row can be handed to datasketch as a ``LeanMinHash`` (:func:`to_lean_minhash`).

The difference is speed: one numpy pass per permutation over all shingles of the batch, then a
segmented minimum (``np.minimum.reduceat``) per text, instead of one ``update()`` per shingle.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from curator.dedup.shingles import Shingles, fmix64, splitmix

EMPTY = np.uint32(0xFFFFFFFF)  # the value of every permutation of a text without shingles
_U32 = np.uint32


@cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutation parameters ``(a, b)``, each ``(num_perm,)`` uint32.

    Drawn exactly as ``datasketch.MinHash(num_perm, seed).permutations`` draws them (odd ``a``,
    any ``b``, from ``np.random.RandomState(seed)``); a test checks they are equal. Done here so
    that worker processes need not import datasketch (and scipy, ~0.5 s) to sign a shard.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (datasketch's pre-mix of every input hash)."""
    h = h ^ (h >> _U32(16))
    h *= _U32(0x85EBCA6B)
    h ^= h >> _U32(13)
    h *= _U32(0xC2B2AE35)
    h ^= h >> _U32(16)
    return h


def signatures(shingles: Shingles, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """``(n, num_perm)`` uint32 MinHash signatures; a text without shingles gets all ``EMPTY``."""
    a, b = permutations(num_perm, seed)
    counts = shingles.counts
    out = np.full((len(counts), num_perm), EMPTY, dtype=np.uint32)
    present = np.flatnonzero(counts > 0)
    if not len(present):
        return out
    mixed = fmix32(shingles.hashes)
    starts = shingles.offsets[:-1][present]
    column = np.empty(len(mixed), dtype=np.uint32)
    block = np.empty((len(present), num_perm), dtype=np.uint32)
    for k in range(num_perm):
        np.multiply(mixed, a[k], out=column)
        column += b[k]
        block[:, k] = np.minimum.reduceat(column, starts)
    out[present] = block
    return out


def to_lean_minhash(signature: np.ndarray, seed: int = 1):
    """One signature row as a ``datasketch.LeanMinHash`` (to query or build datasketch indexes)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=np.asarray(signature, dtype=np.uint32), scheme="affine32")


@cache
def optimal_bands(
    threshold: float, num_perm: int, false_positive_weight: float, false_negative_weight: float
) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false positive + false negative probability mass.

    datasketch's own choice: ``MinHashLSH(threshold, num_perm, weights).b`` and ``.r``.
    """
    from datasketch import MinHashLSH

    lsh = MinHashLSH(
        threshold=threshold, num_perm=num_perm, weights=(false_positive_weight, false_negative_weight)
    )
    return int(lsh.b), int(lsh.r)


def collision_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two texts of Jaccard ``similarity`` share at least one band."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def recall_bands(threshold: float, num_perm: int, miss: float) -> tuple[int, int]:
    """(bands, rows) for verified candidates: the fewest bands (most rows) that still miss a pair
    of Jaccard exactly ``threshold`` with probability at most ``miss``; bands = num_perm // rows.

    Why not datasketch's optimiser: it minimises the *integral* of misses over [threshold, 1], so
    pairs just above the threshold (where near-duplicates in the wild sit, and where a band of
    many rows loses them: 16×8 misses 5 % of pairs at 0.8) are traded for fewer candidates. With
    every candidate verified, an extra candidate costs one exact check, a miss a duplicate left
    in the data. Fewest bands among those that qualify: candidates (and bucket sorts) grow with
    the number of bands and the shorter rows. If none qualifies, the one missing least.
    """
    options = [(num_perm // rows, rows) for rows in range(num_perm, 0, -1) if num_perm // rows >= 1]
    for bands, rows in options:  # most rows (fewest candidates) first
        if 1.0 - collision_probability(threshold, bands, rows) <= miss:
            return bands, rows
    return max(options, key=lambda option: collision_probability(threshold, *option))


@cache
def _row_multipliers(rows: int) -> np.ndarray:
    return splitmix(rows, 3)


def band_keys(signatures: np.ndarray, bands: int, rows: int, wide: bool = True) -> np.ndarray:
    """``(n, bands)`` bucket keys: band ``j`` hashes signature columns ``j*rows .. (j+1)*rows - 1``.

    ``wide``: 64-bit keys (two different bands collide with probability 2^-64); otherwise the top
    32 bits (about n²/2^33 chance collisions per band, fine when candidates are verified).
    """
    n = len(signatures)
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"bands × rows = {bands * rows} exceeds num_perm = {signatures.shape[1]}")
    keys = np.empty((n, bands), dtype=np.uint64 if wide else np.uint32)
    multipliers = _row_multipliers(rows)
    accumulator = np.empty(n, dtype=np.uint64)
    for band in range(bands):
        accumulator[:] = 0
        for row in range(rows):
            column = band * rows + row
            accumulator += signatures[:, column].astype(np.uint64) * multipliers[row]
        mixed = fmix64(accumulator ^ np.uint64(rows))
        keys[:, band] = mixed if wide else (mixed >> np.uint64(32)).astype(np.uint32)
    return keys


def whole_keys(keys: np.ndarray, wide: bool) -> np.ndarray:
    """One hash of all of each record's band keys (64-bit, or its top 32 bits): equal for exact copies."""
    whole = np.zeros(len(keys), dtype=np.uint64)
    for band in range(keys.shape[1]):
        whole = fmix64(whole ^ keys[:, band].astype(np.uint64))
    return whole if wide else (whole >> np.uint64(32)).astype(np.uint32)
