"""Sampled estimates (issue 19): the sampler is uniform, seeded and order-free; the intervals
are right; and on a corpus with planted rates the 95 % intervals cover the truth ≥ 95 % of the time."""

from __future__ import annotations

import json
import random

import pytest
from conftest import SAMPLE_DATA

from curator.errors import CuratorError
from curator.estimates import Sampler, SampleSpec, clopper_pearson, estimate, sample, wilson


def test_interval_formulas_match_known_values() -> None:
    from scipy.stats import binomtest

    for count, n in [(0, 10), (3, 10), (10, 10), (7, 250), (120, 400)]:
        exact = binomtest(count, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(count, n) == pytest.approx((exact.low, exact.high), abs=1e-9)
        score = binomtest(count, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson(count, n) == pytest.approx((score.low, score.high), abs=1e-9)
    assert estimate(0, 0).rate is None
    with pytest.raises(ValueError):
        estimate(5, 4)


def test_sample_spec_parsing() -> None:
    assert SampleSpec.parse("2000", 3) == SampleSpec(size=2000, seed=3)
    assert SampleSpec.parse("0.05").fraction == 0.05
    assert SampleSpec.parse("5%").fraction == pytest.approx(0.05)
    for bad in ("lots", "0", "1.5", "-3"):
        with pytest.raises((CuratorError, ValueError)):
            SampleSpec.parse(bad)


def test_sized_sample_is_exact_seeded_and_independent_of_order() -> None:
    ids = [f"doc-{i}" for i in range(5000)]
    spec = SampleSpec(size=300, seed=11)
    first, seen = sample(((i, i) for i in ids), spec)
    shuffled = ids[:]
    random.Random(0).shuffle(shuffled)
    again, _ = sample(((i, i) for i in shuffled), spec)
    assert seen == 5000 and len(first) == 300 and first == again
    other, _ = sample(((i, i) for i in ids), SampleSpec(size=300, seed=12))
    assert len(set(first) & set(other)) < 60  # another seed, another sample (expected overlap 18)
    assert sorted(sample(((i, i) for i in ids[:100]), spec)[0]) == sorted(ids[:100])  # fewer than N: all


def test_fraction_sample_streams() -> None:
    sampler = Sampler(SampleSpec(fraction=0.1, seed=5))
    taken = sum(sampler.take(f"doc-{i}") for i in range(20000))
    assert 1800 < taken < 2200  # Binomial(20000, 0.1): 10 standard deviations either side
    with pytest.raises(ValueError):
        Sampler(SampleSpec(size=3)).take("x")


def _planted_corpus(n: int = 4000, seed: int = 19) -> tuple[list[str], list[str], dict[str, set[int]]]:
    """Documents of real words with PII and an eval item planted at known rates."""
    words = [
        w
        for line in (SAMPLE_DATA / "cc_main_2019_slice.jsonl").read_text(encoding="utf-8").splitlines()
        for w in json.loads(line)["text"].split()
        if w.isalpha() and w.islower()
    ]
    rng = random.Random(seed)
    rates = {"EMAIL_ADDRESS": 0.02, "PHONE_NUMBER": 0.08, "IP_ADDRESS": 0.25, "eval": 0.05}
    planted = {kind: set(rng.sample(range(n), round(rate * n))) for kind, rate in rates.items()}
    texts = []
    for index in range(n):
        parts = [" ".join(rng.choices(words, k=60))]
        if index in planted["EMAIL_ADDRESS"]:
            parts.append(f"Write to person{index}@example.org today.")
        if index in planted["IP_ADDRESS"]:
            parts.append(f"The server was 198.51.100.{index % 250 + 1} then.")
        if index in planted["PHONE_NUMBER"]:
            parts.append(f"Call (212) 555-{index % 10000:04d} after noon.")
        if index in planted["eval"]:
            parts.append("which planet in the solar system has the longest day measured in earth hours")
        texts.append(" ".join(parts))
    return [f"doc-{i}" for i in range(n)], texts, planted


@pytest.mark.slow
def test_intervals_cover_planted_rates() -> None:
    from curator.pii.scan import scan
    from curator.stages.decontaminate import ContaminationIndex

    ids, texts, planted = _planted_corpus()
    # The detectors find exactly what was planted, so the planted rates are the true rates.
    found = {kind: set() for kind in planted}
    for index, text in enumerate(texts):
        for _, _, kind in scan(text):
            if kind in found:
                found[kind].add(index)
    index = ContaminationIndex(
        ["which planet in the solar system has the longest day measured in earth hours"], 13
    )
    found["eval"] = set(index.match(texts))
    assert found == planted

    repetitions, size = 1000, 200
    covered = {kind: 0 for kind in planted}
    for seed in range(repetitions):
        chosen, _ = sample(zip(ids, range(len(ids)), strict=True), SampleSpec(size=size, seed=seed))
        for kind, members in planted.items():
            est = estimate(sum(i in members for i in chosen), size)
            truth = len(members) / len(ids)
            covered[kind] += est.low <= truth <= est.high
    coverage = {kind: hits / repetitions for kind, hits in covered.items()}
    assert all(value >= 0.95 for value in coverage.values()), coverage
