"""The point of the product: curated data trains a better model than the raw data, at equal compute.

1. Build a dirty Alpaca mixture from ``../shared/data``: clean Alpaca rows, plus injected exact
   duplicates, near duplicates (case, spacing, punctuation, a "Please" prefix), machine-translated
   Chinese rows (alpaca_52k_zh), and empty / placeholder / refusal answers.
2. Curate it with a recipe of the stages this checkout has (quality, exact and MinHash dedup,
   language when it exists), with a ``validation:`` section.
3. Train the same proxy model with the same budget and seed on the raw mixture (the run's
   uncurated baseline) and on the curated output; evaluate both on held-out Alpaca rows (never in
   either mixture, nor their Chinese translations) and on Self-Instruct's 252 user-oriented tasks.
4. Print the scorecard: lower held-out bits per byte is better.

Usage: python benchmarks/curation_value.py [--clean 6000] [--steps 250] [--model proxy-tiny] [--out DIR]
Skips (exit 0) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "instructions"
PLACEHOLDERS = ["", " ", "N/A", "...", "<nooutput>", "TODO", "No output.", "-"]
REFUSALS = [
    "I'm sorry, but as an AI language model, I cannot help with that request.",
    "As an AI language model, I am unable to complete this task.",
    "I apologize, but I cannot provide an answer to that.",
    "Sorry, I can't assist with that.",
]


def near_duplicate(row: dict, rng: random.Random) -> dict:
    """A copy of ``row`` that differs the way scraped copies do: case, spacing, punctuation, a prefix."""
    row = dict(row)
    kind = rng.randrange(4)
    if kind == 0:
        row["instruction"] = row["instruction"].lower()
    elif kind == 1:
        row["instruction"] = "  ".join(row["instruction"].split()) + " \n"
        row["output"] = row["output"].replace(". ", ".  ")
    elif kind == 2:
        row["instruction"] = row["instruction"].rstrip(".?!") + (
            "?" if row["instruction"].endswith(".") else "."
        )
    else:
        row["instruction"] = "Please " + row["instruction"][:1].lower() + row["instruction"][1:]
    return row


def build(args: argparse.Namespace, folder: Path) -> dict[str, int]:
    """Write dirty.jsonl, alpaca_heldout.jsonl and user_oriented.jsonl into ``folder``; return the mix."""
    with gzip.open(SHARED / "alpaca_52k_en.json.gz") as handle:
        english = json.load(handle)
    with gzip.open(SHARED / "alpaca_52k_zh.json.gz") as handle:
        chinese = json.load(handle)
    rng = random.Random(args.seed)
    order = rng.sample(range(len(english)), len(english))
    held = order[: args.heldout]
    clean_ids = order[args.heldout : args.heldout + args.clean]
    spare = order[args.heldout + args.clean :]  # junk instructions and Chinese rows come from here
    with (folder / "alpaca_heldout.jsonl").open("w", encoding="utf-8") as handle:
        for i in held:
            handle.write(json.dumps(english[i], ensure_ascii=False) + "\n")
    (folder / "user_oriented.jsonl").write_bytes((SHARED / "user_oriented_instructions.jsonl").read_bytes())

    clean = [english[i] for i in clean_ids]
    rows = [("clean", row) for row in clean]
    n = args.clean
    originals = rng.sample(clean, n // 40)  # a few rows copied many times, as in scraped data
    rows += [("exact duplicate", dict(originals[k % len(originals)])) for k in range(n // 4)]
    rows += [("near duplicate", near_duplicate(rng.choice(clean), rng)) for _ in range(n // 8)]
    zh_ids = spare[: n // 4]
    rows += [
        ("non-English (zh)", {k: chinese[i][k] for k in ("instruction", "input", "output")}) for i in zh_ids
    ]
    junk_ids = spare[n // 4 : n // 4 + n // 6]
    for k, i in enumerate(junk_ids):
        answer = rng.choice(PLACEHOLDERS) if k % 2 else rng.choice(REFUSALS)
        kind = "empty/placeholder answer" if k % 2 else "refusal"
        rows.append(
            (kind, {"instruction": english[i]["instruction"], "input": english[i]["input"], "output": answer})
        )
    rng.shuffle(rows)
    with (folder / "dirty.jsonl").open("w", encoding="utf-8") as handle:
        for _, row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return dict(Counter(kind for kind, _ in rows))


def curation_stages() -> tuple[list[dict], list[str]]:
    """The stages to curate with: those registered in this checkout, with settings for this data."""
    from curator.stages import STAGES

    wanted = [
        ("quality", {"type": "quality"}),  # empty, placeholder and refusal answers, …
        ("length", {"type": "length", "min_output_words": 1}),
        ("exact_dedup", {"type": "exact_dedup", "text": "conversation"}),
        ("minhash_dedup", {"type": "minhash_dedup"}),
        ("language", {"type": "language", "allowed": ["en"]}),
    ]
    stages, missing = [], []
    for name, config in wanted:
        if name not in STAGES:
            missing.append(name)
            continue
        try:
            STAGES[name].config_model.model_validate(config)
        except Exception:  # the stage exists with other settings than this script knows
            missing.append(f"{name} (unknown settings)")
            continue
        stages.append(config)
    if "quality" in STAGES and any(s["type"] == "length" for s in stages):
        stages = [s for s in stages if s["type"] != "length"]  # quality covers it per turn
    return stages, missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clean", type=int, default=6000, help="Clean Alpaca rows in the dirty mixture.")
    parser.add_argument("--heldout", type=int, default=400, help="Held-out Alpaca rows (eval set).")
    parser.add_argument("--model", default="proxy-tiny")
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-generate", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "curation_value")
    args = parser.parse_args()
    if not (SHARED / "alpaca_52k_en.json.gz").exists():
        print(f"skipped: {SHARED} is not present (../shared/data is only in the project's workspace)")
        return 0

    from curator.pipeline import run_recipe
    from curator.recipe import load_recipe
    from curator.train.runner import validate_run
    from curator.train.scorecard import render_markdown

    started = time.perf_counter()
    folder = args.out
    folder.mkdir(parents=True, exist_ok=True)
    mix = build(args, folder)
    stages, missing = curation_stages()
    recipe = {
        "name": "curation_value",
        "seed": args.seed,
        "sources": [
            {"name": "dirty_alpaca", "path": "dirty.jsonl", "format": "alpaca", "license": "CC-BY-NC-4.0"}
        ],
        "stages": stages,
        "validation": {
            "eval": [
                {"path": "alpaca_heldout.jsonl", "name": "alpaca_heldout"},
                {"path": "user_oriented.jsonl"},
            ],
            "model": args.model,
            "steps": args.steps,
            "seq_len": args.seq_len,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "eval_at_start": False,
            "max_generate": args.max_generate,
            "max_new_tokens": 96,
            "log_every": 50,
        },
    }
    (folder / "recipe.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    loaded = load_recipe(folder / "recipe.yaml")
    run_dir = folder / "run"
    manifest = run_recipe(loaded, run_dir, overwrite=True).manifest
    curated_seconds = time.perf_counter() - started
    scorecard = validate_run(run_dir, loaded.recipe.validation, base_dir=folder, overwrite=True, on_log=print)

    print("\n## The dirty mixture\n")
    print("| rows | kind |\n|---:|---|")
    for kind, count in sorted(mix.items(), key=lambda kv: -kv[1]):
        print(f"| {count:,} | {kind} |")
    print(f"| {sum(mix.values()):,} | total |")
    print("\n## What the recipe removed\n")
    print("| stage | removed | reasons |\n|---|---:|---|")
    for stage in manifest["stages"]:
        reasons = ", ".join(f"{r} {c:,}" for r, c in stage["removed_by_reason"].items())
        print(f"| {stage['name']} | {stage['removed']:,} | {reasons} |")
    print(f"\nkept {manifest['counts']['kept']:,} of {manifest['counts']['input_rows']:,} rows")
    if missing:
        print(f"stages not in this checkout (not used): {', '.join(missing)}")
    print()
    print(render_markdown(scorecard))
    curated = next(e for e in scorecard["entries"] if e["name"] == "curated")
    verdict = "beats" if curated["beats_baseline"] else "does NOT beat"
    print(
        f"curated {verdict} raw on held-out bits per byte: {curated['mean_bits_per_byte']:.4f} vs "
        f"{curated['mean_bits_per_byte'] - curated['delta_bits_per_byte']:.4f} "
        f"({curated['delta_percent']:+.1f} %), same {args.model}, {args.steps} steps × "
        f"{args.batch_size * args.seq_len:,} token positions, seed {args.seed}"
    )
    print(
        f"curation {curated_seconds:.0f} s, total {time.perf_counter() - started:.0f} s; outputs in {folder}"
    )
    (folder / "curation_value.json").write_text(
        json.dumps({"mix": mix, "missing_stages": missing, "scorecard": scorecard}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
