"""Small streaming statistics the report sections share: exact distributions in bounded memory,
readable bins, and a deterministic choice of examples."""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Bins for lengths (words, characters): wide enough to read at a glance on a log-like scale.
LENGTH_EDGES: tuple[int, ...] = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)


def compact(value: int) -> str:
    """1234 → '1.2k', 2000000 → '2M' (for bin labels)."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return str(value)


class Distribution:
    """Exact counts of integer values (lengths have few distinct values, so memory stays small)."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        self.n = 0
        self.total = 0

    def add(self, value: int) -> None:
        self.counts[value] += 1
        self.n += 1
        self.total += value

    def quantile(self, q: float) -> int | None:
        """The smallest value with at least ``q`` of the observations at or below it."""
        if not self.n:
            return None
        target = max(1, int(-(-q * self.n // 1)))  # ceil(q * n), at least the first observation
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            if seen >= target:
                return value
        return max(self.counts)

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def max(self) -> int | None:
        return max(self.counts) if self.counts else None

    def binned(self, edges: tuple[int, ...] = LENGTH_EDGES) -> tuple[list[str], list[float]]:
        """(labels, counts) over ``edges``; empty bins past the largest value are dropped."""
        if not self.n:
            return [], []
        top = self.max or 0
        labels: list[str] = []
        values: list[float] = []
        for i, low in enumerate(edges):
            high = edges[i + 1] if i + 1 < len(edges) else None
            if low > top:
                break
            if high is None:
                label = f"{compact(low)}+"
            elif high - low == 1:
                label = compact(low)
            elif high > 1000:
                label = f"{compact(low)}–{compact(high)}"
            else:
                label = f"{compact(low)}–{compact(high - 1)}"
            labels.append(label)
            values.append(
                float(sum(n for v, n in self.counts.items() if v >= low and (high is None or v < high)))
            )
        return labels, values

    def summary(self, prefix: str) -> dict[str, int | float | None]:
        mean = self.mean
        return {
            f"{prefix}_median": self.quantile(0.5),
            f"{prefix}_p90": self.quantile(0.9),
            f"{prefix}_p99": self.quantile(0.99),
            f"{prefix}_max": self.max,
            f"{prefix}_mean": round(mean, 1) if mean is not None else None,
        }


class Sample(Generic[T]):
    """Keeps the ``k`` items with the smallest hash of their key: a deterministic, unbiased sample
    that does not depend on the order records arrive in (shards, workers)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self._heap: list[tuple[int, str, Any]] = []  # max-heap by negated rank

    def offer(self, key: str, item: T) -> None:
        rank = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
        entry = (-rank, key, item)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, entry)
        elif rank < -self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def would_keep(self, key: str) -> bool:
        """Cheap pre-check, so callers build an expensive item only when it is kept."""
        if len(self._heap) < self.k:
            return True
        rank = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
        return rank < -self._heap[0][0]

    def items(self) -> list[T]:
        return [item for _, _, item in sorted(self._heap, key=lambda e: (-e[0], e[1]))]


def share(part: int, whole: int) -> float:
    """part/whole as a percentage: 2 decimals, or 2 significant digits below 0.1 (0.0019, not 0)."""
    if not whole:
        return 0.0
    value = 100.0 * part / whole
    return round(value, 2) if value >= 0.1 else float(f"{value:.2g}")
