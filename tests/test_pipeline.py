"""End-to-end runs of the engine on real files: accounting, bad input, determinism, early errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from conftest import SAMPLE_DATA, read_jsonl, run_files, write_recipe

from curator.errors import CuratorError, InputError
from curator.pipeline import run_recipe
from curator.recipe import load_recipe
from curator.removed import removed_detail


def alpaca(instruction: str, output: object = "An answer.", **extra: object) -> bytes:
    return json.dumps({"instruction": instruction, "input": "", "output": output, **extra}).encode()


def gauntlet_lines() -> list[tuple[bytes, str | None]]:
    """(line, expected rejection reason or None if kept). Blank lines are not rows."""
    return [
        (b"\xef\xbb\xbf" + alpaca("Good row after a BOM."), None),
        (alpaca("A second good row."), None),
        (b"", "blank"),
        (b'{"instruction": "Trailing comma.", "input": "", "output": "x",}', "unreadable_row"),
        (b'{"instruction": "Broken JSON", "output": ', "unreadable_row"),
        (alpaca("A number where text belongs.", 42), "invalid_record"),
        (json.dumps({"instruction": "Missing output.", "input": ""}).encode(), "invalid_record"),
        (b"null", "unreadable_row"),
        (b'[{"instruction": "An array.", "output": "x"}]', "unreadable_row"),
        (b'{"instruction": "Invalid UTF-8 \xff\xfe here.", "input": "", "output": "x"}', "unreadable_row"),
        (alpaca("An escaped NUL \\u0000 inside.").replace(b"\\\\u0000", b"\\u0000"), None),
        (b'{"instruction": "A raw NUL \x00 byte.", "input": "", "output": "x"}', "unreadable_row"),
        (b"   \t", "blank"),
        (alpaca("A 2 MB output.", "word " * 400_000), None),
        (b'{"instruction": "A lone surrogate \\ud800 here.", "input": "", "output": "x"}', None),
        (json.dumps({"instruction": None, "input": "", "output": "x"}).encode(), "invalid_record"),
        (alpaca("Windows line ending.") + b"\r", None),
    ]


@pytest.fixture
def gauntlet(tmp_path: Path) -> Path:
    path = tmp_path / "gauntlet.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in gauntlet_lines()) + b"\n")
    return path


def test_bad_input_gauntlet_keeps_good_rows_and_rejects_each_bad_one(tmp_path: Path, gauntlet: Path) -> None:
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: messy, path: gauntlet.jsonl, format: alpaca}\nstages:\n  - type: length\n",
    )
    result = run_recipe(load_recipe(recipe), tmp_path / "run")
    manifest = result.manifest
    expected = [reason for _, reason in gauntlet_lines() if reason != "blank"]
    assert manifest["counts"]["input_rows"] == len(expected)
    assert manifest["counts"]["kept"] == expected.count(None)
    assert manifest["counts"]["rejected"] == len(expected) - expected.count(None)
    assert manifest["conservation"] == {
        "input_rows": len(expected),
        "kept_plus_removed_plus_rejected": len(expected),
        "holds": True,
    }
    assert manifest["inputs"][0]["blank_lines_skipped"] == 2

    rejected = read_jsonl(tmp_path / "run" / "rejected.jsonl")
    physical_lines = {i + 1: reason for i, (_, reason) in enumerate(gauntlet_lines())}
    assert [r["line"] for r in rejected] == [
        n for n, reason in physical_lines.items() if reason not in (None, "blank")
    ]
    for entry in rejected:
        assert entry["reason"] == physical_lines[entry["line"]]
        assert entry["file"] == "gauntlet.jsonl" and entry["source"] == "messy"
        assert entry["error"] and entry["raw"] is not None
    errors = {entry["line"]: entry["error"] for entry in rejected}
    assert "output" in errors[7]  # the missing field is named
    assert "byte" in errors[10].lower() or "utf-8" in errors[10].lower()

    kept = [
        json.loads(line)
        for line in (tmp_path / "run" / "data" / "part-00000.jsonl").read_bytes().splitlines()
    ]
    assert len(kept) == expected.count(None)
    by_instruction = {r["messages"][0]["content"]: r for r in kept}
    nul = by_instruction["An escaped NUL  inside."]
    assert nul["annotations"]["repairs"] == ["removed_nul:messages[0]"]
    surrogate = by_instruction["A lone surrogate  here."]
    assert surrogate["annotations"]["repairs"] == ["removed_surrogate:messages[0]"]
    assert len(by_instruction["A 2 MB output."]["messages"][1]["content"]) == len("word " * 400_000)
    assert all(r["provenance"]["file"] == "gauntlet.jsonl" for r in kept)


def test_sample_recipe_accounts_for_every_row(sample_run) -> None:
    run, process = sample_run
    assert process.returncode == 0, process.stderr
    manifest = json.loads((run / "manifest.json").read_text())
    counts = manifest["counts"]
    assert manifest["conservation"]["holds"]
    assert counts["input_rows"] == sum(item["rows"] for item in manifest["inputs"])
    stages = {s["name"]: s for s in manifest["stages"]}
    # Real problems in the real slices: Alpaca's empty outputs, and the 40 rows both releases hold.
    assert stages["length"]["removed_by_reason"]["empty_output"] >= 10
    assert stages["exact_dedup"]["removed_by_reason"]["exact_duplicate"] >= 40
    removed = read_jsonl(run / "removed" / "exact_dedup.jsonl")
    kept_ids = {json.loads(line)["id"] for line in _data_lines(run)}
    for entry in removed:
        assert removed_detail(entry)["duplicate_of"] in kept_ids
        duplicate_of = removed_detail(entry)["duplicate_of"]
        assert entry["record"]["annotations"]["duplicate"]["duplicate_of"] == duplicate_of
    formats = {item["source"]: item["format"] for item in manifest["inputs"]}
    assert formats == {
        "alpaca_52k": "alpaca",
        "alpaca_5000": "alpaca",
        "dolly_open_qa": "text",
        "self_instruct_seed": "self_instruct",
        "belle_eval_zh": "alpaca",
        "messy_chat": "messages",
    }


def _data_lines(run: Path) -> list[bytes]:
    return [line for path in sorted((run / "data").iterdir()) for line in path.read_bytes().splitlines()]


def test_same_recipe_gives_byte_identical_outputs_with_any_worker_count(sample_run, tmp_path: Path) -> None:
    """The session's run (1 process, default shards) and a run with 2 workers and tiny shards."""
    reference, process = sample_run
    assert process.returncode == 0, process.stderr
    recipe = load_recipe(SAMPLE_DATA / "recipe.yaml")
    recipe.recipe.run.batch_size = 97  # many shards, so ordering across workers is exercised
    pooled = run_recipe(recipe, tmp_path / "pooled", workers=2).manifest
    files = run_files(reference)
    assert files and run_files(tmp_path / "pooled") == files
    first = json.loads((reference / "manifest.json").read_text())
    assert pooled["outputs"] == first["outputs"]
    assert pooled["counts"] == first["counts"]


