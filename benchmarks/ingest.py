"""Ingest speed: read + validate + write all 52,002 Alpaca rows on one core.

Three ways over the same file, in one run, so the ratios hold on a noisy machine:

- ``parse only``: gunzip + orjson.loads of the JSON array (the I/O floor; no validation);
- ``naive``: stdlib json + one Pydantic model per row + json.dumps per line (what a script would do);
- ``curator run``: the real pipeline (no stages), workers=1: adapt + validate every row into an
  InstructionRecord, write data/ + rejected.jsonl + manifest.json.

Usage: python benchmarks/ingest.py [--input PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from curator.pipeline import run_recipe
from curator.recipe import LoadedRecipe, Recipe
from curator.records import InstructionRecord

DEFAULT_INPUT = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
)


def parse_only(path: Path, _: Path) -> int:
    with gzip.open(path) as handle:
        return len(orjson.loads(handle.read()))


def naive(path: Path, out: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    with open(out / "naive.jsonl", "w", encoding="utf-8") as handle:
        for index, row in enumerate(rows):
            user = row["instruction"] + ("\n\n" + row["input"] if row["input"] else "")
            record = InstructionRecord(
                messages=[{"role": "user", "content": user}, {"role": "assistant", "content": row["output"]}],
                provenance={"source": "alpaca", "row": index},
            )
            handle.write(json.dumps(record.model_dump(mode="json"), ensure_ascii=False) + "\n")
    return len(rows)


def curator_run(path: Path, out: Path) -> int:
    recipe = Recipe.model_validate({"sources": [{"name": "alpaca", "path": str(path), "format": "alpaca"}]})
    loaded = LoadedRecipe(recipe=recipe, path=out / "recipe.yaml", base_dir=path.parent, sha256="-")
    manifest = run_recipe(loaded, out / "run", overwrite=True, report=None).manifest
    assert manifest["conservation"]["holds"]
    return manifest["counts"]["kept"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.input.exists():
        sys.exit(f"skip: {args.input} not found (the benchmark reads ../shared/data)")
    table = Table(title=f"ingest + validate + write, {args.input.name}, 1 process (median of {args.repeat})")
    for column in ("method", "rows", "seconds", "rows/s", "× naive"):
        table.add_column(column, justify="left" if column == "method" else "right")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, function in (("parse only", parse_only), ("naive", naive), ("curator run", curator_run)):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                rows = function(args.input, Path(tmp))
                times.append(time.perf_counter() - started)
            results[name] = (rows, statistics.median(times))
    naive_rate = results["naive"][0] / results["naive"][1]
    for name, (rows, seconds) in results.items():
        rate = rows / seconds
        table.add_row(name, f"{rows:,}", f"{seconds:.2f}", f"{rate:,.0f}", f"{rate / naive_rate:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
