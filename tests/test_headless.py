"""Headless runs log progress while they work; terminals get bars with totals; exit codes as documented."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from conftest import SAMPLE_DATA, light_sample_recipe

from curator.engines.shards import InputFile, ShardReport, StageStats
from curator.io.counting import estimate_rows
from curator.progress import RunProgress
from curator.recipe import parse_recipe

CURATOR = [sys.executable, "-m", "curator.cli"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    # stdout/stderr are pipes, not a terminal: what cron, Airflow or `| tee` gives a run.
    return subprocess.run([*CURATOR, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_headless_run_logs_progress_lines_as_json(tmp_path: Path) -> None:
    recipe = light_sample_recipe(tmp_path)
    data = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    data["run"] = {"batch_size": 50}  # many shards: many reports, so several lines per stage
    data.pop("mixtures")
    recipe.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = run_cli("--log-format", "json", "run", str(recipe), "--out", "run", "--progress-every", "0",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines, done.stderr
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    progress = [line for line in lines if line.get("event") == "progress"]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    input_rows = manifest["counts"]["input_rows"]
    stages = {line["stage"] for line in progress}
    assert stages == {"read", "length", "exact_dedup", "licence"}
    for stage in stages:
        mine = [line for line in progress if line["stage"] == stage]
        assert len(mine) >= 2, f"{stage}: one line only: progress is not reported while it works"
        for pass_index in {line["pass"] for line in mine}:  # dedup: signatures, then decisions
            done_rows = [line["rows_done"] for line in mine if line["pass"] == pass_index]
            assert done_rows == sorted(done_rows) and done_rows[-1] == input_rows
        if mine[-1]["rows_total"] is not None:  # the count runs in the background; usually known by now
            assert mine[-1]["rows_total"] >= input_rows - 5
    assert all(line["rows_per_s"] is None or line["rows_per_s"] > 0 for line in progress)
    records_in = {s["name"]: s["records_in"] for s in manifest["stages"]}
    last = {line["stage"]: line for line in progress}
    assert {name: last[name]["records_in"] for name in records_in} == records_in


def test_text_log_lines_name_stage_rows_rate_and_eta(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (SAMPLE_DATA / "dolly_open_qa_text.jsonl").open(encoding="utf-8")]
    source = tmp_path / "dolly.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "sources:\n  - {name: d, path: dolly.jsonl, format: text, license: CC-BY-SA-3.0}\n"
        "stages:\n  - type: length\n  - type: exact_dedup\nrun: {batch_size: 40}\n",
        encoding="utf-8",
    )
    done = run_cli("run", str(recipe), "--out", "run", "--progress-every", "0", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if " curator.progress: length: " in line]
    assert lines, done.stderr
    # plain JSON Lines: the total is counted, so the last line has done/total and an ETA
    assert f"{len(rows):,}/{len(rows):,} rows" in lines[-1]
    assert "rows/s" in lines[-1] and "eta 0:00:00" in lines[-1]


def test_row_totals_from_parquet_metadata_and_jsonl_lines(tmp_path: Path) -> None:
    table = pa.table({"instruction": [f"q{i}" for i in range(1234)], "output": ["a"] * 1234})
    pq.write_table(table, tmp_path / "x.parquet", row_group_size=100)
    assert estimate_rows(tmp_path / "x.parquet") == 1234
    (tmp_path / "x.jsonl").write_text('{"a": 1}\n{"a": 2}\n{"a": 3}', encoding="utf-8")
    assert estimate_rows(tmp_path / "x.jsonl") == 3
    assert estimate_rows(SAMPLE_DATA / "alpaca_52k_slice.json") == 298  # a small JSON array is parsed
    (tmp_path / "x.jsonl.gz").write_bytes(gzip.compress(b'{"a": 1}\n'))
    assert estimate_rows(tmp_path / "x.jsonl.gz") is None  # compressed: as dear as reading it


def test_bars_get_totals_and_advance_in_input_rows(tmp_path: Path) -> None:
    pq.write_table(pa.table({"instruction": ["q"] * 300, "output": ["a"] * 300}), tmp_path / "x.parquet")
    recipe = parse_recipe("sources:\n  - {name: x, path: x.parquet}\nstages:\n  - type: length\n")
    item = InputFile(0, tmp_path / "x.parquet", "x.parquet", "alpaca", "0" * 64, 1)
    progress = RunProgress(recipe, mode="bars", count_totals=False)
    progress.on_planned([item])
    progress._count([item])  # what the background thread does
    tasks = {task.description.split(" ")[0]: task for task in progress.progress.tasks}
    assert tasks["read"].total == 300 and tasks["length"].total == 300
    report = ShardReport(shard=0, rows=200, stages={"length": StageStats(records_in=190)})
    progress.on_report(0, report)
    assert tasks["read"].completed == 200 and tasks["length"].completed == 200


def test_exit_codes(tmp_path: Path) -> None:
    assert run_cli("run", "missing.yaml", cwd=tmp_path).returncode == 2  # user error
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "q", "output": "a"}\n{"broken\n', encoding="utf-8")
    checked = run_cli("validate", str(bad), cwd=tmp_path)
    assert checked.returncode == 1 and "error:" not in checked.stderr  # ran, found a bad row
    assert run_cli("validate", str(bad), "--format", "nope", cwd=tmp_path).returncode == 2  # usage
