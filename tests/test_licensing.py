"""Licences: SPDX validation and normalisation, licence facts, model terms, policy, combination, cards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_sample, read_jsonl, write_recipe

from curator.errors import RecipeError
from curator.ingest.cards import find_card, front_matter
from curator.licensing import (
    KNOWN_TERMS,
    Component,
    LicenseError,
    Policy,
    evaluate,
    licence_facts,
    normalize_license,
    resulting_licence,
    terms_for_model,
)
from curator.licensing.policy import DEFAULT_RULES
from curator.licensing.spdx import alternatives, hub_license_id
from curator.pipeline import run_recipe
from curator.recipe import load_recipe, parse_recipe
from curator.removed import removed_detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("Apache-2.0", "Apache-2.0"),
        ("apache-2.0 and cc-by-sa-3.0", "Apache-2.0 AND CC-BY-SA-3.0"),
        ("odc-by", "ODC-By-1.0"),  # a Hugging Face card id
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("MIT OR (Apache-2.0 AND CC-BY-4.0)", "MIT OR (Apache-2.0 AND CC-BY-4.0)"),
        ("LicenseRef-my-terms", "LicenseRef-my-terms"),
        ("llama2", "LicenseRef-hf-llama2"),
        ("unknown", None),
        ("NOASSERTION", None),
        (None, None),
    ],
)
def test_normalize_license(text: str | None, expected: str | None) -> None:
    assert normalize_license(text) == expected


def test_invalid_licence_names_the_key_and_suggests() -> None:
    with pytest.raises(LicenseError, match=r"did you mean 'CC-BY-NC-4\.0'"):
        normalize_license("CC-BY-NC-4")
    with pytest.raises(LicenseError, match="invalid licence expression"):
        normalize_license("MIT AND")


def test_or_expressions_offer_choices_and_hub_ids_map_back() -> None:
    assert alternatives("MIT OR (Apache-2.0 AND CC-BY-4.0)") == (
        frozenset({"MIT"}),
        frozenset({"Apache-2.0", "CC-BY-4.0"}),
    )
    assert [
        hub_license_id(k) for k in ("CC-BY-SA-3.0", "ODC-By-1.0", "GPL-3.0-only", "Zlib", "LicenseRef-x")
    ] == [
        "cc-by-sa-3.0",
        "odc-by",
        "gpl-3.0",
        "zlib",
        "other",
    ]


def test_licence_facts_from_cc_names_table_and_scancode_fallback() -> None:
    nc, sa, nd = licence_facts("CC-BY-NC-4.0"), licence_facts("CC-BY-SA-3.0"), licence_facts("CC-BY-ND-4.0")
    assert nc.non_commercial and not nc.share_alike and nc.attribution
    assert sa.share_alike == "CC-BY-SA" and sa.share_alike_version == "3.0" and not sa.non_commercial
    assert nd.no_derivatives
    assert licence_facts("CC0-1.0").category == "public-domain"
    assert licence_facts("Apache-2.0").notice
    assert licence_facts("ODbL-1.0").share_alike == "ODbL"
    fallback = licence_facts("Zlib")
    assert fallback.category == "permissive" and fallback.reviewed
    elastic = licence_facts("Elastic-2.0")  # source-available: only ScanCode's category is known
    assert elastic.use_restrictions and not elastic.reviewed


def test_model_terms_are_looked_up_from_the_model_name() -> None:
    assert terms_for_model("text-davinci-003") is KNOWN_TERMS["openai"]
    assert terms_for_model("gpt-4o-mini").restricts_competing
    assert terms_for_model("meta-llama/Llama-2-70b-chat-hf") is KNOWN_TERMS["llama2"]
    assert not terms_for_model("Llama-3.1-8B-Instruct").restricts_competing
    assert terms_for_model("my-own-model") is None


def policy(use: str, **overrides: object) -> Policy:
    rules = {**DEFAULT_RULES[use], **{k: v for k, v in overrides.items() if k in DEFAULT_RULES[use]}}
    return Policy(
        use,  # type: ignore[arg-type]
        rules,  # type: ignore[arg-type]
        allow=frozenset(overrides.get("allow", ())),  # type: ignore[arg-type]
        deny=frozenset(overrides.get("deny", ())),  # type: ignore[arg-type]
    )


def test_policy_verdicts_by_intended_use() -> None:
    openai = KNOWN_TERMS["openai"]
    commercial = evaluate("CC-BY-NC-4.0", openai, policy("commercial"))
    assert commercial.drop_reason == "non_commercial" and commercial.issues["model_terms"] == "tag"
    research = evaluate("CC-BY-NC-4.0", openai, policy("research"))
    assert research.drop_reason is None and research.tags == ["model_terms"]
    assert "non_commercial" in research.duties() and "model_terms:openai" in research.duties()
    assert evaluate(None, None, policy("commercial")).drop_reason == "unknown_license"
    assert evaluate(None, None, policy("research")).tags == ["unknown_license"]
    assert evaluate("not a licence", None, policy("research")).tags == ["invalid_license"]
    # An OR takes the choice that suits the use: MIT rather than the NC option.
    dual = evaluate("MIT OR CC-BY-NC-4.0", None, policy("commercial"))
    assert dual.chosen == ["MIT"] and not dual.issues
    assert (
        evaluate("GPL-3.0-only", None, policy("commercial", deny=["GPL-3.0-only"])).drop_reason
        == "denied_license"
    )
    allow = policy("commercial", allow=["MIT", "Apache-2.0"])
    assert evaluate("CC-BY-4.0", None, allow).drop_reason == "not_allowed_license"
    assert evaluate("Apache-2.0", None, allow).drop_reason is None
    sa = evaluate("CC-BY-SA-3.0", None, policy("commercial", share_alike="tag"))
    assert sa.tags == ["share_alike"]


def test_resulting_licence_share_alike_absorbs_permissive_for_commercial() -> None:
    summary = resulting_licence(
        [Component("CC-BY-SA-3.0", {"dolly": 150}), Component("Apache-2.0", {"self_instruct": 150})],
        intended_use="commercial",
    )
    assert summary["license"] == "CC-BY-SA-3.0" and summary["hub_license"] == "cc-by-sa-3.0"
    assert summary["expression"] == "Apache-2.0 AND CC-BY-SA-3.0"
    assert any(o.startswith("ShareAlike (CC-BY-SA-3.0") for o in summary["obligations"])
    assert summary["conflicts"] == []


def test_resulting_licence_research_names_nc_and_the_sa_conflict() -> None:
    summary = resulting_licence(
        [
            Component("CC-BY-NC-4.0", {"alpaca": 200}),
            Component("CC-BY-SA-3.0", {"dolly": 100}),
            Component("Apache-2.0", {"self_instruct": 100}),
        ],
        intended_use="research",
        terms={"alpaca": KNOWN_TERMS["openai"]},
    )
    assert summary["license"] is None  # NonCommercial cannot go under ShareAlike: a collection
    assert summary["hub_license"] == ["cc-by-nc-4.0", "apache-2.0", "cc-by-sa-3.0"]
    assert any(
        r.startswith("NonCommercial (CC-BY-NC-4.0, from alpaca, 200 records)")
        for r in summary["restrictions"]
    )
    codes = {c["code"]: c for c in summary["conflicts"]}
    assert codes["share_alike_incompatible"]["sources"] == ["alpaca", "dolly"]
    assert codes["model_terms_restrict_competing"]["sources"] == ["alpaca"]
    assert all(c["level"] == "warning" for c in summary["conflicts"])
    commercial = resulting_licence([Component("CC-BY-NC-4.0", {"alpaca": 5})], intended_use="commercial")
    assert [c["code"] for c in commercial["conflicts"] if c["level"] == "error"] == [
        "non_commercial_in_commercial_use"
    ]


def test_no_derivatives_with_a_modifying_stage_is_an_error_naming_the_source() -> None:
    summary = resulting_licence(
        [Component("CC-BY-ND-4.0", {"news": 10}), Component("MIT", {"code": 5})],
        modified={"news": 2},
        modifying_stages=["pii"],
    )
    (conflict,) = [c for c in summary["conflicts"] if c["code"] == "no_derivatives_modified"]
    assert conflict["level"] == "error" and conflict["sources"] == ["news"]
    assert "pii" in conflict["message"] and "news 2" in conflict["message"]


def test_incompatible_share_alike_families() -> None:
    summary = resulting_licence([Component("CC-BY-SA-4.0", {"a": 1}), Component("GPL-3.0-only", {"b": 1})])
    assert summary["license"] is None
    assert [c["code"] for c in summary["conflicts"]] == ["incompatible_share_alike"]


GOOD = "sources:\n  - name: a\n    path: data.jsonl\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "    license: CC-BY-NC-4\n",
            "recipe:4: sources.0.license: Value error, unknown licence 'CC-BY-NC-4'",
        ),
        ("    model_terms: acme\n", "recipe:4: sources.0.model_terms"),
    ],
)
def test_recipe_rejects_bad_licences_with_line(extra: str, message: str) -> None:
    with pytest.raises(RecipeError) as info:
        parse_recipe(GOOD + extra, source_name="recipe")
    assert message in str(info.value)


def test_recipe_normalises_licence_and_reads_dates_as_text() -> None:
    recipe = parse_recipe(
        GOOD + "    license: cc-by-sa-3.0\n    collection_date: 2023-04-12\n    version: 1.0\n"
    )
    source = recipe.sources[0]
    assert (source.license, source.collection_date, source.version) == ("CC-BY-SA-3.0", "2023-04-12", "1.0")


def test_licence_stage_on_real_data_commercial_and_research(tmp_path: Path) -> None:
    copy_sample(tmp_path, "alpaca_52k_slice.json", "dolly_open_qa_text.jsonl")
    sources = (
        "sources:\n"
        "  - {name: alpaca, path: alpaca_52k_slice.json, license: CC-BY-NC-4.0,\n"
        "     generated_by: text-davinci-003}\n"
        "  - {name: dolly, path: dolly_open_qa_text.jsonl, format: text, license: CC-BY-SA-3.0}\n"
    )
    runs = {}
    for use in ("commercial", "research"):
        folder = tmp_path / use
        folder.mkdir()
        for name in ("alpaca_52k_slice.json", "dolly_open_qa_text.jsonl"):
            (folder / name).write_bytes((tmp_path / name).read_bytes())
        recipe = write_recipe(folder, sources + f"stages:\n  - {{type: licence, intended_use: {use}}}\n")
        runs[use] = run_recipe(load_recipe(recipe), folder / "run").manifest
    commercial = runs["commercial"]
    assert commercial["stages"][0]["removed_by_reason"] == {"non_commercial": 298}
    removed = read_jsonl(tmp_path / "commercial" / "run" / "removed" / "licence.jsonl")
    assert {r["record"]["provenance"]["source"] for r in removed} == {"alpaca"}
    assert removed_detail(removed[0])["license"] == "CC-BY-NC-4.0"
    assert commercial["licences"]["sources"]["alpaca"]["verdict"] == "excluded"
    assert commercial["licences"]["kept"]["license"] == "CC-BY-SA-3.0"
    fate = commercial["sources"]["alpaca"]
    assert (fate["rows"], fate["kept"], fate["removed"], fate["accounted"]) == (
        298,
        0,
        {"licence": {"non_commercial": 298}},
        True,
    )
    research = runs["research"]
    assert research["stages"][0]["removed"] == 0 and research["stages"][0]["tagged"] == 298
    kept = read_jsonl(tmp_path / "research" / "run" / "data" / "part-00000.jsonl")
    alpaca = next(r for r in kept if r["provenance"]["source"] == "alpaca")
    assert alpaca["annotations"]["quality_flags"] == ["licence:model_terms"]
    assert alpaca["annotations"]["extra"]["licence"] == {
        "spdx": "CC-BY-NC-4.0",
        "duties": ["attribution", "non_commercial", "model_terms:openai"],
    }
    assert research["licences"]["sources"]["alpaca"]["verdict"] == "flagged"
    codes = {c["code"] for c in research["licences"]["conflicts"]}
    assert {"model_terms_restrict_competing", "share_alike_incompatible"} <= codes


def test_licence_column_overrides_per_record(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Say hi.", "output": "Hi.", "license": "cc-by-4.0"},
        {"instruction": "Say bye.", "output": "Bye.", "license": ""},  # empty: the source's licence
        {"instruction": "Say what.", "output": "What.", "license": "CC-BY-NC-4.0"},
        {"instruction": "Say who.", "output": "Who.", "license": "no idea"},
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: mixed, path: mixed.jsonl, license: MIT, license_column: license}\n"
        "stages:\n  - {type: licence, intended_use: commercial}\n",
    )
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run").manifest
    kept = read_jsonl(tmp_path / "run" / "data" / "part-00000.jsonl")
    assert [r["provenance"]["license"] for r in kept] == ["CC-BY-4.0", "MIT"]
    assert manifest["stages"][0]["removed_by_reason"] == {"invalid_license": 1, "non_commercial": 1}


def test_hub_card_supplies_the_licence_and_a_differing_recipe_is_reported(tmp_path: Path) -> None:
    """A Hub-style folder: README.md with YAML front matter, data files under data/."""
    folder = tmp_path / "hub_dataset"
    (folder / "data").mkdir(parents=True)
    rows = [
        {"instruction": "Name a colour.", "output": "Blue."},
        {"instruction": "Name a fruit.", "output": "Apple."},
    ]
    (folder / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "README.md").write_text(
        "---\nlicense: odc-by\npretty_name: Tiny\nlanguage:\n- en\n---\n# Tiny\n\n## Citation\n\n"
        "```bibtex\n@misc{tiny, title={Tiny}}\n```\n"
    )
    info = find_card(folder / "data" / "train.jsonl")
    assert info is not None and (info.license, info.language, info.citation) == (
        "ODC-By-1.0",
        ["en"],
        "@misc{tiny, title={Tiny}}",
    )
    assert front_matter("no front matter")[0] is None
    recipe = write_recipe(tmp_path, "sources:\n  - {name: tiny, path: hub_dataset/data/train.jsonl}\n")
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run").manifest
    kept = read_jsonl(tmp_path / "run" / "data" / "part-00000.jsonl")
    assert {r["provenance"]["license"] for r in kept} == {"ODC-By-1.0"}
    assert {r["provenance"]["citation"] for r in kept} == {"@misc{tiny, title={Tiny}}"}
    card = manifest["licences"]["sources"]["tiny"]["card"]
    assert card["license"] == "ODC-By-1.0" and card["path"].endswith("README.md")

    recipe.write_text(recipe.read_text().replace("train.jsonl}", "train.jsonl, license: MIT}"))
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run2").manifest
    (conflict,) = manifest["licences"]["conflicts"]
    assert conflict["code"] == "license_differs_from_card" and conflict["sources"] == ["tiny"]


def test_datasets_folder_metadata_and_other_licences(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "state.json").write_text("{}")
    (folder / "dataset_info.json").write_text(
        json.dumps(
            {
                "license": "cc-by-4.0",
                "citation": "@misc{x}",
                "homepage": "https://example.org",
                "version": {"version_str": "1.2.0"},
            }
        )
    )
    info = find_card(folder)
    assert info is not None and (info.license, info.citation, info.url, info.version) == (
        "CC-BY-4.0",
        "@misc{x}",
        "https://example.org",
        "1.2.0",
    )
    (folder / "README.md").write_text("---\nlicense: other\nlicense_name: acme-data-1.0\n---\n")
    assert find_card(folder).license == "LicenseRef-acme-data-1.0"  # README wins, dataset_info fills the rest
    assert find_card(folder).url == "https://example.org"


def test_stages_that_change_text_are_found_by_their_actions() -> None:
    from pydantic import BaseModel

    from curator.stages.base import sets_text_changing_action as _modifies_text  # StageConfig.modifies_text

    class Redacting(BaseModel):
        action: str = "redact"

    class PerCheck(BaseModel):
        checks: dict = {"email": {"action": "tag"}, "phone": {"action": "fix"}}

    class Tagging(BaseModel):
        action: str = "tag"

    assert _modifies_text(Redacting()) and _modifies_text(PerCheck()) and not _modifies_text(Tagging())


def test_roles_whose_pii_a_stage_replaces() -> None:
    from types import SimpleNamespace

    from curator.mixtures.pool import ROLE_BITS
    from curator.mixtures.pool import modified_roles as _modified_roles
    from curator.stages.length import LengthFilterConfig
    from curator.stages.pii import PIIConfig

    # Real configs: a stage says which roles' PII it replaces (StageConfig.replaces_pii).
    pii = PIIConfig(action="tag", roles={"user": "redact"}, structured_only=True)
    fixer = PIIConfig(action="pseudonymise", structured_only=True)
    length = LengthFilterConfig(action="drop")
    assert _modified_roles(SimpleNamespace(stages=[pii, length])) == ROLE_BITS["user"]
    assert _modified_roles(SimpleNamespace(stages=[fixer])) == sum(ROLE_BITS.values())
