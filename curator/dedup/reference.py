"""Exact, slow reference: every pair of texts whose shingle sets reach a Jaccard threshold.

Plain Python sets of shingles (word tuples or substrings, not hashes), so it shares no code with
the fast path it checks. Candidate pairs come from prefix filtering (Chaudhuri et al. 2006;
Bayardo et al. 2007), which provably misses no pair at or above the threshold: with shingles
ordered rarest first, two sets with Jaccard ≥ t share one of the first ``|x| - ⌈t·|x|⌉ + 1``
shingles of each. Every candidate is then measured exactly.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence

from curator.dedup.shingles import ShingleKind


def shingle_set(text: str, kind: ShingleKind = "word", n: int = 5) -> set[Hashable]:
    """The shingles of a normalised text, as defined in :mod:`curator.dedup.shingles`."""
    units: Sequence[str] = text.split() if kind == "word" else text
    if not units:
        return set()
    if len(units) < n:
        return {tuple(units)}
    return {tuple(units[i : i + n]) for i in range(len(units) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def similar_pairs(sets: Sequence[set], threshold: float) -> dict[tuple[int, int], float]:
    """{(i, j): Jaccard} for every i < j with Jaccard(sets[i], sets[j]) ≥ threshold (empty sets: none)."""
    frequency: Counter = Counter()
    for shingles in sets:
        frequency.update(shingles)
    postings: dict[Hashable, list[int]] = defaultdict(list)
    for index, shingles in enumerate(sets):
        if not shingles:
            continue
        ordered = sorted(shingles, key=lambda s: (frequency[s], s))
        # One more than the bound, so floating-point rounding can only add candidates.
        prefix = len(ordered) - math.ceil(threshold * len(ordered)) + 2
        for token in ordered[:prefix]:
            postings[token].append(index)
    candidates: set[tuple[int, int]] = set()
    for members in postings.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                candidates.add((members[x], members[y]))
    found = {}
    for i, j in sorted(candidates):
        value = jaccard(sets[i], sets[j])
        if value >= threshold:
            found[(i, j)] = value
    return found


def components(pairs: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Connected components of the pair graph: {node: smallest node of its component}."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: root(x) for x in list(parent)}
