"""Scale: the sample recipe's stages on 100k … 1M rows built from real Alpaca, on the local engine.

Input: the 52,002 Alpaca rows repeated with perturbations so that every stage has real work
(exact copies, near copies with an edited word, changed case or punctuation, and new text).
Stages: those of sample_data/recipe.yaml (PII, if present, in structured-only mode: no NER).
Measured: wall and CPU time (this process and its joined workers), rows/s, and the peak memory of
the whole process tree (driver + pool workers), sampled every 0.2 s from /proc (Linux): PSS (shared
pages split between the processes sharing them: what the tree really holds) overall and per pass
(the stages between global stages), and the RSS sum (which counts the pages forked workers share
with the main process once per process). Per process: the driver's own CPU (reading, set-up and
warm-up before the fork, reduces, outputs, the report: the serial part) and peak RSS, and each
worker's CPU and peak RSS. Growth from the smallest to the largest size shows whether time and
memory scale linearly.

Usage: python benchmarks/scale.py [--sizes 100000 1000000] [--workers 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from curator.pipeline import run_recipe
from curator.recipe import LoadedRecipe, Recipe

ROOT = Path(__file__).resolve().parents[1]
ALPACA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"


def perturb(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    kind = rng.randrange(3)
    if kind == 0 and len(words) > 3:
        words[rng.randrange(len(words))] = rng.choice(["really", "quite", "the", "very"])
        return " ".join(words)
    if kind == 1:
        return text.upper() if rng.random() < 0.5 else text.lower()
    return text.replace(".", "!").replace(",", "")


def build_input(path: Path, size: int) -> None:
    with gzip.open(ALPACA, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    rng = random.Random(size)
    with path.open("w", encoding="utf-8") as out:
        for index in range(size):
            row = dict(rows[index % len(rows)])
            cycle = index // len(rows)
            if cycle:  # later cycles: 1/3 exact copies, 1/3 near copies, 1/3 new (numbered) text
                choice = rng.randrange(3)
                if choice == 1:
                    row["output"] = perturb(row["output"], rng)
                elif choice == 2:
                    row["instruction"] = f"{row['instruction']} (case {index})"
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) bytes of a process and all its descendants, from /proc. Forked workers share the
    pages of what the main process loaded before forking: the RSS sum counts them once per process,
    the PSS sum (each shared page split between its sharers) counts them once."""
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/task/{current}/children") as children:
                stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return rss, pss


_TICK = os.sysconf("SC_CLK_TCK")


def process_stats(pid: int) -> dict[int, tuple[int, float]]:
    """(RSS bytes, CPU seconds so far) of ``pid`` and each of its descendants, by pid, from /proc."""
    found: dict[int, tuple[int, float]] = {}
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
            rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            found[current] = (rss, cpu)
            with open(f"/proc/{current}/task/{current}/children") as children:
                stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


class RssSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.pass_index = 0
        self.peak: dict[int, int] = {}  # PSS of the tree, per pass
        self.peak_rss = 0
        self.per_process: dict[int, list[float]] = {}  # pid → [peak RSS bytes, last CPU seconds seen]
        # This thread's own CPU: reading /proc/*/smaps_rollup of GiB-sized processes costs tens of
        # ms per sample, charged to the driver; it is subtracted from the driver's figures.
        self.cpu = 0.0
        self.running = True

    def run(self) -> None:
        started = time.thread_time()
        while self.running:
            rss, pss = tree_memory(os.getpid())
            self.peak[self.pass_index] = max(self.peak.get(self.pass_index, 0), pss)
            self.peak_rss = max(self.peak_rss, rss)
            for pid, (one_rss, cpu) in process_stats(os.getpid()).items():
                seen = self.per_process.setdefault(pid, [0, 0.0])
                seen[0], seen[1] = max(seen[0], one_rss), cpu
            self.cpu = time.thread_time() - started
            time.sleep(0.2)


def stages_of_sample() -> list[dict]:
    stages = yaml.safe_load((ROOT / "sample_data" / "recipe.yaml").read_text())["stages"]
    for stage in stages:
        if stage["type"] == "pii":
            stage["structured_only"] = True  # no NER: the "default recipe (no NER)"
            stage.pop("model", None)
    # Stages that name files next to the sample recipe (eval sets) get absolute paths.
    for stage in stages:
        for key, value in list(stage.items()):
            if isinstance(value, str):
                stage[key] = _sample_path(value)
            elif isinstance(value, list):
                stage[key] = [_sample_path(v) if isinstance(v, str) else _with_sample_path(v) for v in value]
    return stages


def _with_sample_path(item: object) -> object:
    if isinstance(item, dict) and isinstance(item.get("path"), str):
        return {**item, "path": _sample_path(item["path"])}
    return item


def _sample_path(value: str) -> str:
    candidate = ROOT / "sample_data" / value
    return str(candidate) if candidate.exists() else value


