"""Speed and memory of the model-score stages on Alpaca (../shared/data), end to end through
``run_recipe`` (read, adapt, stage, write), in CPU seconds so a busy machine does not skew them.

* ``semantic_dedup`` with all-MiniLM-L6-v2 (``text: user``, 128 tokens, float16 embeddings):
  records per CPU-second, the reduce (k-means + pairs) share, and peak memory (max RSS) of a
  child process that does only this run. Goal: ≥ 200 records/s on 2 cores, ≤ 2 GiB.
* ``lm_score`` (answer loss + IFD, the stage's defaults) with proxy-tiny trained 100 steps on
  2,000 held-apart Alpaca rows, once with the byte-level tokenizer (the baseline proxy) and once
  with the BPE it learns from those rows (lm_score's default), each scored in fp32 and bf16.
  Training is not timed: each proxy is trained once, cached, before the timed runs. Also printed:
  bf16 vs fp32 and BPE vs byte score agreement (Spearman), and each proxy's held-out bits per
  byte. Goal: ≥ 500 records/s on 2 cores.
* Baseline measured in the same run: the same rows through an ``exact_dedup``-only recipe.

"records/s on 2 cores" below is records ÷ CPU-seconds × 2: what two fully used cores give with
``run.workers: 2`` (each worker runs its model on one thread; the reduce is one process). The
wall-clock time is printed too, with the machine's load, for what it is worth.

Usage: python benchmarks/model_scores.py [--rows 10000] [--lm-rows 5000] [--workers 1]
Skips (exit 0) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALPACA = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"


def child(recipe: str, out: str) -> None:
    """Run one recipe in this (child) process; print CPU seconds, wall seconds, max RSS, manifest stages."""
    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe

    cpu, wall = time.process_time(), time.perf_counter()
    manifest = run_recipe(load_recipe(recipe), Path(out), report=None).manifest
    cpu = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += children.ru_utime + children.ru_stime  # pool workers, if any
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak = children.ru_maxrss / 1024  # the largest pool worker (0 with workers: 1)
    stages = {s["name"]: {"removed": s["removed"], "kept": s["kept"]} for s in manifest["stages"]}
    measured = {
        "cpu": cpu,
        "wall": time.perf_counter() - wall,
        "main_mib": main_peak,
        "worker_mib": worker_peak,
    }
    print(json.dumps({**measured, "stages": stages}))


def run_child(folder: Path, name: str, stages: list[dict], workers: int, rows_file: str) -> dict:
    import yaml

    recipe = {
        "name": name,
        "sources": [{"name": "alpaca", "path": rows_file, "format": "alpaca", "license": "CC-BY-NC-4.0"}],
        "stages": stages,
        "run": {"workers": workers, "batch_size": 2000},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), str(folder / f"run_{name}")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=10000, help="Alpaca rows for semantic_dedup (52002: all)."
    )
    parser.add_argument("--lm-rows", type=int, default=5000, help="Alpaca rows for lm_score.")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--only", choices=("dedup", "lm"), help="Measure only semantic_dedup or only lm_score (+ baseline)."
    )
    parser.add_argument(
        "--lm-model",
        type=Path,
        nargs="+",
        help="Score with these trained proxy folders (e.g. a byte and a BPE proxy-tiny from "
        "$CURATOR_CACHE/proxies/*/model) instead of training the two proxies first.",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    if not ALPACA.exists():
        print(f"skipped: {ALPACA} is not present (../shared/data is only in the project's workspace)")
        return 0
    with gzip.open(ALPACA) as handle:
        rows = json.load(handle)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("CURATOR_CACHE", str(folder / "cache"))  # set it to keep the proxies
        (folder / "dedup.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[: args.rows]))
        (folder / "score.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[: args.lm_rows]))
        (folder / "reference.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[-2000:]))
        (folder / "warm.jsonl").write_text(json.dumps(rows[0]) + "\n")  # trains the proxy, scores one row
        lm = {
            "type": "lm_score",
            "model": "proxy-tiny",
            "reference": "reference.jsonl",
            "proxy_steps": 100,
            "max_tokens": 512,
        }
        plan = []
        trained: dict[str, list[Path]] = {}  # tokenizer -> the proxy folder trained for it
        if args.only != "lm":
            plan += [
                ("baseline exact_dedup", [{"type": "exact_dedup"}], "dedup.jsonl", args.rows),
                ("semantic_dedup MiniLM", [{"type": "semantic_dedup"}], "dedup.jsonl", args.rows),
            ]
        # proxy-tiny with each tokenizer: the byte-level one (the baseline) and the BPE learnt from the
        # reference set (lm_score's default); both trained once, untimed, with the same steps and rows.
        proxies = {tok: {**lm, "proxy_tokenizer": tok} for tok in ("byte", "bpe")}
        if args.lm_model:  # a byte proxy has curator_tokenizer.json, a BPE one tokenizer.json
            proxies = {}
            for model in args.lm_model:
                tok = "byte" if (model / "curator_tokenizer.json").is_file() else "bpe"
                proxies[tok] = {"type": "lm_score", "model": str(model.resolve()), "max_tokens": 512}
                trained[tok] = [model]
        if args.only != "dedup":
            if not args.lm_model:
                cache = Path(os.environ["CURATOR_CACHE"]) / "proxies"
                for tok, stage in proxies.items():  # trains and caches the proxy; untimed
                    before = set(cache.glob("*/model"))
                    run_child(folder, f"warm_{tok}", [stage], 1, "warm.jsonl")
                    trained[tok] = sorted(set(cache.glob("*/model")) - before) or sorted(before)[-1:]
            plan.append(("baseline exact_dedup", [{"type": "exact_dedup"}], "score.jsonl", args.lm_rows))
            for tok, stage in proxies.items():
                for precision in ("fp32", "bf16"):
                    label = f"lm_score proxy-tiny {tok} {precision}"
                    plan.append((label, [{**stage, "precision": precision}], "score.jsonl", args.lm_rows))
        for label, stages, rows_file, count in plan:
            name = "_".join([*label.split()[0:3:2], *label.split()[3:], rows_file.split(".")[0]])
            measured = run_child(folder, name, stages, args.workers, rows_file)
            measured.update(label=label, rows=count, name=name)
            results.append(measured)
        scored = {r["label"].split()[-2:][0] + " " + r["label"].split()[-1]: r["name"] for r in results
                  if r["label"].startswith("lm_score")}
        agreement = []
        for tok in proxies:
            if f"{tok} fp32" in scored:
                agreement += agreement_lines(folder, scored[f"{tok} fp32"], scored[f"{tok} bf16"],
                                             f"proxy-tiny {tok}: bf16 vs fp32")
        if "byte fp32" in scored and "bpe fp32" in scored:
            agreement += agreement_lines(folder, scored["byte fp32"], scored["bpe fp32"],
                                         "proxy-tiny bpe vs byte (fp32): do the two proxies rank alike?")
        for tok, models in trained.items():
            agreement += held_out_bits_per_byte(folder, tok, models[0])
    load = os.getloadavg()
    print(
        f"\nmachine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; "
        f"workers {args.workers}; CPU seconds include pool workers\n"
    )
    # Memory: the main process's peak RSS plus, with workers, the largest worker's times the worker
    # count — an upper bound on what the run held at once.
    print(
        "| run | records | CPU s | records / CPU-s | records/s on 2 cores | wall s | records / wall-s | "
        "peak MiB main | peak MiB worker | bound MiB | removed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        removed = sum(s["removed"] for s in r["stages"].values())
        rate = r["rows"] / r["cpu"]
        print(
            f"| {r['label']} | {r['rows']:,} | {r['cpu']:.1f} | {rate:,.0f} | {2 * rate:,.0f} | "
            f"{r['wall']:.1f} | {r['rows'] / r['wall']:,.0f} | {r['main_mib']:,.0f} | "
            f"{r['worker_mib']:,.0f} | "
            f"{r['main_mib'] + args.workers * r['worker_mib'] * (args.workers > 1):,.0f} | {removed:,} |"
        )
    for line in agreement:
        print(line)
    return 0


def read_scores(folder: Path, name: str) -> dict[str, dict[str, float]]:
    out = {}
    for part in sorted((folder / f"run_{name}" / "data").glob("*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            out[row["id"]] = row["annotations"]["scores"]
    return out


def agreement_lines(folder: Path, first: str, second: str, title: str) -> list[str]:
    """How far two runs' scores are apart: max |difference| and Spearman rank correlation."""
    import numpy as np

    def spearman(a: np.ndarray, b: np.ndarray) -> float:  # ranks' Pearson correlation (no ties here)
        return float(np.corrcoef(a.argsort().argsort(), b.argsort().argsort())[0, 1])

    exact, fast = read_scores(folder, first), read_scores(folder, second)
    lines = ["", f"{title}, on the same {len(exact):,} records:"]
    for metric in ("answer_loss", "ifd"):
        ids = [i for i in exact if metric in exact[i] and metric in fast.get(i, {})]
        a = np.array([exact[i][metric] for i in ids])
        b = np.array([fast[i][metric] for i in ids])
        lines.append(
            f"- {metric}: max |Δ| {np.max(np.abs(a - b)):.4f} (mean values {a.mean():.3f} / {b.mean():.3f}), "
            f"Spearman ρ {spearman(a, b):.5f} ({len(ids):,} records)"
        )
    return lines


