"""Exact dedup: the same keep policies and cluster output as near-dedup, independent of shards."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_DATA

from curator.formats import get_format
from curator.records import InstructionRecord
from curator.stages import build_stage
from curator.stages.exact_dedup import ExactDedupConfig


def record(user: str, assistant: str, row: int, source: str = "s") -> InstructionRecord:
    return InstructionRecord(
        messages=[{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
        provenance={"source": source, "row": row},
    )


def dedup(records: list[InstructionRecord], batch_size: int, **config):
    stage = build_stage(ExactDedupConfig(**config))
    batches = [records[i : i + batch_size] for i in range(0, len(records), batch_size)]
    decisions = stage.reduce([stage.signatures(b) for b in batches])
    results = [stage.apply(b, d) for b, d in zip(batches, decisions, strict=True)]
    kept = [r for result in results for r in result.kept]
    removed = [r for result in results for r in result.removed]
    return kept, removed


@pytest.mark.parametrize(
    ("keep", "expected_row"),
    [
        ("first", 0),
        ({"source_priority": ["curated", "web"]}, 2),
        ({"source_priority": ["web"]}, 0),
        ({"highest": "annotations.extra.score"}, 3),
        ({"highest": "meta.votes"}, 1),
    ],
)
def test_keep_policy_picks_the_cluster_member(keep, expected_row: int) -> None:
    rows = [record("What is 2+2?", "4", row=i, source="curated" if i >= 2 else "web") for i in range(4)]
    rows[3].annotations.extra["score"] = 0.9
    rows[2].annotations.extra["score"] = 0.5
    rows[1].meta["votes"] = 12
    rows[0].meta["votes"] = True  # a boolean is not a number
    kept, removed = dedup(rows, batch_size=3, keep=keep)
    assert [r.provenance.row for r in kept] == [expected_row]
    kept_id = kept[0].id
    assert all(r.detail == {"duplicate_of": kept_id, "similarity": 1.0} for r in removed)
    info = kept[0].annotations.duplicate
    assert (info.cluster_id, info.cluster_size, info.duplicate_of) == (kept_id, 4, None)


def test_longest_response_needs_equal_normalised_text_so_it_ties_to_the_first() -> None:
    # Exact duplicates have the same normalised text; only case and spacing can differ.
    rows = [record("Hi", "Hello there", 0), record("hi", "Hello  there ", 1)]
    kept, _ = dedup(rows, batch_size=1, keep="longest_response")
    assert [r.provenance.row for r in kept] == [1]  # one more character of whitespace
    rows = [record("Hi", "Hello there", 0), record("hi", "hello there", 1)]
    kept, _ = dedup(rows, batch_size=1, keep="longest_response")
    assert [r.provenance.row for r in kept] == [0]  # a tie: input order


def test_real_alpaca_overlap_is_the_same_for_any_batch_size() -> None:
    alpaca = get_format("alpaca")
    records = []
    for name in ("alpaca_52k_slice.json", "alpaca_5000_slice.json"):
        rows = json.loads((SAMPLE_DATA / name).read_text())
        records += [alpaca.to_record(row, {"source": name, "row": i}) for i, row in enumerate(rows)]

    def outcome(batch_size: int, **config):
        fresh = [r.model_copy(deep=True) for r in records]
        kept, removed = dedup(fresh, batch_size, **config)
        return [r.id for r in kept], [(r.record.id, r.detail["duplicate_of"]) for r in removed]

    first = outcome(7)
    assert first == outcome(5000)
    assert len(first[1]) == 40  # the rows both Alpaca releases hold
    preferred = outcome(11, keep={"source_priority": ["alpaca_5000_slice.json"]})
    kept_sources = {r.id: r.provenance.source for r in records}
    assert {kept_sources[kept] for _, kept in preferred[1]} == {"alpaca_5000_slice.json"}