def measure(path: Path, size: int, workers: int, out: Path) -> dict:
    recipe = Recipe.model_validate(
        {
            "sources": [{"name": "alpaca", "path": str(path), "format": "alpaca", "license": "CC-BY-NC-4.0"}],
            "stages": stages_of_sample(),
            "run": {"batch_size": 5000, "workers": workers},
        }
    )
    loaded = LoadedRecipe(recipe=recipe, path=out / "recipe.yaml", base_dir=path.parent, sha256=str(size))
    sampler = RssSampler()
    sampler.start()

    def on_report(pass_index: int, _report) -> None:
        sampler.pass_index = pass_index

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    own_started = _own_cpu_seconds()
    manifest = run_recipe(loaded, out / "run", overwrite=True, on_report=on_report).manifest
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    own = _own_cpu_seconds() - own_started
    sampler.running = False
    sampler.join()
    assert manifest["conservation"]["holds"]
    driver_pid = os.getpid()
    workers = {pid: v for pid, v in sampler.per_process.items() if pid != driver_pid}
    return {
        "size": size,
        "wall": wall,
        "cpu": cpu - sampler.cpu,
        "sampler_cpu": sampler.cpu,
        "driver_cpu": own - sampler.cpu,  # this process: reading, set-up, warm-up, reduces, outputs, report
        "driver_peak_rss": sampler.per_process.get(driver_pid, [0, 0.0])[0],
        # each worker: peak RSS and its CPU as last sampled (≤ 0.2 s before it exited)
        "workers": sorted((v[0], v[1]) for v in workers.values()),
        "peak": max(sampler.peak.values()),
        "peak_rss": sampler.peak_rss,
        "passes": sampler.peak,
        "manifest": manifest,
    }


def _own_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _cpu_seconds() -> float:
    """CPU seconds of this process and the workers it has waited for (the pool is joined per run)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not ALPACA.exists():
        sys.exit(f"skip: {ALPACA} not found (the benchmark reads ../shared/data)")
    console = Console(width=200)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"alpaca_{size}.jsonl"
            build_input(path, size)
            results.append(measure(path, size, args.workers, Path(tmp)))
            path.unlink()
    stage_names = [s["name"] for s in results[0]["manifest"]["stages"]]
    table = Table(title=f"local engine, {args.workers} workers, stages: {', '.join(stage_names)}")
    for column in (
        "rows",
        "wall s",
        "CPU s",
        "rows/s",
        "rows/CPU-s",
        "peak PSS GiB",
        "peak RSS sum GiB",
        "per pass peak PSS GiB",
        "kept",
        "CPU ×",
        "rows ×",
    ):
        table.add_column(column, justify="right")
    base = results[0]
    for r in results:
        counts = r["manifest"]["counts"]
        passes = " / ".join(f"{v / 2**30:.2f}" for _, v in sorted(r["passes"].items()))
        table.add_row(
            f"{r['size']:,}",
            f"{r['wall']:.1f}",
            f"{r['cpu']:.1f}",
            f"{r['size'] / r['wall']:,.0f}",
            f"{r['size'] / r['cpu']:,.0f}",
            f"{r['peak'] / 2**30:.2f}",
            f"{r['peak_rss'] / 2**30:.2f}",
            passes,
            f"{counts['kept']:,}",
            f"{r['cpu'] / base['cpu']:.1f}",
            f"{r['size'] / base['size']:.0f}",
        )
    console.print(table)
    console.print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    processes = Table(title="per process: CPU s and peak RSS (workers share the driver's forked pages)")
    for column in (
        "rows",
        "driver CPU s",
        "driver peak RSS GiB",
        "workers: CPU s / peak RSS GiB",
        "memory sampler CPU s (not counted)",
    ):
        processes.add_column(column, justify="right")
    for r in results:
        shown = ", ".join(f"{cpu:.1f} / {rss / 2**30:.2f}" for rss, cpu in r["workers"])
        processes.add_row(
            f"{r['size']:,}",
            f"{r['driver_cpu']:.1f}",
            f"{r['driver_peak_rss'] / 2**30:.2f}",
            shown,
            f"{r['sampler_cpu']:.1f}",
        )
    console.print(processes)
    stage_table = Table(title="seconds per stage (wall time inside the stage, summed over workers)")
    stage_table.add_column("rows", justify="right")
    for name in ["adapt", *stage_names]:
        stage_table.add_column(name, justify="right")
    for r in results:
        timings = r["manifest"]["timings"]
        cells = [f"{timings['adapt_seconds']:.1f}"] + [
            f"{timings['stage_seconds'].get(n, 0):.1f}" for n in stage_names
        ]
        stage_table.add_row(f"{r['size']:,}", *cells)
    console.print(stage_table)


if __name__ == "__main__":
    main()
