"""Peak memory of ``curator train`` against the size of the training set (CPU, proxy-small).

For each size, a JSONL file of that many Alpaca-format examples made from real Alpaca rows (a
real instruction, sometimes a real input, and an answer of real answer sentences drawn at random,
as long as a real answer; seeded) is written, then ``curator train FILE --model proxy-small
--steps N`` runs in a fresh process and its peak RSS (``wait4`` rusage of that process) is read.
Training memory that does not grow with the data shows as a flat peak RSS across sizes; the
slope column is (peak − peak of the smallest size) ÷ the extra examples.

``--before DIR`` runs the same commands a second time with ``PYTHONPATH=DIR`` (a checkout of an
earlier version, e.g. ``git archive <commit> | tar -x -C DIR``): the baseline, in the same run.

``--forward-rows`` measures the same training run a micro-batch's rows at a time (0: the default
setting, 2 rows per pass on a CPU) and in one pass (8): same rows, same gradient up to rounding.

Usage: python benchmarks/train_memory.py [--sizes 50000 200000 500000] [--steps 3] [--forward-rows 0 8]
       [--before DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALPACA_52K = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
EVAL = ROOT / "sample_data" / "user_oriented_instructions.jsonl"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def synthetic_rows(rows: list[dict], total: int, seed: int):
    """``total`` Alpaca rows made from real ones (see the module docstring)."""
    rng = random.Random(seed)
    sentences = [s for row in rows for s in _SENTENCE.split(row["output"]) if s]
    lengths = [len(row["output"].split()) for row in rows]
    for _ in range(total):
        target, words, parts = rng.choice(lengths), 0, []
        while words < target:
            parts.append(rng.choice(sentences))
            words += len(parts[-1].split())
        yield {
            "instruction": rng.choice(rows)["instruction"],
            "input": rng.choice(rows)["input"] if rng.random() < 0.4 else "",
            "output": " ".join(parts),
        }


def write_rows(rows: list[dict], total: int, path: Path, seed: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in synthetic_rows(rows, total, seed):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def run_train(
    data: Path, out: Path, steps: int, batch_size: int, pythonpath: str, forward_rows: int = 0
) -> dict:
    """``curator train`` in a fresh process: peak RSS (MiB), CPU and wall seconds, its metrics."""
    command = [
        sys.executable, "-m", "curator.cli", "train", str(data), "--eval", str(EVAL), "--out", str(out),
        "--model", "proxy-small", "--steps", str(steps), "--seq-len", "512", "--batch-size", str(batch_size),
        "--max-eval-examples", "16", "--max-generate", "0", "--threads", "1", "--overwrite", "--quiet",
    ]  # fmt: skip
    if forward_rows:
        command += ["--forward-rows", str(forward_rows)]
    environment = {**os.environ, "PYTHONPATH": pythonpath}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"curator train failed ({process.returncode}):\n{output[-3000:]}")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    return {
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": time.perf_counter() - started,
        "examples": metrics["data"]["examples"],
        "final_loss": metrics["train"]["final_loss"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000, 500_000])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=8, help="rows of 512 tokens per step (default 8)")
    parser.add_argument(
        "--forward-rows",
        type=int,
        nargs="+",
        default=[0, 8],
        help="rows per forward pass to measure, 0 = the default setting (default: 0 and 8, i.e. one pass)",
    )
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version: the baseline")
    parser.add_argument("--before-sizes", type=int, nargs="+", help="sizes the baseline runs (default: all)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not ALPACA_52K.exists():
        sys.exit(f"skip: {ALPACA_52K} not found (the benchmark reads ../shared/data)")
    with gzip.open(ALPACA_52K, "rb") as handle:
        rows = json.loads(handle.read())
    versions = [
        (f"this checkout, forward rows {rows or 'default'}", str(ROOT), rows) for rows in args.forward_rows
    ]
    if args.before:
        versions.append((f"before ({args.before})", str(args.before.resolve()), 0))
    print(
        f"curator train --model proxy-small --steps {args.steps} --seq-len 512 "
        f"--batch-size {args.batch_size} --threads 1; "
        f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    print(
        f"{'version':<40} {'examples':>10} {'peak RSS MiB':>13} {'slope B/example':>16} {'CPU s':>8} "
        f"{'wall s':>8} {'final loss':>11}",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="train-memory-") as tmp:
        for size in args.sizes:
            data = Path(tmp) / f"synthetic_{size}.jsonl"
            write_rows(rows, size, data, args.seed)
            for label, pythonpath, forward_rows in versions:
                if pythonpath != str(ROOT) and args.before_sizes and size not in args.before_sizes:
                    continue
                out = Path(tmp) / "out"
                measured = run_train(data, out, args.steps, args.batch_size, pythonpath, forward_rows)
                result = {"version": label, "size": size, **measured}
                results.append(result)
                first = next(r for r in results if r["version"] == label)
                extra = result["examples"] - first["examples"]
                growth = (result["peak_rss_mib"] - first["peak_rss_mib"]) * 2**20
                slope = growth / extra if extra else float("nan")
                print(
                    f"{label:<40} {result['examples']:>10,} {result['peak_rss_mib']:>13,.0f} {slope:>16,.0f} "
                    f"{result['cpu_s']:>8.1f} {result['wall_s']:>8.1f} {result['final_loss']:>11.4f}",
                    flush=True,
                )
            data.unlink()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
