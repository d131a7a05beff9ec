"""The quality stage: every check on real rows that trip it (and real rows that must not), actions
(drop, tag, fix), multi-turn formats, config errors, and its fractions on all of Alpaca."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_DATA, shared_file

from curator.formats import get_format
from curator.recipe import parse_recipe
from curator.records import InstructionRecord
from curator.stages import build_stage
from curator.stages.quality import CHECK_NAMES, REASONS, QualityConfig, QualityFilter

FLAGGED = ROOT / "tests" / "data" / "quality" / "flagged_rows.jsonl"


def load_flagged() -> list[dict]:
    with FLAGGED.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def to_record(item: dict) -> InstructionRecord:
    columns = item.get("columns", {})
    data = {columns.get(key, key): value for key, value in item["data"].items()}
    return get_format(item["format"]).to_record(data, {"source": item["dataset"], "row": item["row"]})


def by_row(dataset: str, row: int) -> InstructionRecord:
    return to_record(next(i for i in load_flagged() if i["dataset"] == dataset and i["row"] == row))


def stage(**config) -> QualityFilter:
    built = build_stage(QualityConfig(**config))
    assert isinstance(built, QualityFilter)
    return built


def record(*turns: str, meta: dict | None = None) -> InstructionRecord:
    roles = ["user", "assistant"] * len(turns)
    return InstructionRecord(
        messages=[{"role": role, "content": text} for role, text in zip(roles, turns, strict=False)],
        provenance={"source": "s", "row": 0},
        meta=meta or {},
    )


@pytest.mark.parametrize("item", load_flagged(), ids=lambda i: f"{i['dataset']}:{i['row']}")
def test_real_rows_trip_exactly_the_expected_checks(item: dict) -> None:
    assert [f.reason for f in stage().findings(to_record(item))] == item["expect"]


def test_every_reason_has_a_real_row_except_length_limits() -> None:
    covered = {reason for item in load_flagged() for reason in item["expect"]}
    expected = {r for reasons in REASONS.values() for r in reasons} - set(REASONS["length"])
    assert expected - covered == {"empty_instruction"}  # no real row has one; see the multi-turn test


@pytest.mark.parametrize(
    ("config", "row", "reason"),
    [
        ({"min_output_words": 2}, 1, None),  # "The three primary colors are red, blue, and yellow."
        ({"min_output_words": 12}, 1, "output_too_short_words"),
        ({"max_output_chars": 40}, 1, "output_too_long_chars"),
        ({"max_output_words": 5}, 1, "output_too_long_words"),
        ({"min_output_chars": 100}, 1, "output_too_short_chars"),
        ({"min_instruction_words": 8}, 1, "instruction_too_short_words"),
        ({"min_instruction_chars": 40}, 1, "instruction_too_short_chars"),
        ({"max_instruction_words": 4}, 1, "instruction_too_long_words"),
        ({"max_instruction_chars": 20}, 1, "instruction_too_long_chars"),
    ],
)
def test_length_limits_on_a_real_row(config: dict, row: int, reason: str | None) -> None:
    found = [f.reason for f in stage(length=config).findings(by_row("alpaca_52k_en", row))]
    assert found == ([reason] if reason else [])


def test_instruction_length_excludes_the_input() -> None:
    # Alpaca 5390: instruction "Name a landmark in the United States" (7 words), input "N/A".
    rec = by_row("alpaca_52k_en", 5390)
    assert [f.reason for f in stage(length={"max_instruction_words": 7}).findings(rec)] == [
        "placeholder_input"
    ]


def test_drop_removes_with_reason_and_detail_and_tag_keeps_every_flag() -> None:
    rec = by_row("alpaca_52k_en", 21863)  # "Sorry, the task requires a visual output which cannot..."
    dropped = stage().process([rec])
    assert dropped.kept == [] and len(dropped.removed) == 1
    removal = dropped.removed[0]
    assert removal.reason == "refusal"
    assert removal.detail["check"] == "refusal" and "Sorry" in removal.detail["match"]

    rec = by_row("alpaca_52k_en", 5390)  # placeholder input "N/A" and, with a limit, too short an output
    tagged = stage(action="tag", placeholder_input={"action": "tag"}, length={"min_output_words": 5}).process(
        [rec]
    )
    assert tagged.removed == [] and tagged.tagged == 1
    assert rec.annotations.quality_flags == ["quality:placeholder_input", "quality:output_too_short_words"]


def test_a_check_action_overrides_the_stage_action() -> None:
    rec = by_row("alpaca_52k_en", 50829)  # output identical to the input: tagged by default
    result = stage().process([rec])
    assert result.kept == [rec] and rec.annotations.quality_flags == ["quality:output_equals_input"]
    rec = by_row("alpaca_52k_en", 50829)
    result = stage(output_equals_input={"action": "drop"}).process([rec])
    assert [r.reason for r in result.removed] == ["output_equals_input"]
    rec = by_row("alpaca_52k_en", 165)  # URL-only input: off
    assert stage(url_only_input={"enabled": False}).process([rec]).kept == [rec]


def test_fix_removes_a_placeholder_input_and_the_alpaca_row_comes_back_without_it() -> None:
    rec = by_row("alpaca_52k_en", 5390)
    result = stage().process([rec])
    assert result.kept == [rec] and rec.annotations.quality_flags == []
    assert rec.messages[0].content == "Name a landmark in the United States"
    assert "input_chars" not in rec.meta
    assert rec.annotations.repairs == ["removed_placeholder_input:messages[0]"]
    assert get_format("alpaca").from_record(rec)["input"] == ""


def test_fix_removes_control_characters_and_turns_vertical_tabs_into_newlines() -> None:
    rec = by_row("alpaca_52k_en", 38224)  # "...Ferengi Marauder\x0b- Borg vessels: ..."
    stage().process([rec])
    assert "\x0b" not in rec.messages[1].content and "Marauder\n- Borg" in rec.messages[1].content
    assert rec.annotations.repairs == ["removed_control_chars:messages[1]"]
    rec = by_row("alpaca_52k_en", 3558)  # a run of stacked combining marks after the answer
    stage().process([rec])
    assert "\u0326" not in rec.messages[1].content and "or exclusion. " in rec.messages[1].content
    rec = by_row("alpaca_52k_en", 29819)  # "\x03 \x01 \x01 \x07 ..." after the answer
    before = rec.messages[1].content
    tagged = stage(control_chars={"action": "tag"}).process([rec])
    assert rec.messages[1].content == before and rec.annotations.quality_flags == ["quality:control_chars"]
    assert tagged.tagged == 1


def test_mojibake_is_fixed_by_ftfy_and_lost_text_is_tagged() -> None:
    # Alpaca 3335's French answer, garbled the way mojibake happens (UTF-8 bytes read as cp1252).
    clean = by_row("alpaca_52k_en", 3335)
    original = clean.messages[1].content
    rec = record(clean.messages[0].content, original.encode("utf-8").decode("cp1252"))
    assert "Ã©" in rec.messages[1].content
    result = stage().process([rec])
    assert result.kept == [rec] and rec.messages[1].content == original
    assert rec.annotations.repairs == ["fixed_mojibake:messages[1]"]
    # Alpaca-zh 17252 has U+FFFD where a bad decode lost the text: nothing to fix, so it is tagged.
    rec = by_row("alpaca_52k_zh", 17252)
    result = stage().process([rec])
    assert result.kept == [rec] and rec.annotations.quality_flags == ["quality:mojibake"]
    assert [
        r.reason for r in stage(mojibake={"action": "drop"}).process([by_row("alpaca_52k_zh", 17252)]).removed
    ] == ["mojibake"]


def test_correct_accented_text_in_chinese_is_not_mojibake() -> None:
    # ftfy's badness heuristic fires on this real row (alpaca_52k_zh 24181); ftfy cannot "fix" it.
    assert stage().findings(record("将“Je suis fatigué”翻译成英语。", "I am tired.")) == []


def test_checks_work_on_multi_turn_conversations_without_an_input_split() -> None:
    rec = record("What is 2+2?", "4", "And this one?\n\nN/A", "I'm sorry, but I cannot see any question.")
    assert [f.reason for f in stage().findings(rec)] == ["placeholder_input", "refusal"]
    result = stage().process([rec])
    assert result.removed[0].reason == "refusal"
    assert rec.messages[2].content == "And this one?"  # the placeholder paragraph was removed first
    rec = record("Summarize this article:\n\nhttps://example.org/news/1", "It says that...")
    assert [f.reason for f in stage().findings(rec)] == ["url_only_input"]
    rec = record("Hi", "Hello!", "   ", "Anything else?")
    assert [f.reason for f in stage().findings(rec)] == ["empty_instruction"]
    rec = record(
        "Continue the story.", "Once upon a time", "Go on.", "The dragon flew over the hills and the"
    )
    assert [f.reason for f in stage().findings(rec)] == ["truncated_output"]


def test_unbalanced_fence_and_merged_instructions_in_any_assistant_turn() -> None:
    rec = record("Show code.", "```python\nprint(1)\n```", "More?", "```python\nprint(2)\n")
    assert [f.reason for f in stage().findings(rec)] == ["unbalanced_code_fence"]
    rec = record("Name a colour.", "Blue.\n\n2. Instruction: Name a fruit.\n2. Input:\n\n2. Output:\nApple")
    assert [f.reason for f in stage().findings(rec)] == ["merged_instructions"]


def test_extra_patterns_and_placeholders_come_from_the_recipe() -> None:
    rec = record("Tell me a joke.", "As a helpful assistant, I must decline.")
    assert stage().findings(rec) == []
    found = stage(refusal={"extra_patterns": [r"\bI must decline\b"]}).findings(rec)
    assert [f.reason for f in found] == ["refusal"]
    rec = record("Write a poem.\n\n<skip>", "Roses are red.")
    assert [f.reason for f in stage(placeholder_input={"extra": ["<SKIP>"]}).findings(rec)] == [
        "placeholder_input"
    ]


def test_recipe_validation_names_the_bad_key() -> None:
    base = "sources: [{name: a, path: a.jsonl}]\nstages:\n  - type: quality\n"
    assert parse_recipe(base + "    mojibake: {action: fix}\n").stages[0].type == "quality"
    with pytest.raises(Exception, match=r"recipe>:4: stages\.0\.refusal\.action"):  # fix: only where it can
        parse_recipe(base + "    refusal: {action: fix}\n")
    with pytest.raises(Exception, match=r"stages\.0\.lenght: unknown key"):
        parse_recipe(base + "    lenght: {max_output_words: 3}\n")
    with pytest.raises(Exception, match="max_output_words"):
        parse_recipe(base + "    length: {min_output_words: 5, max_output_words: 3}\n")


def test_every_check_is_a_recipe_key_with_enabled_and_action() -> None:
    config = QualityConfig()
    for name in CHECK_NAMES:
        check = getattr(config, name)
        assert check.enabled is True and "action" in type(check).model_fields


def test_sample_alpaca_slice_findings() -> None:
    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text(encoding="utf-8"))
    fmt = get_format("alpaca")
    records = [fmt.to_record(row, {"source": "alpaca", "row": i}) for i, row in enumerate(rows)]
    counts = Counter(f.reason for rec in records for f in stage().findings(rec))
    assert counts["empty_output"] == 10 and counts["url_only_input"] == 10


# Fractions of all 52,002 Alpaca rows each check flags (the README's table): keep them in sync.
ALPACA_52K_COUNTS = {
    "url_only_input": 229,
    "missing_attachment": 115,
    "placeholder_input": 70,
    "output_equals_input": 55,
    "empty_output": 49,
    "merged_instructions": 38,
    "placeholder_output": 36,
    "refusal": 26,
    "ai_identity": 19,
    "control_chars": 11,
    "truncated_output": 6,
    "repeated_ngrams": 3,
    "repeated_lines": 2,
    "output_equals_instruction": 1,
}


def test_counts_on_all_of_alpaca_match_the_readme() -> None:
    path = shared_file("instructions/alpaca_52k_en.json.gz")
    with gzip.open(path) as handle:
        rows = json.load(handle)
    fmt = get_format("alpaca")
    checker = stage()
    counts: Counter[str] = Counter()
    for i, row in enumerate(rows):
        counts.update(f.reason for f in checker.findings(fmt.to_record(row, {"source": "alpaca", "row": i})))
    assert dict(counts) == ALPACA_52K_COUNTS


def test_speed_is_tens_of_microseconds_per_record(tmp_path: Path) -> None:
    import time

    rows = json.loads((SAMPLE_DATA / "alpaca_52k_slice.json").read_text(encoding="utf-8"))
    fmt = get_format("alpaca")
    records = [fmt.to_record(row, {"source": "alpaca", "row": i}) for i, row in enumerate(rows)] * 10
    checker = stage(action="tag")
    started = time.process_time()
    checker.process(records)
    per_record = (time.process_time() - started) / len(records)
    assert per_record < 1e-3  # ~50 µs measured on a loaded 2-core machine; this only catches blow-ups


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("As an AI language model, I do not have personal opinions.", "ai_identity"),
        ("I'm sorry, but I cannot help with that request.", "refusal"),
        ("As of my knowledge cutoff in 2021, the tallest building is the Burj Khalifa.", "ai_identity"),
        ("I am an AI assistant created by OpenAI.", "ai_identity"),
        ("I'm sorry to hear that. Is there anything I can do to help?", None),  # sympathy, not a refusal
    ],
)
def test_the_phrases_the_issue_names(output: str, reason: str | None) -> None:
    # Alpaca (text-davinci-003) has no "As an AI language model" rows; later ChatGPT-made sets do.
    found = [f.reason for f in stage().findings(record("What do you think about the weather today?", output))]
    assert found == ([reason] if reason else [])
