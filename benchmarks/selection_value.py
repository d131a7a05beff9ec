"""Does model-based selection pick better training data? Equal compute, bundled runner, ≥ 3 seeds.

1. The dirty Alpaca mixture of ``benchmarks/curation_value.py`` (clean rows + exact and near
   duplicates + Chinese rows + empty/placeholder/refusal answers), and its held-out sets
   (held-out Alpaca rows, Self-Instruct's 252 user-oriented tasks).
2. One curation run: the rule stages of curation_value (quality, exact and MinHash dedup,
   language) + ``lm_score`` with proxy-tiny trained on 1,000 *other* Alpaca rows (Cherry LLM's
   "brief pre-experience"; answer loss and IFD) + ``semantic_dedup`` (MiniLM, ``action: tag``).
3. Four arms drawn from the curated records, each trained with the same proxy, steps, batch and
   sequence length (equal compute):
   * ``all``: every curated record;
   * ``random30``: a seeded random 30 % (a different sample per seed);
   * ``ifd30``: the top 30 % by IFD among records with IFD ≤ 1 (Cherry LLM);
   * ``semdedup_quality30``: records not tagged as semantic duplicates, the 30 % with the lowest
     proxy answer loss (the "quality score" here: no quality classifier installs offline).
4. Held-out bits per byte (mean over the held-out sets; lower is better), mean ± sd over seeds.

No GPU was available to this benchmark's author; on a GPU, pass ``--model proxy-small`` (or
bigger) and more ``--steps``.

Usage: python benchmarks/selection_value.py [--clean 3000] [--steps 150] [--seeds 0 1 2] [--jobs 1]
       [--reuse] [--out DIR]
Skips (exit 0) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from curation_value import SHARED, build, curation_stages  # noqa: E402

ARMS = ("all", "random30", "ifd30", "semdedup_quality30")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clean", type=int, default=3000, help="Clean Alpaca rows in the dirty mixture.")
    parser.add_argument("--heldout", type=int, default=400)
    parser.add_argument("--reference", type=int, default=1000, help="Alpaca rows the scoring proxy learns.")
    parser.add_argument("--model", default="proxy-tiny")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument(
        "--score-steps", type=int, help="Training steps of the scoring proxy (default: --steps)."
    )
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--fraction", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--jobs", type=int, default=1, help="Trainings run at once, each in its own process (same settings)."
    )
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the curation run in --out if its recipe is unchanged."
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per training (1: no spinning on a busy machine).",
    )
    parser.add_argument("--train", help=argparse.SUPPRESS)  # SEED:MIXTURE, in a child process
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "selection_value")
    args = parser.parse_args()
    if args.train:
        seed, mixture = args.train.split(":")
        print(json.dumps(train_one(args, int(seed), mixture)))
        return 0
    args.seed = 0
    args.max_generate = 0
    if not (SHARED / "alpaca_52k_en.json.gz").exists():
        print(f"skipped: {SHARED} is not present (../shared/data is only in the project's workspace)")
        return 0
    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe

    started, cpu_started = time.perf_counter(), time.process_time()
    folder = args.out
    folder.mkdir(parents=True, exist_ok=True)
    mix = build(args, folder)
    with gzip.open(SHARED / "alpaca_52k_en.json.gz") as handle:
        english = json.load(handle)
    order = random.Random(args.seed).sample(range(len(english)), len(english))  # the order build() used
    used = args.heldout + args.clean + args.clean // 4 + args.clean // 6
    assert used + args.reference <= len(order)
    with (folder / "reference.jsonl").open("w", encoding="utf-8") as handle:
        for i in order[-args.reference :]:  # never in the mixture, its junk, or the held-out set
            handle.write(json.dumps(english[i], ensure_ascii=False) + "\n")

    stages, missing = curation_stages()
    recipe = {
        "name": "selection_value",
        "seed": 0,
        "sources": [
            {"name": "dirty_alpaca", "path": "dirty.jsonl", "format": "alpaca", "license": "CC-BY-NC-4.0"}
        ],
        "stages": stages,
        "run": {"workers": args.workers},
    }
    # The rule stages alone decide what is kept (the model stages below only annotate and tag):
    # a first, cheap run tells how many records 30 % is.
    (folder / "rules.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    manifest = run_recipe(
        load_recipe(folder / "rules.yaml"), folder / "rules", overwrite=True, report=None
    ).manifest
    curated = manifest["counts"]["kept"]
    count = round(args.fraction * curated)
    recipe["stages"] = [
        *stages,
        {
            "type": "lm_score",
            "model": args.model,
            "reference": "reference.jsonl",
            "proxy_steps": args.score_steps or args.steps,
            "max_tokens": args.seq_len,
        },
        {"type": "semantic_dedup", "action": "tag"},
    ]
    recipe["mixtures"] = [
        {"name": "all"},
        *({"name": f"random30_s{s}", "size": count, "seed": s} for s in args.seeds),
        {"name": "ifd30", "select": {"score": "ifd", "max": 1.0, "top_count": count}},
        {
            "name": "semdedup_quality30",
            "exclude_flags": ["semantic_dedup:*"],
            "select": {"score": "answer_loss", "order": "lowest", "top_count": count},
        },
    ]
    text = yaml.safe_dump(recipe, sort_keys=False)
    run_dir = folder / "run"
    recipe_file = folder / "recipe.yaml"
    if (
        args.reuse
        and (run_dir / "manifest.json").is_file()
        and recipe_file.read_text(encoding="utf-8") == text
    ):
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        print(f"reusing the curation run in {run_dir}")
    else:
        recipe_file.write_text(text, encoding="utf-8")
        manifest = run_recipe(load_recipe(recipe_file), run_dir, overwrite=True).manifest
    assert manifest["counts"]["kept"] == curated
    curation_seconds = time.perf_counter() - started

    # Every (seed, arm) training is a child process with the same settings; --jobs of them at once.
    jobs = [(seed, arm) for seed in args.seeds for arm in ARMS]
    outcomes = run_children(args, jobs)
    results: dict[str, list[float]] = {
        arm: [outcomes[(seed, arm)]["bpb"] for seed in args.seeds] for arm in ARMS
    }
    records = {arm: outcomes[(args.seeds[0], arm)]["records"] for arm in ARMS}
    summary = {"mix": mix, "results": results, "records": records, "curated": curated}
    (folder / "selection_value.json").write_text(json.dumps(summary, indent=2) + "\n")

    print("\n## The dirty mixture\n")
    print("| rows | kind |\n|---:|---|")
    for kind, n in sorted(mix.items(), key=lambda kv: -kv[1]):
        print(f"| {n:,} | {kind} |")
    print(
        f"\ncurated: kept {curated:,} of {manifest['counts']['input_rows']:,} rows; 30 % = {count:,} records"
    )
    tagged = next(s for s in manifest["stages"] if s["type"] == "semantic_dedup")["tagged"]
    print(f"semantic duplicates tagged (MiniLM, cosine ≥ 0.95 on the prompt): {tagged:,}")
    if missing:
        print(f"stages not in this checkout (not used): {', '.join(missing)}")
    print(
        f"\n## Held-out bits per byte ({args.model}, {args.steps} steps × {args.batch_size} × {args.seq_len} "
        f"tokens, seeds {' '.join(map(str, args.seeds))}; lower is better)\n"
    )
    print("| arm | records | bits/byte mean ± sd | vs all | per seed |\n|---|---:|---:|---:|---|")
    base = statistics.mean(results["all"])
    for arm in ARMS:
        values = results[arm]
        mean = statistics.mean(values)
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        print(
            f"| {arm} | {records[arm]:,} | {mean:.4f} ± {sd:.4f} | {100 * (mean - base) / base:+.2f} % | "
            f"{', '.join(f'{v:.4f}' for v in values)} |"
        )
    best = min(ARMS, key=lambda a: statistics.mean(results[a]))
    print(
        f"\nlowest mean: {best}. wall: curation {curation_seconds:.0f} s, total "
        f"{time.perf_counter() - started:.0f} s; CPU (incl. children): {cpu_seconds(cpu_started):.0f} s; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return 0


def mixture_of(seed: int, arm: str) -> str:
    return f"random30_s{seed}" if arm == "random30" else arm


def train_one(args: argparse.Namespace, seed: int, arm: str) -> dict:
    """One arm, one seed: the bundled runner's validation of that mixture; its mean held-out bpb."""
    from curator.train.runner import validate_run
    from curator.validation import ValidationConfig

    validation = ValidationConfig(
        eval=[{"path": "alpaca_heldout.jsonl", "name": "alpaca_heldout"}, {"path": "user_oriented.jsonl"}],
        model=args.model,
        steps=args.steps,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        threads=args.threads,
        seed=seed,
        eval_at_start=False,
        max_generate=0,
        baseline=False,
        out=f"validation_s{seed}_{arm}",
        log_every=50,
        mixtures=[mixture_of(seed, arm)],
    )
    scorecard = validate_run(args.out / "run", validation, base_dir=args.out, overwrite=True)
    (entry,) = scorecard["entries"]
    return {"bpb": entry["mean_bits_per_byte"], "records": entry["records"]}


def run_children(args: argparse.Namespace, jobs: list[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    """Run the trainings as child processes, ``args.jobs`` at a time (they inherit this process's nice)."""
    argv = [a for a in sys.argv[1:] if a != "--reuse"]
    pending, running, done = list(jobs), {}, {}
    while pending or running:
        while pending and len(running) < max(1, args.jobs):
            seed, arm = pending.pop(0)
            command = [sys.executable, __file__, *argv, "--train", f"{seed}:{arm}"]
            running[(seed, arm)] = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        for key, process in list(running.items()):
            if process.poll() is None:
                continue
            output = process.stdout.read() if process.stdout else ""
            del running[key]
            if process.returncode != 0:
                raise SystemExit(f"training {key} failed (exit {process.returncode})")
            done[key] = json.loads(output.strip().splitlines()[-1])
            print(f"seed {key[0]} {key[1]}: {done[key]['bpb']:.4f} bits/byte", flush=True)
    return done


def cpu_seconds(started: float) -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() - started + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    sys.exit(main())
