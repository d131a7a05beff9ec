"""The CLI: one clear line on user errors, exit codes, and the commands doing real work."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT, SAMPLE_DATA

from curator.cli import cli
from curator.schema import render_schemas


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_schemas_in_repo_match_the_models() -> None:
    for name, text in render_schemas().items():
        assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == text, (
            f"run `curator schema`: {name} drifted"
        )
    assert invoke("schema", "--check", "--out-dir", str(ROOT / "schemas")).exit_code == 0


def test_schema_validates_a_real_output_record(sample_run) -> None:
    import jsonschema

    run, _ = sample_run
    schema = json.loads((ROOT / "schemas" / "instruction_record.schema.json").read_text())
    for line in next((run / "data").glob("*.jsonl")).read_text().splitlines()[:50]:
        jsonschema.validate(json.loads(line), schema)


def test_validate_lists_each_bad_row_with_file_line_and_reason() -> None:
    result = invoke("validate", str(SAMPLE_DATA / "messy_chat.jsonl"))
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "messy_chat.jsonl:" in line]
    assert [line.split(":")[1] for line in lines] == ["5", "6", "7", "10", "11"]
    assert "no assistant turn" in lines[2]
    assert "11 rows" not in result.stdout  # the summary goes to stderr
    assert invoke("validate", str(SAMPLE_DATA / "self_instruct_seed_tasks.jsonl")).exit_code == 0


def test_convert_between_formats(tmp_path: Path) -> None:
    out = tmp_path / "dolly_as_sharegpt.jsonl"
    result = invoke(
        "convert", str(SAMPLE_DATA / "dolly_open_qa_text.jsonl"), "--to", "sharegpt", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 200
    assert [turn["from"] for turn in rows[0]["conversations"]] == ["human", "gpt"]
    assert rows[0]["conversations"][0]["value"] == "Why can camels survive for long without water?"


def test_user_errors_are_one_line_and_nonzero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - {name: a, path: x.jsonl, colums: {}}\n")
    result = invoke("run", str(bad), "--out", str(tmp_path / "run"))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {bad}:2: sources.0.colums: unknown key"
    missing = invoke("run", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1


def test_console_script_version_and_offline_sample_run(sample_run) -> None:
    exe = Path(sys.executable).with_name("curator")
    assert subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout.startswith(
        "curator"
    )
    run, process = sample_run  # the console script, with no network and offline hub settings
    assert process.returncode == 0, process.stderr
    assert "holds" in process.stdout
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["conservation"]["holds"]