def held_out_bits_per_byte(folder: Path, tokenizer: str, model: Path) -> list[str]:
    """A proxy's bits per byte of the answers of the scored rows (none of them in its reference
    set): per byte, so the byte-level and the BPE proxy compare."""
    import math

    import numpy as np

    from curator.records import Message
    from curator.scoring.lm import LMScorer

    rows = [json.loads(line) for line in (folder / "score.jsonl").read_text().splitlines()][:2000]
    conversations = [
        [
            Message(role="user", content=r["instruction"] + (f"\n\n{r['input']}" if r["input"] else "")),
            Message(role="assistant", content=r["output"]),
        ]
        for r in rows
    ]
    scorer = LMScorer(str(model), max_tokens=512, device="cpu", precision="fp32", threads=1)
    loss = scorer.score(conversations, ifd=False)["loss"]
    nats = 0.0
    tokens = bytes_ = 0
    for mean, messages in zip(loss, conversations, strict=True):
        encoded = scorer.encoder.encode(messages, 512)
        if encoded is None or not np.isfinite(mean):
            continue
        counted = int((encoded.targets != -100).sum())
        nats += mean * counted
        tokens += counted
        bytes_ += int(encoded.target_bytes.sum())
    return [
        f"- proxy-tiny {tokenizer} ({scorer.encoder.vocab_size:,} tokens): held-out "
        f"{nats / math.log(2) / bytes_:.4f} bits per byte of answer text on {len(rows):,} scored rows "
        f"(fp32; {bytes_ / tokens:.2f} bytes per answer token)"
    ]


if __name__ == "__main__":
    sys.exit(main())
