"""The regex stage: named patterns over chosen turns, the pattern's name as the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import read_jsonl, write_recipe

from curator.errors import RecipeError
from curator.pipeline import run_recipe
from curator.recipe import load_recipe, parse_recipe
from curator.records import InstructionRecord
from curator.stages import STAGES, build_stage
from curator.stages.regex import RegexConfig


def record(user: str, assistant: str, row: int = 0) -> InstructionRecord:
    return InstructionRecord(
        messages=[{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
        provenance={"source": "s", "row": row},
    )


PATTERNS = {"ai_disclaimer": r"\bas an AI language model\b", "todo": r"\bTODO\b"}


def test_drop_names_the_first_matching_pattern_and_never_the_matched_text() -> None:
    stage = build_stage(RegexConfig(patterns=PATTERNS, roles=["assistant"]))
    batch = [
        record("Write a poem.", "Roses are red."),
        record("Fix this.", "TODO: later. I cannot, as an AI language model."),
        record("Say TODO.", "Done."),  # only the assistant turn is searched
    ]
    result = stage.process(batch)
    assert [r.messages[1].content for r in result.kept] == ["Roses are red.", "Done."]
    [removal] = result.removed
    # Both patterns match; the first in the recipe's order is the reason.
    assert removal.reason == "ai_disclaimer"
    start = batch[1].messages[1].content.index("as an AI")
    assert removal.detail == {"message": 1, "start": start, "end": start + len("as an AI language model")}
    assert batch[1].annotations.extra["regex"] == {"patterns": ["ai_disclaimer", "todo"]}
    assert "extra" not in batch[0].annotations.model_dump(exclude_defaults=True)


def test_tag_flags_every_matching_pattern_and_ignore_case() -> None:
    config = RegexConfig(name="markers", patterns=PATTERNS, action="tag", ignore_case=True)
    batch = [record("todo: check", "AS AN AI LANGUAGE MODEL, no."), record("Hi", "Hello")]
    result = build_stage(config).process(batch)
    assert len(result.kept) == 2 and result.tagged == 1 and not result.removed
    assert batch[0].annotations.quality_flags == ["markers:ai_disclaimer", "markers:todo"]
    assert batch[1].annotations.quality_flags == []


def test_a_bad_pattern_is_a_recipe_error_naming_its_key() -> None:
    text = (
        "sources:\n  - {name: a, path: a.jsonl}\n"
        "stages:\n  - type: regex\n    patterns:\n      fine: abc\n      broken: '(unclosed'\n"
    )
    with pytest.raises(RecipeError, match=r"recipe.yaml:7: stages\.0\.patterns\.broken: .*invalid regular"):
        parse_recipe(text, "recipe.yaml")
    with pytest.raises(RecipeError, match=r"stages\.0\.patterns"):
        parse_recipe(text.replace("broken:", "'bad name':"), "recipe.yaml")
    empty = text.replace("      fine: abc\n      broken: '(unclosed'\n", "      {}\n")
    with pytest.raises(RecipeError, match=r"stages\.0\.patterns"):
        parse_recipe(empty, "recipe.yaml")


def test_regex_stage_in_a_run_accounts_for_every_row(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Greet me.", "input": "", "output": "Hello!"},
        {"instruction": "Explain X.", "input": "", "output": "As an AI language model, I think X."},
        {"instruction": "Plan.", "input": "", "output": "Step 1. TODO"},
    ]
    (tmp_path / "a.json").write_text(json.dumps(rows))
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: a, path: a.json}\n"
        "stages:\n  - type: regex\n    roles: [assistant]\n    patterns:\n"
        "      ai_disclaimer: '(?i)as an ai language model'\n      todo: '\\bTODO\\b'\n",
    )
    run_recipe(load_recipe(recipe), tmp_path / "run")
    removed = read_jsonl(tmp_path / "run" / "removed" / "regex.jsonl")
    assert [(r["stage"], r["reason"]) for r in removed] == [("regex", "ai_disclaimer"), ("regex", "todo")]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    [stage] = manifest["stages"]
    assert stage["removed_by_reason"] == {"ai_disclaimer": 1, "todo": 1} and stage["kept"] == 1


def test_registered_with_one_line() -> None:
    assert STAGES["regex"].config_model is RegexConfig