def test_missing_input_stops_before_any_output(tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, "sources:\n  - {name: a, path: nowhere/*.jsonl}\n")
    with pytest.raises(InputError, match=r"source 'a': no file matches 'nowhere/\*\.jsonl'"):
        run_recipe(load_recipe(recipe), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_corrupt_compressed_input_stops_before_any_output(tmp_path: Path) -> None:
    (tmp_path / "good.jsonl").write_bytes(alpaca("fine") + b"\n")
    (tmp_path / "bad.jsonl.gz").write_bytes(b"this is not gzip at all")
    recipe = write_recipe(
        tmp_path, "sources:\n  - {name: a, path: good.jsonl}\n  - {name: b, path: bad.jsonl.gz}\n"
    )
    with pytest.raises(InputError):
        run_recipe(load_recipe(recipe), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_refuses_to_overwrite_without_flag(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(alpaca("fine") + b"\n")
    recipe = load_recipe(write_recipe(tmp_path, "sources:\n  - {name: a, path: in.jsonl}\n"))
    run_recipe(recipe, tmp_path / "run")
    assert run_recipe(recipe, tmp_path / "run").already_finished  # the same work: nothing to redo
    (tmp_path / "in.jsonl").write_bytes(alpaca("changed") + b"\n")
    other = load_recipe(write_recipe(tmp_path, "sources:\n  - {name: a, path: in.jsonl}\n"))
    with pytest.raises(CuratorError, match="not empty"):
        run_recipe(other, tmp_path / "run")
    assert run_recipe(other, tmp_path / "run", overwrite=True).manifest["counts"]["kept"] == 1


def test_compressed_inputs_and_parquet_output_load_with_datasets(tmp_path: Path) -> None:
    import datasets

    rows = [alpaca(f"Question number {i}?", f"Answer {i}.") for i in range(30)]
    with gzip.open(tmp_path / "part.jsonl.gz", "wb") as handle:
        handle.write(b"\n".join(rows))
    recipe = write_recipe(
        tmp_path,
        "sources:\n  - {name: g, path: '*.jsonl.gz'}\noutput: {format: parquet, max_records_per_file: 12}\n",
    )
    manifest = run_recipe(load_recipe(recipe), tmp_path / "run").manifest
    assert [f["records"] for f in manifest["outputs"]["data"]] == [12, 12, 6]
    files = sorted(str(p) for p in (tmp_path / "run" / "data").glob("*.parquet"))
    table = datasets.load_dataset("parquet", data_files=files, split="train")
    assert table.num_rows == 30
    assert table[0]["messages"][0]["content"] == "Question number 0?"
    assert table[29]["provenance"]["row"] == 29


def test_unknown_fields_stop_the_run_with_a_mapping_suggestion(tmp_path: Path) -> None:
    recipe = write_recipe(
        tmp_path, f"sources:\n  - {{name: belle, path: {SAMPLE_DATA / 'belle_eval_zh.jsonl'}}}\n"
    )
    with pytest.raises(InputError) as info:
        run_recipe(load_recipe(recipe), tmp_path / "run")
    message = str(info.value)
    assert message.startswith("source 'belle': ")
    assert "columns: {question: instruction, std_answer: output}" in message
    assert not (tmp_path / "run").exists()
