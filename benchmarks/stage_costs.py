"""CPU-seconds per million rows and bytes per row of the global stages' map and reduce, and of
decontamination, on the real Alpaca 52k (en) release — the capacity model's per-stage figures.

Records are built from the rows first (the baseline row: adapting rows to records, measured in
the same run); then, on the same records, in shards of 10,000 as an engine runs them:
``exact_dedup`` and ``minhash_dedup`` signatures (map) and reduce (in one process), their
signature bytes per row, and ``decontaminate`` against the Self-Instruct user-oriented eval set
(252 items) from sample_data/. CPU time of this process (``time.process_time``), best of
``--repeat``; per million rows = seconds / rows × 10⁶.

Usage: python benchmarks/stage_costs.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALPACA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
EVALS = ROOT / "sample_data" / "user_oriented_instructions.jsonl"
SHARD = 10_000


def best(repeat: int, step: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.process_time()
        result = step()
        times.append(time.process_time() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if not ALPACA.exists():
        print(f"skipped: {ALPACA} is absent")
        return
    from curator.ingest import adapt_rows
    from curator.io import RawRow
    from curator.stage_inputs import setup_context
    from curator.stages.decontaminate import Decontaminate, DecontaminateConfig
    from curator.stages.exact_dedup import ExactDedup, ExactDedupConfig
    from curator.stages.minhash_dedup import MinHashDedup, MinHashDedupConfig

    with gzip.open(ALPACA, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    rows = [RawRow("alpaca_52k_en.json", index, None, row) for index, row in enumerate(data)]

    def adapt() -> list:
        return [r for _, r in adapt_rows(rows, "alpaca", {}, {"source": "alpaca"})]

    seconds, records = best(args.repeat, adapt)
    n = len(records)
    shards = [records[i : i + SHARD] for i in range(0, n, SHARD)]
    table = [("adapt rows to records (baseline)", seconds, None)]
    for name, stage in (
        ("exact_dedup", ExactDedup(ExactDedupConfig())),
        ("minhash_dedup", MinHashDedup(MinHashDedupConfig())),
    ):
        seconds, signatures = best(args.repeat, lambda s=stage: [s.signatures(shard) for shard in shards])
        size = sum(
            getattr(s, f.name).nbytes
            for s in signatures
            for f in dataclasses.fields(s)
            if getattr(s, f.name) is not None
        )
        table.append((f"{name} signatures (map)", seconds, size / n))
        seconds, _ = best(args.repeat, lambda s=stage, sig=signatures: s.reduce(sig))
        table.append((f"{name} reduce (one process)", seconds, None))
    config = DecontaminateConfig(evals=[{"name": "user_oriented", "path": str(EVALS)}]).resolve_paths(ROOT)
    stage = Decontaminate(config)
    stage.setup(setup_context(config))
    seconds, _ = best(args.repeat, lambda: [stage.judge(shard) for shard in shards])
    table.append(("decontaminate (13-grams vs 252 eval items)", seconds, None))
    print(f"{n:,} Alpaca rows, shards of {SHARD:,}, best of {args.repeat}")
    print("| step | CPU s | CPU s per million rows | signature bytes per row |")
    print("|---|---:|---:|---:|")
    for name, seconds, per_row in table:
        size = f"{per_row:.0f}" if per_row is not None else "–"
        print(f"| {name} | {seconds:.2f} | {seconds / n * 1e6:.0f} | {size} |")


if __name__ == "__main__":
    main()
