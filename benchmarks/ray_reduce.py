"""Driver memory of MinHash dedup's reduce: in the driver (one process) vs partitioned on Ray.

Input: N rows built from the real Alpaca 52k (en) release: the first cycle as is, later cycles a
third exact copies, a third near copies (one word changed, or case/punctuation) and a third new
text (benchmarks/scale.py's recipe). A child process computes the default ``minhash_dedup``
signatures shard by shard (10,000 rows) and writes them as the Ray engine's workers do
(``PartitionedReduce.save``: .npz per shard). Then, each in a fresh process:

* ``driver``: loads every shard's signatures and runs ``MinHashDedup.reduce`` (what the local
  engine, and the Ray engine before this change, do in the driver);
* ``ray``: a local Ray with 2 CPUs runs ``reduce_on_ray`` (the Ray engine's code path): the
  driver passes paths and offsets, Ray tasks hold the partitions, a task writes the decisions.

Measured: the measuring process's peak RSS (ru_maxrss; for Ray, the driver only: workers are
separate processes, whose peak RSS is reported next to it), its CPU seconds and wall seconds;
the two reduces' decisions are compared (they must be equal).

Usage: python benchmarks/ray_reduce.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ALPACA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
SHARD = 10_000


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    kind = rng.randrange(3)
    if kind == 0 and len(words) > 3:
        words[rng.randrange(len(words))] = rng.choice(["really", "quite", "the", "very"])
        return " ".join(words)
    if kind == 1:
        return text.upper() if rng.random() < 0.5 else text.lower()
    return text.replace(".", "!").replace(",", "")


def build(size: int, folder: Path) -> None:
    """Signature files of ``size`` rows (one per 10,000) and their offsets."""
    from curator.records import InstructionRecord
    from curator.stages.minhash_dedup import MinHashDedup, MinHashDedupConfig

    with gzip.open(ALPACA, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    rng = random.Random(size)
    stage = MinHashDedup(MinHashDedupConfig())
    plan = stage.partitioned_reduce()
    counts = []
    for shard, start in enumerate(range(0, size, SHARD)):
        batch = []
        for index in range(start, min(size, start + SHARD)):
            row = rows[index % len(rows)]
            prompt = (row["instruction"] + "\n" + row["input"]).strip()
            output = row["output"]
            if index >= len(rows):
                choice = rng.randrange(3)
                if choice == 1:
                    output = _perturb(output, rng)
                elif choice == 2:
                    prompt = f"{prompt} (case {index})"
            batch.append(
                InstructionRecord(
                    id=f"{index:024x}",
                    messages=[{"role": "user", "content": prompt}, {"role": "assistant", "content": output}],
                    provenance={"source": "alpaca", "row": index},
                )
            )
        plan.save(stage.signatures(batch), folder / "sig" / f"{shard:06d}.npz")
        counts.append(len(batch))
    np.save(folder / "offsets.npy", np.cumsum([0, *counts]))


def measure(mode: str, folder: Path) -> dict:
    from curator.dedup.partitioned import StoredDecisions, load_arrays, save_decisions
    from curator.stages.minhash_dedup import MinHashDedup, MinHashDedupConfig, MinHashSignatures

    offsets = np.load(folder / "offsets.npy")
    paths = sorted((folder / "sig").glob("*.npz"))
    stage = MinHashDedup(MinHashDedupConfig())
    out = folder / mode
    decisions = [out / f"{i:06d}.npz" for i in range(len(paths))]
    cpu, wall = time.process_time(), time.perf_counter()
    worker_rss = 0
    if mode == "driver":
        signatures = []
        for path in paths:
            a = load_arrays(path)
            signatures.append(
                MinHashSignatures(a["keys"], a["counts"], a.get("shingles"), a.get("values"), a["ids"])
            )
        for one, path in zip(stage.reduce(signatures), decisions, strict=True):
            save_decisions(path, one)
        clustered = None
    else:
        import ray

        from curator.engines.ray import reduce_on_ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        clustered = reduce_on_ray(
            ray, stage.partitioned_reduce(), paths, offsets, out / "scratch", decisions, 2
        )

        @ray.remote(num_cpus=1)
        def peak() -> int:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

        worker_rss = max(ray.get([peak.remote() for _ in range(4)]))
        ray.shutdown()
    result = {
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "worker_rss": worker_rss,
        "clustered": clustered,
        "removed": sum(int((~StoredDecisions(p).load().kept).sum()) for p in decisions),
    }
    return result


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def _same_decisions(folder: Path) -> None:
    from curator.dedup.partitioned import load_arrays

    driver, ray = sorted((folder / "driver").glob("*.npz")), sorted((folder / "ray").glob("*.npz"))
    assert len(driver) == len(ray)
    for a, b in zip(driver, ray, strict=True):
        left, right = load_arrays(a), load_arrays(b)
        assert left.keys() == right.keys()
        for name in left:
            np.testing.assert_array_equal(left[name], right[name], err_msg=f"decisions differ: {a.name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, folder = args.child
        if mode == "build":
            build(int(Path(folder).name.split("-")[0]), Path(folder))
            print("{}")
        else:
            print(json.dumps(measure(mode, Path(folder))))
        return
    if not ALPACA.exists():
        print(f"skipped: {ALPACA} is absent")
        return
    print(
        "| rows | reduce | driver peak RSS MiB | driver CPU s | wall s | Ray worker peak RSS MiB | removed |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="ray-reduce-") as tmp:
        for size in args.sizes:
            folder = Path(tmp) / f"{size}-rows"
            folder.mkdir()
            started = time.perf_counter()
            _child("--child", "build", str(folder))
            print(f"<!-- {size:,} rows: signatures built in {time.perf_counter() - started:.0f} s wall -->")
            results = {mode: _child("--child", mode, str(folder)) for mode in ("driver", "ray")}
            for mode, r in results.items():
                worker = f"{r['worker_rss'] / 2**20:.0f}" if r["worker_rss"] else "–"
                rss = r["peak_rss"] / 2**20
                print(f"| {size:,} | {mode} | {rss:.0f} | {r['cpu_s']:.1f} | {r['wall_s']:.1f} ", end="")
                print(f"| {worker} | {r['removed']:,} |")
            assert results["driver"]["removed"] == results["ray"]["removed"], "the two reduces disagree"
            _same_decisions(folder)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
