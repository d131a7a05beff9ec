"""Driver memory of MinHash dedup's reduce: in the driver (one process) vs partitioned on Ray.

Input: N rows built from the real Alpaca 52k (en) release: the first cycle as is, later cycles a
third exact copies, a third near copies (one word changed, or case/punctuation) and a third new
text (benchmarks/scale.py's recipe). A child process computes the default ``minhash_dedup``
signatures shard by shard (10,000 rows) and writes them as the Ray engine's workers do
(``PartitionedReduce.save``: .npz per shard). Real signatures are computed for at most
``--pool`` rows (default 1 M: ~0.4 CPU-ms per row); a larger size repeats the pool's shard files
in cycles whose band keys are XOR-ed with a per-cycle salt (and ids renumbered), except every
10th record, left as is: a salted cycle is new text with the pool's duplicate structure, the
unsalted records are exact copies across cycles. Shingles stay as they are (Jaccard is only
computed for candidate pairs, which need equal band keys). Then, each in a fresh process:

* ``driver``: loads every shard's signatures and runs ``MinHashDedup.reduce`` (what the local
  engine, and the Ray engine before this change, do in the driver);
* ``local``: the local engine's partitioned reduce (``LocalEngine._reduce_partitioned``) on a
  pool of 2 processes: the driver passes paths and offsets, pool processes hold one partition
  (of at most ``ROWS_PER_PART`` rows) at a time and the merge writes the decisions; the pool's
  CPU and peak RSS are the children's (``RUSAGE_CHILDREN``, after the pool has exited);
* ``ray``: a local Ray with 2 CPUs runs ``reduce_on_ray`` (the Ray engine's code path): the
  driver passes paths and offsets, Ray tasks hold the partitions, a task writes the decisions.

Measured: the measuring process's peak RSS (ru_maxrss; for Ray, the driver only: workers are
separate processes, whose peak RSS is reported next to it), its CPU seconds and wall seconds,
and for Ray the CPU seconds of every Ray process (raylet, GCS, workers) the driver started; the
two reduces' decisions are compared (they must be equal). ``--driver-max`` skips the in-driver
baseline above that size (it holds ~0.66 KiB per row).

Usage: python benchmarks/ray_reduce.py [--sizes 100000 1000000] [--pool 1000000] [--driver-max 5000000]
[--modes driver local ray]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import ALPACA, perturb  # the same real-derived rows as scale.py

SHARD = 10_000


def build_pool(pool: int, folder: Path) -> None:
    """Real signature files of ``pool`` rows (one per 10,000)."""
    from curator.records import InstructionRecord
    from curator.stages.minhash_dedup import MinHashDedup, MinHashDedupConfig

    with gzip.open(ALPACA, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    rng = random.Random(pool)
    stage = MinHashDedup(MinHashDedupConfig())
    plan = stage.partitioned_reduce()
    counts = []
    pool_shards = []
    for shard, start in enumerate(range(0, pool, SHARD)):
        batch = []
        for index in range(start, min(pool, start + SHARD)):
            row = rows[index % len(rows)]
            prompt = (row["instruction"] + "\n" + row["input"]).strip()
            output = row["output"]
            if index >= len(rows):
                choice = rng.randrange(3)
                if choice == 1:
                    output = perturb(output, rng)
                elif choice == 2:
                    prompt = f"{prompt} (case {index})"
            batch.append(
                InstructionRecord(
                    id=f"{index:024x}",
                    messages=[{"role": "user", "content": prompt}, {"role": "assistant", "content": output}],
                    provenance={"source": "alpaca", "row": index},
                )
            )
        path = folder / "sig" / f"{shard:06d}.npz"
        plan.save(stage.signatures(batch), path)
        pool_shards.append(path)
        counts.append(len(batch))
    (folder / "done").write_text(str(pool))


def build(size: int, folder: Path, pool_folder: Path) -> None:
    """The signature files of ``size`` rows: the pool's first shards, then salted cycles."""
    pool_shards = sorted((pool_folder / "sig").glob("*.npz"))
    counts: list[int] = []
    (folder / "sig").mkdir(parents=True)
    for source in pool_shards:
        if sum(counts) >= size:
            break
        with np.load(source, allow_pickle=False) as data:
            n = len(data["counts"])
        assert sum(counts) + n <= size, "sizes are multiples of the shard size"
        (folder / "sig" / source.name).symlink_to(source)
        counts.append(n)
    salted(folder, pool_shards, size, counts)
    np.save(folder / "offsets.npy", np.cumsum([0, *counts]))


def salted(folder: Path, pool_shards: list[Path], size: int, counts: list[int]) -> None:
    """Shards beyond the pool: its shard files again, band keys XOR-ed with a salt per cycle."""
    from curator.dedup.partitioned import load_arrays, save_arrays

    done = sum(counts)
    cycle = 0
    while done < size:
        cycle += 1
        salt = np.uint32((cycle * 0x9E3779B1) & 0xFFFFFFFF)
        for source in pool_shards:
            if done >= size:
                break
            a = load_arrays(source)
            n = min(len(a["counts"]), size - done)
            keys = a["keys"][:n].copy()
            salted_rows = np.arange(n) % 10 != 0  # every 10th record: an exact copy across cycles
            keys[salted_rows] ^= salt.astype(keys.dtype)
            ids = a["ids"][:n].copy()
            ids[:, :4] = np.frombuffer(np.uint32(cycle).byteswap().tobytes(), np.uint8)  # unique again
            end = int(np.cumsum(a["counts"][:n].astype(np.int64))[-1]) if n else 0
            save_arrays(
                folder / "sig" / f"{len(counts):06d}.npz",
                keys=keys,
                counts=a["counts"][:n],
                shingles=a["shingles"][:end] if "shingles" in a else None,
                values=a["values"][:n] if "values" in a else None,
                ids=ids,
            )
            counts.append(n)
            done += n


