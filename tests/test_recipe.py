"""Recipe errors name the key and the YAML line; good recipes round-trip."""

from __future__ import annotations

import pytest

from curator.errors import RecipeError
from curator.recipe import parse_recipe

GOOD = """\
name: demo
sources:
  - name: a
    path: data/*.jsonl
stages:
  - type: length
    min_output_words: 2
  - type: exact_dedup
"""


def test_good_recipe_parses_and_round_trips_through_yaml() -> None:
    recipe = parse_recipe(GOOD)
    assert [s.stage_name for s in recipe.stages] == ["length", "exact_dedup"]
    assert recipe.stages[0].min_output_words == 2
    assert parse_recipe(recipe.to_yaml()) == recipe


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("    min_output_words: 2", "    min_output_wrds: 2"),
            "recipe:7: stages.0.min_output_wrds: unknown key",
        ),
        (
            GOOD.replace("min_output_words: 2", "min_output_words: lots"),
            "recipe:7: stages.0.min_output_words: Input should be",
        ),
        (GOOD.replace("type: exact_dedup", "type: fuzzy"), "recipe:8: stages.1: unknown stage type 'fuzzy'"),
        (GOOD.replace("name: demo", "name: demo\nsede: 3"), "recipe:2: sede: unknown key"),
        (
            GOOD.replace("    path: data/*.jsonl", "    path: data/*.jsonl\n    format: csvish"),
            "recipe:5: sources.0.format",
        ),
        (GOOD + "  - type: length\n", "two stages are named 'length'"),
        (GOOD.replace("name: demo", "name: demo\nname: again"), "recipe:2: duplicate key 'name'"),
        ("sources: [\n", "recipe:2: invalid YAML"),
        ("- just\n- a list\n", "a recipe is a mapping"),
        ("name: x\n", "recipe:1: sources: Field required"),
        (GOOD + "mixtures:\n  - name: m\n    wieghts: {a: 1}\n", "recipe:11: mixtures.0.wieghts: unknown"),
    ],
)
def test_recipe_errors_name_key_and_line(text: str, message: str) -> None:
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, source_name="recipe")
    assert message in str(info.value)
    assert "\n" not in str(info.value)
