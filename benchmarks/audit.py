"""Audit speed: `curator audit` of all 52,002 Alpaca rows with 2 worker processes.

Each repeat is a fresh `curator audit` subprocess (so imports, pool start-up and writing the
report all count): every registered annotator in tag mode (PII, when that stage is registered,
in its structured-only mode), then report.json and report.html. The machine this runs on is
often shared, so the best of N repeats is the figure to quote; the median is printed too.

Also reported: from the best run's manifest, seconds per stage (summed over the workers) and
adapting rows into records; and the wall time of `curator report` rebuilding the report alone.

Usage: python benchmarks/audit.py [--input PATH] [--repeat N] [--workers N] [--set TYPE.KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

DEFAULT_INPUT = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
)


def one_audit(path: Path, out: Path, workers: int, settings: list[str]) -> tuple[float, dict, float]:
    """(wall seconds of the audit, its manifest, wall seconds of `curator report` rebuilding its report)."""
    command = [sys.executable, "-m", "curator.cli", "audit", str(path), "--out", str(out), "--overwrite"]
    command += ["--workers", str(workers), "--quiet"]
    for setting in settings:
        command += ["--set", setting]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - started
    manifest = json.loads((out / "manifest.json").read_text())
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "curator.cli", "report", str(out)], check=True, capture_output=True)
    return seconds, manifest, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--set", dest="settings", action="append", default=[], help="Passed to curator audit (repeatable)."
    )
    args = parser.parse_args()
    if not args.input.exists():
        sys.exit(f"{args.input} not found (../shared/data is only in the project's workspace); pass --input")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            runs.append(one_audit(args.input, Path(tmp) / "audit", args.workers, args.settings))
    best_seconds, manifest, _ = min(runs, key=lambda run: run[0])
    rows = manifest["counts"]["input_rows"]
    console = Console()
    console.print(
        f"curator audit of {rows:,} rows ({args.input.name}), workers={args.workers}, {cores} cores visible, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    table = Table("measure", "seconds", title=f"best of {args.repeat}", title_justify="left")
    table.add_row("wall time, best", f"{best_seconds:.1f}")
    table.add_row("wall time, median", f"{statistics.median(r[0] for r in runs):.1f}")
    timings = manifest["timings"]
    table.add_row("  engine (read, stages, write)", f"{timings['engine_seconds']:.1f}")
    table.add_row("  adapt rows into records (all workers)", f"{timings['adapt_seconds']:.1f}")
    for name, seconds in timings["stage_seconds"].items():
        table.add_row(f"  stage {name} (all workers)", f"{seconds:.1f}")
    table.add_row(
        "`curator report` alone (read the run, all sections, HTML), best", f"{min(r[2] for r in runs):.1f}"
    )
    console.print(table)
    console.print(f"stages: {', '.join(s['name'] for s in manifest['stages'])}")
    if args.settings:
        console.print(f"settings: {' '.join(args.settings)}")
    console.print(f"rows per second (best): {rows / best_seconds:,.0f}")


if __name__ == "__main__":
    main()