def measure(mode: str, folder: Path) -> dict:
    from curator.dedup.partitioned import StoredDecisions, load_arrays, save_decisions
    from curator.stages.minhash_dedup import MinHashDedup, MinHashDedupConfig, MinHashSignatures

    offsets = np.load(folder / "offsets.npy")
    paths = sorted((folder / "sig").glob("*.npz"))
    stage = MinHashDedup(MinHashDedupConfig())
    out = folder / mode
    decisions = [out / f"{i:06d}.npz" for i in range(len(paths))]
    cpu, wall = time.process_time(), time.perf_counter()
    worker_rss, ray_cpu = 0, 0.0
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
    elif mode == "local":
        from concurrent.futures import ProcessPoolExecutor

        from curator.engines.local import LocalEngine
        from curator.engines.passes import ReduceFiles

        files = ReduceFiles(paths, offsets, out / "scratch", decisions)
        with ProcessPoolExecutor(2) as pool:
            LocalEngine(2)._reduce_partitioned(pool, stage.partitioned_reduce(), files)
        clustered = None
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_rss = children.ru_maxrss * 1024
        ray_cpu = children.ru_utime + children.ru_stime
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
        ray_cpu = _ray_cpu_seconds()
        ray.shutdown()
    result = {
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "worker_rss": worker_rss,
        "ray_cpu_s": ray_cpu,
        "clustered": clustered,
        "removed": sum(int((~StoredDecisions(p).load().kept).sum()) for p in decisions),
    }
    return result


def _ray_cpu_seconds() -> float:
    """CPU seconds of every process this driver started (Ray's raylet, GCS and workers)."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def _same_decisions(folder: Path, other: str) -> None:
    from curator.dedup.partitioned import load_arrays

    driver, ray = sorted((folder / "driver").glob("*.npz")), sorted((folder / other).glob("*.npz"))
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
    parser.add_argument("--pool", type=int, default=1_000_000, help="rows with real signatures")
    parser.add_argument("--driver-max", type=int, default=5_000_000, help="largest in-driver baseline")
    parser.add_argument("--modes", nargs="+", default=["driver", "ray"], choices=["driver", "local", "ray"])
    parser.add_argument("--keep", type=Path, help="work folder kept between runs (the pool is reused)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, folder = args.child
        if mode == "pool":
            build_pool(int(Path(folder).name.split("-")[1]), Path(folder))
            print("{}")
        else:
            print(json.dumps(measure(mode, Path(folder))))
        return
    if not ALPACA.exists():
        print(f"skipped: {ALPACA} is absent")
        return
    print(
        "| rows | reduce | driver peak RSS MiB | driver CPU s | wall s | all Ray processes CPU s "
        "| Ray worker / pool peak RSS MiB | removed |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    print("<!-- local: the CPU column after the driver's is the pool processes' (RUSAGE_CHILDREN) -->")
    with tempfile.TemporaryDirectory(prefix="ray-reduce-") as tmp:
        root = args.keep or Path(tmp)
        pool_rows = min(args.pool, max(args.sizes))
        pool_folder = root / f"pool-{pool_rows}"
        if not (pool_folder / "done").exists():
            shutil.rmtree(pool_folder, ignore_errors=True)
            pool_folder.mkdir(parents=True)
            started, cpu = time.perf_counter(), _children_cpu()
            _child("--child", "pool", str(pool_folder))
            print(
                f"<!-- pool of {pool_rows:,} rows: real signatures in {time.perf_counter() - started:.0f} s "
                f"wall, {_children_cpu() - cpu:.0f} CPU s -->"
            )
        for size in args.sizes:
            folder = root / f"{size}-rows"
            shutil.rmtree(folder, ignore_errors=True)
            build(size, folder, pool_folder)
            modes = [m for m in args.modes if m != "driver" or size <= args.driver_max]
            results = {mode: _child("--child", mode, str(folder)) for mode in modes}
            for mode, r in results.items():
                worker = f"{r['worker_rss'] / 2**20:.0f}" if r["worker_rss"] else "–"
                ray_cpu = f"{r['ray_cpu_s']:.0f}" if r["ray_cpu_s"] else "–"
                rss = r["peak_rss"] / 2**20
                print(f"| {size:,} | {mode} | {rss:.0f} | {r['cpu_s']:.1f} | {r['wall_s']:.1f} ", end="")
                print(f"| {ray_cpu} | {worker} | {r['removed']:,} |")
            for other in results.keys() - {"driver"} if "driver" in results else ():
                assert results["driver"]["removed"] == results[other]["removed"], "the reduces disagree"
                _same_decisions(folder, other)
            shutil.rmtree(folder)
            sys.stdout.flush()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
