"""`curator trace`: from a mixture row back to its source file and row, through every stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA, light_sample_recipe, read_jsonl

from curator.cli import cli
from curator.errors import CuratorError
from curator.pipeline import run_recipe
from curator.recipe import load_recipe
from curator.removed import removed_detail
from curator.trace import format_trace, trace_record


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trace")
    run_recipe(load_recipe(light_sample_recipe(folder)), folder / "run")
    return folder / "run"


def strings(value: object) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in strings(item)] if isinstance(value, list) else []


def test_trace_finds_a_mixture_rows_source_row(sample_run: Path) -> None:
    row = read_jsonl(sample_run / "mixtures" / "research_mix" / "data" / "train-00000.jsonl")[0]
    found = trace_record(row["id"], sample_run)
    provenance = found["provenance"]
    assert provenance["source"] == row["source"] and found["fate"] == "kept"
    # The source row, read back from the input file, is the row the record was made from.
    source_rows = (
        json.loads((SAMPLE_DATA / provenance["file"]).read_text())
        if provenance["file"].endswith(".json")
        else read_jsonl(SAMPLE_DATA / provenance["file"])
    )
    assert found["source_row"]["raw"] == source_rows[provenance["row"]]
    answer = row["messages"][-1]["content"]
    assert any(answer in text for text in strings(found["source_row"]["raw"]))
    manifest = json.loads((sample_run / "manifest.json").read_text())
    assert [s["stage"] for s in found["stages"]] == [s["name"] for s in manifest["stages"]]
    assert all(s["status"] in ("passed", "flagged") for s in found["stages"])
    assert found["mixtures"]["research_mix"]["copies"] >= 1
    text = format_trace(found)
    assert f"{provenance['file']}, row {provenance['row']}" in text and "research_mix ×" in text


def test_trace_of_a_removed_record_names_stage_reason_and_unreached_stages(sample_run: Path) -> None:
    removal = read_jsonl(sample_run / "removed" / "exact_dedup.jsonl")[0]
    found = trace_record(removal["record"]["id"][:10], sample_run)  # an unambiguous prefix is enough
    assert found["fate"] == "removed" and found["removed"]["reason"] == "exact_duplicate"
    statuses = [s["status"] for s in found["stages"]]
    names = [s["stage"] for s in found["stages"]]
    at = names.index("exact_dedup")
    assert statuses[at] == "removed"
    assert set(statuses[:at]) <= {"passed", "flagged"} and set(statuses[at + 1 :]) == {"not reached"}
    assert "licence" in names[at + 1 :]
    assert all(info["copies"] == 0 for info in found["mixtures"].values())
    kept = trace_record(removed_detail(removal)["duplicate_of"], sample_run)
    assert kept["fate"] == "kept"


def test_trace_shows_upsampled_copies_and_licence_flags(sample_run: Path) -> None:
    manifest = json.loads((sample_run / "manifest.json").read_text())
    assert manifest["mixtures"]["research_mix"]["groups"]["self_instruct_seed"]["epochs"] > 1
    rows = read_jsonl(sample_run / "mixtures" / "research_mix" / "data" / "train-00000.jsonl")
    rows += read_jsonl(sample_run / "mixtures" / "research_mix" / "data" / "train-00001.jsonl")
    ids = [r["id"] for r in rows]
    repeated = next(i for i in ids if ids.count(i) == 2)
    assert trace_record(repeated, sample_run)["mixtures"]["research_mix"]["copies"] == 2
    alpaca = next(r["id"] for r in rows if r["source"] == "alpaca_52k")
    licence = next(s for s in trace_record(alpaca, sample_run)["stages"] if s["stage"] == "licence")
    assert licence["status"] == "flagged" and "flag licence:model_terms" in licence["notes"]


def test_trace_cli(sample_run: Path) -> None:
    row = read_jsonl(sample_run / "mixtures" / "commercial_safe" / "data" / "train-00000.jsonl")[0]
    runner = CliRunner()
    done = runner.invoke(cli, ["trace", row["id"], str(sample_run)])
    assert done.exit_code == 0, done.output
    assert "source row" in done.output and "commercial_safe ×" in done.output
    as_json = runner.invoke(cli, ["trace", row["id"], str(sample_run), "--json", "--no-source-row"])
    assert json.loads(as_json.output)["id"] == row["id"]
    missing = runner.invoke(cli, ["trace", "abcdef0123456789abcdef01", str(sample_run)])
    assert missing.exit_code == 2 and missing.output.count("\n") == 1 and "rejected.jsonl" in missing.output
    with pytest.raises(CuratorError, match="not a finished curator run"):
        trace_record("abcdef", sample_run / "data")
