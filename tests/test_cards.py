"""Dataset cards and ATTRIBUTION files of the sample recipe's mixtures, and licence conflicts on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import light_sample_recipe, write_recipe

from curator.pipeline import run_recipe
from curator.recipe import load_recipe


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    # The sample recipe's sources and mixtures; its model-backed stages are other tests' business.
    folder = tmp_path_factory.mktemp("cards")
    return folder / "run", run_recipe(load_recipe(light_sample_recipe(folder)), folder / "run").manifest


def split_card(path: Path) -> tuple[dict, str]:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


def test_sample_recipe_makes_mixtures_with_hub_cards(sample_run: tuple[Path, dict]) -> None:
    run_dir, manifest = sample_run
    assert len(manifest["mixtures"]) >= 2
    for name, mixture in manifest["mixtures"].items():
        folder = run_dir / "mixtures" / name
        meta, body = split_card(folder / "README.md")
        for key in (
            "license",
            "language",
            "size_categories",
            "task_categories",
            "source_datasets",
            "pretty_name",
        ):
            assert meta.get(key), (name, key)
        assert meta["size_categories"] == ["n<1K"]
        assert meta["configs"][0]["data_files"][0] == {"split": "train", "path": "data/train-*"}
        columns = [f["name"] for f in meta["dataset_info"]["features"]]
        assert columns[-3:] == ["id", "source", "license"]
        for section in ("## Sources", "## Licence", "## What was removed and why", "## How to reproduce"):
            assert section in body, (name, section)
        assert manifest["recipe"]["sha256"] in body
        for source in mixture["sources"]:
            assert f"| {source} |" in body
        assert (folder / "ATTRIBUTION").is_file() and (folder / "mixture.json").is_file()
        assert json.loads((folder / "mixture.json").read_text())["licence"] == mixture["licence"]
    meta, _ = split_card(run_dir / "mixtures" / "commercial_safe" / "README.md")
    assert meta["license"] == "cc-by-sa-3.0"
    assert "databricks/databricks-dolly-15k" in meta["source_datasets"]
    assert meta["language"] == ["en", "zh"]


def test_attribution_lists_every_source_with_licence_and_citation(sample_run: tuple[Path, dict]) -> None:
    run_dir, manifest = sample_run
    recipe = {s["name"]: s for s in manifest["recipe"]["resolved"]["sources"]}
    for name, mixture in manifest["mixtures"].items():
        text = (run_dir / "mixtures" / name / "ATTRIBUTION").read_text(encoding="utf-8")
        for source in mixture["sources"]:
            block = text.split(f"\n{source}\n", 1)[1].split("\n\n", 1)[0]
            assert f"Licence: {recipe[source]['license']}" in block
            if recipe[source].get("citation"):
                assert recipe[source]["citation"] in block
        for source in set(recipe) - set(mixture["sources"]):
            assert f"  {source} (" in text.split("Sources of the run not in this mixture:", 1)[1]


def test_every_source_fate_is_in_the_manifest(sample_run: tuple[Path, dict]) -> None:
    _, manifest = sample_run
    fates = manifest["sources"]
    assert set(fates) == {s["name"] for s in manifest["recipe"]["resolved"]["sources"]}
    assert all(f["accounted"] for f in fates.values())
    assert sum(f["rows"] for f in fates.values()) == manifest["counts"]["input_rows"]
    assert sum(f["kept"] for f in fates.values()) == manifest["counts"]["kept"]
    assert fates["messy_chat"]["rejected"] == 5
    assert fates["alpaca_5000"]["removed"] == {"exact_dedup": {"exact_duplicate": 40}}
    assert fates["dolly_open_qa"]["mixtures"].keys() == {"research_mix", "commercial_safe", "balanced_t2"}


def test_no_derivatives_data_modified_by_the_run_is_a_reported_error(tmp_path: Path) -> None:
    rows = [
        {"instruction": "Quote the line.", "output": "To be or not to be."},
        {"instruction": "Quote it again.", "output": "A line with a NUL\u0000 byte."},  # repaired on read
    ]
    (tmp_path / "quotes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: quotes, path: quotes.jsonl, license: CC-BY-ND-4.0, citation: Q}\n"
        "stages:\n  - {type: licence, intended_use: research}\n"
        "mixtures:\n  - {name: all, format: record, file_format: parquet}\n",
    )
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run").manifest
    (conflict,) = [c for c in manifest["licences"]["conflicts"] if c["code"] == "no_derivatives_modified"]
    assert (
        conflict["level"] == "error"
        and conflict["sources"] == ["quotes"]
        and "quotes 1" in conflict["message"]
    )
    _, body = split_card(tmp_path / "run" / "mixtures" / "all" / "README.md")
    assert "**error** `no_derivatives_modified`" in body
    assert "NoDerivatives (CC-BY-ND-4.0, from quotes)" in body
    attribution = (tmp_path / "run" / "mixtures" / "all" / "ATTRIBUTION").read_text()
    assert "1 of its 2 records here had text changed" in attribution
