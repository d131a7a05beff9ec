"""The whole default recipe end to end: wall and CPU time, per stage, by worker count, with and without NER.

Input: all 52,002 Alpaca rows (the 52k release as shipped, a gzipped JSON array); with ``--rows N``
above that, N rows built from them by ``scale.py``'s perturbations (exact copies, near copies, new
text), written once as JSONL. Recipe: the stages of ``sample_data/recipe.yaml`` (length, quality,
language, exact and near dedup, decontamination, licence, pii), no mixtures. "Without NER" runs the
pii stage structured-only (patterns, no spaCy model); ``--ner`` adds the sample's pii stage as written
(``en_core_web_sm``).

Each run is a fresh ``curator run`` process, so imports, pool start-up, model loads and writing the
report all count. Wall time is the process's; CPU time is its ``wait4`` rusage, which includes the
pool workers it waited for. Per stage: the manifest's seconds (wall time inside the stage, summed
over workers); "start-up + report" is the process's wall time outside the manifest's total. The
baseline in the same run is one worker: the table gives each worker count's wall speed-up over it
and the CPU it spent. The machine is often shared: the load average is printed with each row.

Usage: python benchmarks/recipe_speed.py [--rows 52002] [--workers 1 2] [--ner] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import ALPACA, build_input, stages_of_sample


def recipe_for(path: Path, ner: bool, workers: int) -> dict:
    stages = stages_of_sample()
    if ner:  # the sample's pii stage as written: spaCy's small English model for names and places
        for stage in stages:
            if stage["type"] == "pii":
                stage.pop("structured_only", None)
                stage["model"] = "en_core_web_sm"
    source = {"name": "alpaca", "path": str(path), "format": "alpaca", "license": "CC-BY-NC-4.0"}
    return {"name": "speed", "seed": 42, "sources": [source], "stages": stages, "run": {"workers": workers}}


def one_run(recipe: Path, out: Path, workers: int) -> dict:
    command = [sys.executable, "-m", "curator.cli", "run", str(recipe), "--out", str(out)]
    command += ["--workers", str(workers), "--overwrite", "--quiet"]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)  # includes the pool workers it waited for
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"curator run failed: {' '.join(command)}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {
        "workers": workers,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,  # the largest single process of the tree
        "load": load,
        "manifest": manifest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=52_002)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ner", action="store_true", help="Also run the pii stage with spaCy NER.")
    parser.add_argument("--repeat", type=int, default=1, help="Runs per setting; the fastest is shown.")
    args = parser.parse_args()
    if not ALPACA.exists():
        sys.exit(f"skip: {ALPACA} not found (the benchmark reads ../shared/data)")
    console = Console(width=200)
    modes = [False, True] if args.ner else [False]
    results: list[tuple[bool, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = ALPACA
        if args.rows != 52_002:
            data = Path(tmp) / f"alpaca_{args.rows}.jsonl"
            build_input(data, args.rows)
        for ner in modes:
            for workers in args.workers:
                recipe = Path(tmp) / f"recipe_{int(ner)}_{workers}.yaml"
                recipe.write_text(yaml.safe_dump(recipe_for(data, ner, workers)), encoding="utf-8")
                runs = [one_run(recipe, Path(tmp) / "run", workers) for _ in range(args.repeat)]
                results.append((ner, min(runs, key=lambda r: r["wall"])))
    rows = results[0][1]["manifest"]["counts"]["input_rows"]
    cores = len(os.sched_getaffinity(0))
    table = Table(title=f"curator run, {rows:,} rows, {cores} cores visible (fastest of {args.repeat})")
    for column in (
        "pii",
        "workers",
        "wall s",
        "CPU s",
        "× 1-worker wall",
        "CPU / 1-worker CPU",
        "peak MiB",
        "load",
    ):
        table.add_column(column, justify="right")
    for ner, r in results:
        base = next((b for n, b in results if n == ner and b["workers"] == 1), None)
        table.add_row(
            "NER" if ner else "patterns",
            str(r["workers"]),
            f"{r['wall']:.1f}",
            f"{r['cpu']:.1f}",
            f"{base['wall'] / r['wall']:.2f}" if base else "–",
            f"{r['cpu'] / base['cpu']:.2f}" if base else "–",
            f"{r['peak_mib']:,.0f}",
            f"{r['load']:.1f}",
        )
    console.print(table)
    names = [stage["name"] for stage in results[0][1]["manifest"]["stages"]]
    stages = Table(title="seconds per part (stages: wall inside the stage, summed over workers)")
    for column in ("pii", "workers", "start-up + report", "plan + assemble", "provenance", "adapt", *names):
        stages.add_column(column, justify="right")
    for ner, r in results:
        timings = r["manifest"]["timings"]
        provenance = timings.get("provenance_seconds", 0.0)
        stages.add_row(
            "NER" if ner else "patterns",
            str(r["workers"]),
            f"{r['wall'] - timings['total_seconds'] - provenance:.1f}",
            f"{timings['total_seconds'] - timings['engine_seconds']:.1f}",
            f"{provenance:.1f}",
            f"{timings['adapt_seconds']:.1f}",
            *(f"{timings['stage_seconds'].get(n, 0):.1f}" for n in names),
        )
    console.print(stages)
    counts = results[0][1]["manifest"]["counts"]
    console.print(f"kept {counts['kept']:,}, removed {counts['removed']:,}, rejected {counts['rejected']:,}")


if __name__ == "__main__":
    main()
