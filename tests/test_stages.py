"""The first two stages: exact dedup clusters and keeps the first; the length filter's reasons."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_DATA

from curator.records import InstructionRecord
from curator.stages import build_stage
from curator.stages.exact_dedup import ExactDedupConfig
from curator.stages.length import LengthFilterConfig


def record(user: str, assistant: str, row: int = 0, source: str = "s") -> InstructionRecord:
    return InstructionRecord(
        messages=[{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
        provenance={"source": source, "row": row},
    )


def dedup(batches: list[list[InstructionRecord]], **config):
    stage = build_stage(ExactDedupConfig(**config))
    decisions = stage.reduce([stage.signatures(b) for b in batches])
    return [stage.apply(b, d) for b, d in zip(batches, decisions, strict=True)]


def test_exact_dedup_keeps_first_across_batches_and_names_what_it_duplicates() -> None:
    a = record("What is 2+2?", "4", row=0)
    b = record("Name a colour.", "Blue.", row=1)
    a_again = record("what   is 2+2?", "4", row=2)  # case and whitespace differ: same after normalisation
    a_third = record("What is 2+2?", "4", row=3, source="other")
    first, second = dedup([[a, b], [a_again, a_third]])
    assert [r.id for r in first.kept] == [a.id, b.id]
    assert a.annotations.duplicate.cluster_size == 3 and a.annotations.duplicate.cluster_id == a.id
    assert b.annotations.duplicate is None
    assert second.kept == []
    assert [(r.record.id, r.reason, r.detail) for r in second.removed] == [
        (a_again.id, "exact_duplicate", {"duplicate_of": a.id, "similarity": 1.0}),
        (a_third.id, "exact_duplicate", {"duplicate_of": a.id, "similarity": 1.0}),
    ]
    assert a_again.annotations.duplicate.duplicate_of == a.id


def test_exact_dedup_normalisation_is_configurable_and_tag_keeps_everything() -> None:
    a, a_upper = record("Hello", "World"), record("HELLO", "WORLD", row=1)
    (strict,) = dedup([[a, a_upper]], normalization={"lowercase": False})
    assert len(strict.kept) == 2
    (tagged,) = dedup([[record("Hello", "World"), record("HELLO", "WORLD", row=1)]], action="tag")
    assert len(tagged.kept) == 2 and tagged.tagged == 1
    assert tagged.kept[1].annotations.quality_flags == ["exact_dedup:exact_duplicate"]


def test_exact_dedup_user_text_only_matches_same_prompt_with_different_answers() -> None:
    a, b = record("Same prompt", "Answer one"), record("Same prompt", "Answer two", row=1)
    (whole,) = dedup([[a, b]])
    assert len(whole.kept) == 2
    (prompt_only,) = dedup(
        [[record("Same prompt", "Answer one"), record("Same prompt", "Answer two", row=1)]], text="user"
    )
    assert len(prompt_only.kept) == 1


@pytest.mark.parametrize(
    ("user", "assistant", "config", "reason"),
    [
        ("Explain gravity.", "   \n", {}, "empty_output"),
        ("  ", "An answer.", {}, "empty_prompt"),
        ("Explain gravity.", "Mass attracts.", {"min_output_words": 3}, "output_too_short_words"),
        ("Explain gravity.", "Mass attracts mass.", {"max_output_chars": 10}, "output_too_long_chars"),
        ("Hi", "Mass attracts mass.", {"min_prompt_chars": 3}, "prompt_too_short_chars"),
        ("Explain gravity in detail please.", "Mass.", {"max_prompt_words": 3}, "prompt_too_long_words"),
        ("Explain gravity.", "Mass attracts mass.", {"min_output_words": 3, "max_output_words": 3}, None),
    ],
)
def test_length_filter_reasons(user: str, assistant: str, config: dict, reason: str | None) -> None:
    stage = build_stage(LengthFilterConfig(**config))
    result = stage.process([record(user, assistant)])
    assert [r.reason for r in result.removed] == ([reason] if reason else [])


def test_length_filter_finds_alpacas_real_empty_outputs() -> None:
    from curator.formats import get_format

    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text())
    alpaca = get_format("alpaca")
    records = [alpaca.to_record(row, {"source": "alpaca", "row": i}) for i, row in enumerate(rows)]
    result = build_stage(LengthFilterConfig()).process(records)
    empty = [r for r in result.removed if r.reason == "empty_output"]
    assert len(empty) == sum(1 for row in rows if not row["output"].strip()) == 10
