"""Rates estimated on a sample, with 95 % confidence intervals, and how the sample is drawn.

Sampling: every record gets a 64-bit key, BLAKE2b of ``seed`` and its id (ids are stable content
hashes, so the key depends on nothing else). A fraction ``p`` keeps the records whose key is below
``p · 2⁶⁴`` (Bernoulli sampling); a size ``N`` keeps the ``N`` smallest keys (bottom-k: a simple
random sample without replacement, the same for any worker count or input order). Both are uniform:
given its size, every subset of the corpus is equally likely.

Intervals: Clopper–Pearson ("exact") by default. Its coverage is at least 95 % for every true rate
and sample size, which is what an auditor needs to be able to rely on (Wilson's is narrower, and
its coverage dips below 95 % for some rates; it is offered as ``method="wilson"``). Sampling
without replacement only makes the true variance smaller, so the interval stays conservative.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterable, Iterator
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from curator.errors import CuratorError

Method = Literal["clopper-pearson", "wilson"]
T = TypeVar("T")
_TWO64 = 1 << 64


class SampleSpec(BaseModel):
    """``--sample N|FRACTION --seed S``: how many records the expensive detectors see."""

    model_config = ConfigDict(extra="forbid")

    size: int | None = Field(default=None, ge=1, description="Exactly this many records (bottom-k).")
    fraction: float | None = Field(default=None, gt=0, le=1, description="Each record with this probability.")
    seed: int = 0

    @classmethod
    def parse(cls, value: str, seed: int = 0) -> SampleSpec:
        """``"2000"`` → 2,000 records; ``"0.05"`` or ``"5%"`` → 5 % of them."""
        text = value.strip()
        try:
            if text.endswith("%"):
                return cls(fraction=float(text[:-1]) / 100, seed=seed)
            if any(c in text for c in ".eE"):
                return cls(fraction=float(text), seed=seed)
            return cls(size=int(text), seed=seed)
        except ValueError:
            raise CuratorError(
                f"--sample expects a number of records (2000) or a fraction (0.05 or 5%), got {value!r}"
            ) from None

    def describe(self) -> str:
        what = f"{self.size:,} records" if self.size is not None else f"{self.fraction:.4g} of records"
        return f"a seeded uniform sample of {what} (seed {self.seed})"


def sample_key(seed: int, record_id: str) -> int:
    """The record's 64-bit sampling key for ``seed``."""
    digest = hashlib.blake2b(f"{seed}:{record_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class Sampler:
    """Streams (id, item) pairs and keeps the sample; ``items()`` gives it in key order."""

    def __init__(self, spec: SampleSpec) -> None:
        if (spec.size is None) == (spec.fraction is None):
            raise ValueError("a sample needs exactly one of size and fraction")
        self.spec = spec
        self.seen = 0
        self._limit = None if spec.fraction is None else int(spec.fraction * _TWO64)
        self._heap: list[tuple[int, str, object]] = []  # bottom-k: max-heap by negated key

    def take(self, record_id: str) -> bool:
        """Fraction sampling, streaming: whether this record is in the sample (nothing is kept)."""
        if self._limit is None:
            raise ValueError("take() is for fraction samples; a sized sample needs offer()")
        self.seen += 1
        return sample_key(self.spec.seed, record_id) < self._limit

    def offer(self, record_id: str, item: object) -> None:
        """Keep ``item`` if it is in the sample so far (a sized sample may drop it later)."""
        if self._limit is not None:
            if self.take(record_id):
                self._heap.append((sample_key(self.spec.seed, record_id), record_id, item))
            return
        self.seen += 1
        key = sample_key(self.spec.seed, record_id)
        entry = (-key, record_id, item)
        if len(self._heap) < (self.spec.size or 0):
            heapq.heappush(self._heap, entry)
        elif -key > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def items(self) -> list[object]:
        if self._limit is not None:
            return [item for _, _, item in sorted(self._heap, key=lambda e: (e[0], e[1]))]
        return [item for _, _, item in sorted(self._heap, key=lambda e: (-e[0], e[1]))]


def sample(pairs: Iterable[tuple[str, T]], spec: SampleSpec) -> tuple[list[T], int]:
    """(the sampled items in key order, how many were offered)."""
    sampler = Sampler(spec)
    for record_id, item in pairs:
        sampler.offer(record_id, item)
    return sampler.items(), sampler.seen  # type: ignore[return-value]


class Estimate(BaseModel):
    """A rate: ``count`` of ``n`` sampled records, with its 95 % interval."""

    model_config = ConfigDict(extra="forbid")

    count: int
    n: int
    rate: float | None
    low: float | None
    high: float | None
    method: Method
    population: int | None = Field(default=None, description="Records the sample was drawn from.")


def clopper_pearson(count: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """The exact binomial interval: beta quantiles at alpha/2 and 1 - alpha/2."""
    from scipy.special import betaincinv

    low = 0.0 if count == 0 else float(betaincinv(count, n - count + 1, alpha / 2))
    high = 1.0 if count == n else float(betaincinv(count + 1, n - count, 1 - alpha / 2))
    return low, high


def wilson(count: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval."""
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def estimate(
    count: int, n: int, *, method: Method = "clopper-pearson", population: int | None = None
) -> Estimate:
    """The rate ``count / n`` with its 95 % interval (None for an empty sample)."""
    if not 0 <= count <= n:
        raise ValueError(f"count {count} must be between 0 and n {n}")
    if n == 0:
        return Estimate(count=0, n=0, rate=None, low=None, high=None, method=method, population=population)
    low, high = clopper_pearson(count, n) if method == "clopper-pearson" else wilson(count, n)
    return Estimate(
        count=count, n=n, rate=count / n, low=low, high=high, method=method, population=population
    )


def iter_ids(records: Iterable[T], key: str = "id") -> Iterator[tuple[str, T]]:
    """(record id, record) pairs for :func:`sample`."""
    for record in records:
        yield getattr(record, key), record
