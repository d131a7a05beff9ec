"""The exported recipe schema accepts exactly what the models accept, so editors can validate recipes.

Editors (yaml-language-server) read YAML 1.2, where ``2023-04-12`` is a string, so the recipes are
loaded here without YAML 1.1's implicit timestamps before they are checked against the schema.
"""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from conftest import RESUME_RECIPE, ROOT, SAMPLE_DATA

from curator.audit import audit_recipe, plan_audit
from curator.errors import RecipeError
from curator.recipe import parse_recipe

SCHEMA = json.loads((ROOT / "schemas" / "recipe.schema.json").read_text(encoding="utf-8"))


class EditorLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 timestamps: what an editor's YAML 1.2 parser sees."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    data = yaml.load(text, Loader=EditorLoader)  # a SafeLoader subclass: builds no objects
    return [e.message for e in validator.iter_errors(data)]


def model_accepts(text: str) -> bool:
    try:
        parse_recipe(text)
    except RecipeError:
        return False
    return True


def repo_recipes() -> dict[str, str]:
    """Every recipe file in the repository, the recipes the tests share, and the one audit writes."""
    found = {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for pattern in ("**/*.yaml", "**/*.yml")
        for p in ROOT.glob(pattern)
        if ".git" not in p.parts and ".venv" not in p.parts and "runs" not in p.parts
    }
    found["tests/conftest.py:RESUME_RECIPE"] = RESUME_RECIPE
    audit = audit_recipe([SAMPLE_DATA / "messy_chat.jsonl"], license="CC0-1.0", plan=plan_audit())
    found["audit_recipe.yaml"] = yaml.safe_dump(audit, sort_keys=False)
    return {name: text for name, text in found.items() if "sources:" in text}


def test_the_schema_has_an_id_and_the_sample_recipe_names_it() -> None:
    assert SCHEMA["$id"].endswith("recipe.schema.json")
    first = (SAMPLE_DATA / "recipe.yaml").read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    assert (SAMPLE_DATA / match.group(1)).resolve() == ROOT / "schemas" / "recipe.schema.json"


@pytest.mark.parametrize("name", sorted(repo_recipes()))
def test_every_recipe_in_the_repo_validates_against_the_schema(name: str) -> None:
    text = repo_recipes()[name]
    assert model_accepts(text), name
    assert schema_errors(text) == [], name


BASE = "sources:\n  - name: a\n    path: a.jsonl\n"


@pytest.mark.parametrize(
    "text",
    [
        BASE + "    language: en\n",
        BASE + "    language: [en, de]\n",
        BASE + "    version: 1.0\n",
        BASE + "    collection_date: 2023-04-12\n",
        BASE + "stages:\n  - type: decontaminate\n    evals: [{name: e, path: e.jsonl}]\n",
        BASE + "validation:\n  eval: [e.jsonl]\n",
        BASE + "validation:\n  eval: [{path: e.jsonl, name: e}]\n",
    ],
)
def test_what_the_models_coerce_the_schema_accepts(text: str) -> None:
    assert model_accepts(text)
    assert schema_errors(text) == []


@pytest.mark.parametrize(
    "text",
    [
        BASE + "    languages: en\n",  # unknown key
        BASE + "    language: 3\n",
        BASE + "stages:\n  - type: fuzzy\n",
        BASE + "stages:\n  - type: length\n    min_output_words: lots\n",
        BASE + "output: {format: xml}\n",
        BASE + "validation:\n  eval: []\n",
    ],
)
def test_what_the_models_reject_the_schema_rejects(text: str) -> None:
    assert not model_accepts(text)
    assert schema_errors(text) != []
