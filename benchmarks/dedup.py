"""Near-dedup: speed against datasketch and rensa, accuracy against brute force, memory per row.

Subcommands (each prints a rich table):

- ``speed``: all 52,002 Alpaca rows, 128 permutations, word 5-grams, threshold 0.8. The complete
  near-dedup of ``minhash_dedup`` (select + normalise text, shingle, sign, band, bucket, verify,
  cluster, apply) on 1 and 2 worker processes, against datasketch's per-record loop
  (``MinHash()``; ``update()`` per shingle; ``MinHashLSH.insert`` then ``query``) and rensa's
  (``RMinHash.update`` per record; ``RMinHashLSH.insert``/``query``). Records are built before the
  clock starts (ingest is not dedup); every method starts from the same records, under the same
  GC thresholds as the engine's. Best of ``--repeat`` runs (the machine is shared); the CPU
  column (this process + its workers) is steadier than wall time on a busy machine. Then
  ``curator run`` of the same file with and without the stage, 1 and 2 workers: what the stage
  adds to a whole run.
- ``accuracy``: the 5,000 rows of the original Alpaca release plus perturbed copies (edited
  words, punctuation, case, reordered sentences, whitespace); ground truth is the exact Jaccard
  similarity of every pair over the same word 5-grams (:mod:`curator.dedup.reference`). Pair
  precision/recall of the pairs found similar, and of the clusters (pairs in one cluster vs
  pairs in one connected component of the true-pair graph).
- ``boundary``: recall and precision by true-Jaccard band at thresholds 0.7, 0.8 and 0.9, where
  LSH banding loses pairs. Pairs are made from real Alpaca rows (the 52k release minus the 5,000
  the test fixture is drawn from) by controlled edits (words replaced, then words appended one at
  a time) until the copy's true Jaccard to its original, over the same word 5-grams of the same
  normalised text the stage compares, hits a target drawn uniformly from [0.65, 1.0); the other
  rows of the release stay in as distractors. Ground truth is brute force over the whole set.
  Then the natural near-duplicates of ``../shared/data/dedup/gpteacher_codegen.json``. Both with
  the default bands and with the bands used before (datasketch's optimiser, weights 0.05/0.95).
- ``boundary-sample``: write the small boundary fixture the fast test reads (tests/data/dedup/).
- ``memory``: peak RSS of the reduce process (signatures of every shard + the reduce) on
  100k/500k/1M synthetic rows made from real Alpaca rows, each size in a fresh process; bytes
  per row, and the extrapolation to 10 million rows.
- ``sample``: write the perturbed sample the CI accuracy test reads (tests/data/dedup/).

Usage: python benchmarks/dedup.py {speed,accuracy,memory,sample} [options]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import multiprocessing
import os
import pickle
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from curator.dedup import reference
from curator.engines.gc_tuning import fewer_collections, tune_worker
from curator.formats import get_format
from curator.records import InstructionRecord
from curator.stages.minhash_dedup import MinHashDedup, MinHashDedupConfig, record_texts

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "instructions"
ALPACA_52K = DATA / "alpaca_52k_en.json.gz"
ALPACA_5K = DATA / "alpaca_5000.json"
GPTEACHER = DATA.parent / "dedup" / "gpteacher_codegen.json"
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "dedup" / "alpaca_perturbed.jsonl"
BOUNDARY_SAMPLE = SAMPLE.with_name("alpaca_boundary.jsonl")
THRESHOLDS = (0.7, 0.8, 0.9)
# The bands used before recall-first bands (datasketch's optimiser, weighted 0.05/0.95).
BEFORE = {"lsh_weights": (0.05, 0.95)}
console = Console(width=240)


# -- data ------------------------------------------------------------------------------------------
def load_rows(path: Path) -> list[dict]:
    if not path.exists():
        sys.exit(f"skip: {path} not found (the benchmark reads ../shared/data)")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return json.loads(handle.read())


def to_records(rows: list[dict], source: str = "alpaca") -> list[InstructionRecord]:
    alpaca = get_format("alpaca")
    return [alpaca.to_record(row, {"source": source, "row": index}) for index, row in enumerate(rows)]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PUNCTUATION = ",.;:!?"


def perturb_text(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    """One to three random edits of the kinds near-duplicates show in the wild."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["words", "words", "punctuation", "case", "sentences", "whitespace"])
        words = text.split(" ")
        if kind == "words" and words:
            for _ in range(rng.randint(1, 3)):
                position = rng.randrange(len(words))
                action = rng.choice(["replace", "delete", "insert"])
                if action == "replace":
                    words[position] = rng.choice(vocabulary)
                elif action == "delete" and len(words) > 1:
                    del words[position]
                else:
                    words.insert(position, rng.choice(vocabulary))
            text = " ".join(words)
        elif kind == "punctuation":
            chars = list(text)
            for _ in range(rng.randint(1, 4)):
                spots = [i for i, c in enumerate(chars) if c in _PUNCTUATION]
                if spots and rng.random() < 0.5:
                    del chars[rng.choice(spots)]
                else:
                    chars.insert(rng.randrange(len(chars) + 1), rng.choice(_PUNCTUATION))
            text = "".join(chars)
        elif kind == "case":
            text = rng.choice([text.upper(), text.lower(), text.title(), text.swapcase()])
        elif kind == "sentences":
            sentences = _SENTENCE.split(text)
            if len(sentences) > 1:
                i = rng.randrange(len(sentences) - 1)
                sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
            text = " ".join(sentences)
        else:
            text = text.replace(" ", rng.choice(["  ", " \n", "\t"]), rng.randint(1, 5))
    return text


def perturbed_rows(rows: list[dict], copies: int, seed: int) -> list[dict]:
    """``rows`` plus ``copies`` perturbed copies of random rows, shuffled together (seeded)."""
    rng = random.Random(seed)
    vocabulary = [w for row in rows[:500] for w in row["output"].split()] or ["word"]
    out = [dict(row) for row in rows]
    for _ in range(copies):
        row = dict(rng.choice(rows))
        fields = [f for f in ("instruction", "input", "output") if row.get(f)]
        for field in rng.sample(fields, rng.randint(1, len(fields))):
            row[field] = perturb_text(row[field], rng, vocabulary)
        out.append(row)
    rng.shuffle(out)
    return out


# -- boundary pairs --------------------------------------------------------------------------------
def conversation_shingles(row: dict, config: MinHashDedupConfig) -> set:
    """The shingle set the stage compares for one Alpaca row (reference implementation)."""
    text = record_texts(to_records([row]), config.text, config.normalization, "char")[0]
    return reference.shingle_set(text, config.shingles, config.ngram)


def boundary_copy(
    row: dict,
    target: float,
    low: float,
    rng: random.Random,
    vocabulary: list[str],
    config: MinHashDedupConfig,
) -> tuple[dict, float] | None:
    """A copy of ``row`` whose true Jaccard to it lies in [low, target], or None.

    Coarse steps first (a word of the output replaced: up to n shingles change), until the
    similarity is within 0.04 of the target; then fine steps (one word appended to the output: one
    new shingle, about 1/|set| lower) until it reaches the target.
    """
    original = conversation_shingles(row, config)
    words = row["output"].split()
    copy = dict(row)
    similarity = 1.0
    for _ in range(400):
        if similarity <= target:
            break
        if similarity > target + 0.04:
            words[rng.randrange(len(words))] = rng.choice(vocabulary)
        else:
            words.append(rng.choice(vocabulary))
        copy["output"] = " ".join(words)
        similarity = reference.jaccard(original, conversation_shingles(copy, config))
    return (copy, similarity) if low <= similarity <= target else None


def boundary_rows(
    rows: list[dict],
    pairs: int,
    low: float,
    high: float,
    seed: int,
    min_shingles: int = 60,
) -> tuple[list[dict], list[float]]:
    """``pairs`` long real rows, each with an edited copy whose true Jaccard to it is drawn uniformly
    from [low, high); returns the originals followed by their copies, and the similarities."""
    config = MinHashDedupConfig()
    rng = random.Random(seed)
    vocabulary = [w for row in rows[:2000] for w in row["output"].split()]
    long_rows = [r for r in rows if len(r["output"].split()) >= min_shingles + 4]
    rng.shuffle(long_rows)
    originals, copies, similarities = [], [], []
    for row in long_rows:
        if len(originals) == pairs:
            break
        if len(conversation_shingles(row, config)) < min_shingles:
            continue
        made = boundary_copy(row, rng.uniform(low, high), low, rng, vocabulary, config)
        if made is not None:
            originals.append(row)
            copies.append(made[0])
            similarities.append(made[1])
    if len(originals) < pairs:
        sys.exit(f"only {len(originals)} of {pairs} pairs could be made from {len(long_rows)} long rows")
    return originals + copies, similarities


def band_table(
    title: str,
    records: list[InstructionRecord],
    settings: list[tuple[str, dict]],
    thresholds=THRESHOLDS,
    seeds: int = 1,
    text: str = "conversation",
) -> Table:
    """Recall by true-Jaccard band and precision, per threshold and setting, against brute force.

    With ``seeds`` > 1 each setting runs with permutation seeds 1..seeds and the counts add up
    (pairs × seeds): banding is random, so few pairs need many draws for a steady recall.
    """
    table = Table(title=title)
    bands = [(0.0, 0.025), (0.025, 0.05), (0.05, 0.075), (0.075, 0.1)]
    columns = ["t", "setting", "b×r"] + [f"R [+{a:g},+{b:g})" for a, b in bands]
    columns += ["R [t,t+0.1)", "R ≥t+0.1", "R all", "P all", "true", "found"]
    for column in columns:
        table.add_column(column, justify="left" if column == "setting" else "right")
    base = MinHashDedupConfig(text=text)
    texts = record_texts(records, base.text, base.normalization, "char")
    sets = [reference.shingle_set(t, base.shingles, base.ngram) for t in texts]
    lowest = reference.similar_pairs(sets, min(thresholds))
    for threshold in thresholds:
        truth = {pair: value for pair, value in lowest.items() if value >= threshold}
        for label, options in settings:
            missed: list[float] = []  # true similarity of each miss, over all seeds
            found_total = correct_total = 0
            for seed in range(1, seeds + 1):
                config = MinHashDedupConfig(threshold=threshold, seed=seed, text=text, **options)
                found = found_pairs(records, config)
                missed += [v for pair, v in truth.items() if pair not in found]
                found_total += len(found)
                correct_total += len(found & set(truth))

            def recall(a: float, b: float, threshold=threshold, truth=truth, missed=missed) -> str:
                inside = seeds * sum(threshold + a <= v < threshold + b for v in truth.values())
                if not inside:
                    return "–"
                lost = sum(threshold + a <= v < threshold + b for v in missed)
                return f"{1 - lost / inside:.3f} ({lost}/{inside})"

            precision = correct_total / found_total if found_total else 1.0
            bands_rows = "{}×{}".format(*config.lsh_params())
            row = [f"{threshold:g}", label, bands_rows] + [recall(a, b) for a, b in bands]
            row += [recall(0.0, 0.1), recall(0.1, 2.0), recall(0.0, 2.0), f"{precision:.4f}"]
            row += [f"{len(truth):,}", f"{found_total / seeds:,.0f}"]
            table.add_row(*row)
    return table


def boundary(args: argparse.Namespace) -> None:
    held_out = {(r["instruction"], r["input"], r["output"]) for r in load_rows(ALPACA_5K)}
    rows = [r for r in load_rows(args.input) if (r["instruction"], r["input"], r["output"]) not in held_out]
    started = time.perf_counter()
    made, _ = boundary_rows(rows, args.pairs, args.low, 1.0, args.seed)
    used = {id(r) for r in made[: args.pairs]}
    distractors = [r for r in rows if id(r) not in used][: args.distractors]
    corpus = made + distractors
    console.print(
        f"{args.pairs:,} edited pairs (true Jaccard drawn from [{args.low}, 1.0)) + {len(distractors):,} "
        f"other rows; made in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f}"
    )
    settings = [("default (recall-first)", {}), ("before (datasketch 0.05/0.95)", BEFORE)]
    title = (
        f"boundary pairs from the Alpaca 52k release minus alpaca_5000: {len(corpus):,} rows, "
        "word 5-grams, 128 perms; recall (misses/pairs) by true-Jaccard band"
    )
    console.print(band_table(title, to_records(corpus), settings, seeds=args.seeds))
    if GPTEACHER.exists():
        natural = json.loads(GPTEACHER.read_text(encoding="utf-8"))
        natural = [
            {"instruction": r["instruction"], "input": r["input"], "output": r["response"]} for r in natural
        ]
        for text in ("conversation", "assistant", "user"):
            title = (
                f"natural near-duplicates, {GPTEACHER.name}: {len(natural):,} rows, text: {text}; "
                f"permutation seeds 1..{args.natural_seeds} (counts are pairs × seeds)"
            )
            table = band_table(
                title,
                to_records(natural, "gpteacher"),
                settings,
                (0.5, 0.6, *THRESHOLDS),
                args.natural_seeds,
                text,
            )
            console.print(table)
    else:
        console.print(f"skip: {GPTEACHER} not found")


def boundary_sample(args: argparse.Namespace) -> None:
    rows, _ = boundary_rows(load_rows(ALPACA_5K), args.pairs, args.low, 1.0, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    console.print(f"wrote {len(rows)} rows ({args.pairs} pairs) to {args.out}")


# -- evaluation ------------------------------------------------------------------------------------
def truth_pairs(records: list[InstructionRecord], config: MinHashDedupConfig) -> dict[tuple[int, int], float]:
    texts = record_texts(records, config.text, config.normalization, "char")  # full normalisation
    sets = [reference.shingle_set(t, config.shingles, config.ngram) for t in texts]
    return reference.similar_pairs(sets, config.threshold)


def found_pairs(
    records: list[InstructionRecord], config: MinHashDedupConfig, batch_size: int = 1000
) -> set[tuple[int, int]]:
    stage = MinHashDedup(config)
    signatures = [stage.signatures(records[i : i + batch_size]) for i in range(0, len(records), batch_size)]
    a, b = stage.similar_pairs(signatures, all_pairs=True)
    return set(zip(a.tolist(), b.tolist(), strict=True))


def cluster_pairs(pairs) -> set[tuple[int, int]]:
    """Every pair of nodes in one connected component of the pair graph."""
    groups: dict[int, list[int]] = {}
    for node, root in reference.components(list(pairs)).items():
        groups.setdefault(root, []).append(node)
    out = set()
    for members in groups.values():
        members.sort()
        out.update((x, y) for i, x in enumerate(members) for y in members[i + 1 :])
    return out


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


def evaluate(records: list[InstructionRecord], config: MinHashDedupConfig) -> dict[str, float]:
    """Pair precision/recall of the similar pairs and of the clusters, against brute force."""
    truth = set(truth_pairs(records, config))
    found = found_pairs(records, config)
    edge_p, edge_r = precision_recall(found, truth)
    clustered = cluster_pairs(found)
    cluster_p, cluster_r = precision_recall(clustered, cluster_pairs(truth))
    return {
        "same_cluster_similar": precision_recall(clustered, truth)[0],
        "true_pairs": len(truth),
        "found_pairs": len(found),
        "pair_precision": edge_p,
        "pair_recall": edge_r,
        "cluster_precision": cluster_p,
        "cluster_recall": cluster_r,
    }


# -- speed -----------------------------------------------------------------------------------------
_RECORDS: list[InstructionRecord] = []
_STAGE: MinHashDedup | None = None


def _sign(bounds: tuple[int, int]):
    assert _STAGE is not None
    return _STAGE.signatures(_RECORDS[bounds[0] : bounds[1]])


def _apply(bounds: tuple[int, int], decisions) -> tuple[int, int]:
    assert _STAGE is not None
    result = _STAGE.apply(_RECORDS[bounds[0] : bounds[1]], decisions)
    return len(result.kept), len(result.removed)


def run_curator(config: MinHashDedupConfig, workers: int, batch_size: int) -> tuple[int, int]:
    """The whole stage, map → reduce → map, over ``_RECORDS``; returns (kept, removed).

    As the local engine runs it: with the engine's GC thresholds, and with workers > 1 over a
    process pool whose workers sign and apply shards and send signatures back pickled. Here the
    workers inherit the records by fork instead of reading their shard from a work file; the
    records are frozen out of the cyclic GC first, or every worker's first collection would walk
    (and copy-on-write) all 52,002 of them, a cost the engine's workers, holding one shard, never pay.
    """
    global _STAGE
    _STAGE = MinHashDedup(config)
    shards = [(i, min(i + batch_size, len(_RECORDS))) for i in range(0, len(_RECORDS), batch_size)]
    with fewer_collections():
        if workers == 1:
            signatures = [_sign(s) for s in shards]
            decisions = _STAGE.reduce(signatures)
            counts = [_apply(s, d) for s, d in zip(shards, decisions, strict=True)]
        else:
            gc.freeze()
            try:
                context = multiprocessing.get_context("fork")
                with context.Pool(workers, initializer=tune_worker) as pool:
                    signatures = pool.map(_sign, shards, chunksize=1)
                    decisions = _STAGE.reduce(signatures)
                    counts = pool.starmap(_apply, zip(shards, decisions, strict=True), chunksize=1)
            finally:
                gc.unfreeze()
    return sum(k for k, _ in counts), sum(r for _, r in counts)


def run_pipeline(path: Path, out: Path, stages: list[dict], workers: int) -> int:
    """``curator run`` of a recipe reading ``path`` with ``stages``; returns the records kept."""
    from curator.pipeline import run_recipe
    from curator.recipe import LoadedRecipe, Recipe

    recipe = Recipe.model_validate(
        {"sources": [{"name": "alpaca", "path": str(path), "format": "alpaca"}], "stages": stages}
    )
    loaded = LoadedRecipe(recipe=recipe, path=out / "recipe.yaml", base_dir=path.parent, sha256="-")
    manifest = run_recipe(loaded, out / "run", workers=workers, overwrite=True).manifest
    assert manifest["conservation"]["holds"]
    return manifest["counts"]["kept"]


def baseline_shingles(records: list[InstructionRecord], config: MinHashDedupConfig) -> Iterator[list[str]]:
    """What a script would do: the same normalised text, word n-grams as strings."""
    n = config.ngram
    for text in record_texts(records, config.text, config.normalization, "char"):
        words = text.split()
        yield [" ".join(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))] if words else []


def run_datasketch(records: list[InstructionRecord], config: MinHashDedupConfig) -> int:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
    minhashes = []
    for index, shingles in enumerate(baseline_shingles(records, config)):
        m = MinHash(num_perm=config.num_perm, seed=config.seed)
        for s in shingles:
            m.update(s.encode("utf-8"))
        lsh.insert(index, m)
        minhashes.append(m)
    pairs = {(min(i, j), max(i, j)) for i, m in enumerate(minhashes) for j in lsh.query(m) if j != i}
    return len(pairs)


def run_rensa(records: list[InstructionRecord], config: MinHashDedupConfig, bands: int) -> int:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=config.threshold, num_perm=config.num_perm, num_bands=bands)
    minhashes = []
    for index, shingles in enumerate(baseline_shingles(records, config)):
        m = RMinHash(num_perm=config.num_perm, seed=config.seed)
        m.update(shingles)
        lsh.insert(index, m)
        minhashes.append(m)
    pairs = {(min(i, j), max(i, j)) for i, m in enumerate(minhashes) for j in lsh.query(m) if j != i}
    return len(pairs)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (pool workers), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(repeat: int, function: Callable[[], object]) -> tuple[float, float, object]:
    """(best wall seconds, CPU seconds of that run, its result) over ``repeat`` runs."""
    best, cpu, value = float("inf"), float("nan"), None
    for _ in range(repeat):
        gc.collect()
        started, started_cpu = time.perf_counter(), _cpu_seconds()
        value = function()
        seconds = time.perf_counter() - started
        if seconds < best:
            best, cpu = seconds, _cpu_seconds() - started_cpu
    return best, cpu, value


def speed(args: argparse.Namespace) -> None:
    global _RECORDS
    load = os.getloadavg()[0]
    rows = load_rows(args.input)
    _RECORDS = to_records(rows)
    config = MinHashDedupConfig(num_perm=128, shingles="word", ngram=5, threshold=0.8)
    stage = MinHashDedup(config)
    n = len(_RECORDS)
    results: list[tuple[str, float, float, str]] = []
    for workers in (1, 2):
        seconds, cpu, (_, removed) = best_of(
            args.repeat, lambda w=workers: run_curator(config, w, args.batch_size)
        )
        results.append((f"curator minhash_dedup, {workers} worker(s)", seconds, cpu, f"{removed:,} removed"))
    # The baselines run with the same GC thresholds, so the ratios measure the dedup, not the GC.
    with fewer_collections():
        seconds, cpu, pairs = best_of(args.baseline_repeat, lambda: run_datasketch(_RECORDS, config))
    name = "datasketch loop (MinHash.update per shingle, MinHashLSH)"
    results.append((name, seconds, cpu, f"{pairs:,} cand. pairs"))
    try:
        with fewer_collections():
            seconds, cpu, pairs = best_of(
                args.baseline_repeat, lambda: run_rensa(_RECORDS, config, stage.bands)
            )
        name = f"rensa loop (RMinHash, RMinHashLSH {stage.bands} bands)"
        results.append((name, seconds, cpu, f"{pairs:,} cand. pairs"))
    except ImportError:
        console.print("rensa is not installed: no rensa row")
    if args.pipeline_repeat:
        # The same stage inside a whole run (read, adapt, spill, sign, reduce, apply, write), with
        # and without it: the difference is what the stage adds to a real run.
        with tempfile.TemporaryDirectory() as tmp:
            for workers in (1, 2):
                for label, stages in (("no stages", []), ("minhash_dedup", [{"type": "minhash_dedup"}])):
                    seconds, cpu, kept = best_of(
                        args.pipeline_repeat,
                        lambda st=stages, w=workers: run_pipeline(args.input, Path(tmp), st, w),
                    )
                    name = f"curator run, {label}, --workers {workers} (incl. read + write)"
                    results.append((name, seconds, cpu, f"{kept:,} kept"))
    datasketch_seconds = next(s for name, s, _, _ in results if name.startswith("datasketch"))
    table = Table(
        title=f"near-dedup of {n:,} Alpaca rows ({args.input.name}): word 5-grams, 128 perms, "
        f"threshold 0.8, {stage.bands}×{stage.rows} bands, best of {args.repeat} (baselines: "
        f"{args.baseline_repeat}); machine load average at start: {load:.1f} on {os.cpu_count()} CPUs"
    )
    for column in ("method", "wall s", "CPU s", "rows/s", "datasketch ÷ method", "result"):
        table.add_column(column, justify="left" if column in ("method", "result") else "right")
    for name, seconds, cpu, result in results:
        table.add_row(
            name,
            f"{seconds:.2f}",
            f"{cpu:.2f}",
            f"{n / seconds:,.0f}",
            f"{datasketch_seconds / seconds:.1f}×",
            result,
        )
    console.print(table)
    console.print(bands_speed(config, args.repeat, args.batch_size))


def bands_speed(base: MinHashDedupConfig, repeat: int, batch_size: int) -> Table:
    """The whole near-dedup (1 process) with the default bands against the bands used before, per
    threshold, in the same run: what recall at the threshold costs."""
    table = Table(
        title=f"near-dedup of {len(_RECORDS):,} rows, 1 process, best of {repeat}: recall-first bands "
        f"vs the bands used before (datasketch's optimiser, weights 0.05/0.95); load {os.getloadavg()[0]:.1f}"
    )
    for column in ("t", "bands", "b×r", "wall s", "CPU s", "CPU ÷ before", "removed"):
        table.add_column(column, justify="left" if column == "bands" else "right")
    for threshold in THRESHOLDS:
        before_cpu = None
        for label, options in (("before", BEFORE), ("default", {})):
            config = base.model_copy(update={"threshold": threshold, **options})
            config = MinHashDedupConfig.model_validate(config.model_dump())
            seconds, cpu, (_, removed) = best_of(repeat, lambda c=config: run_curator(c, 1, batch_size))
            before_cpu = before_cpu or cpu
            bands_rows = "{}×{}".format(*config.lsh_params())
            row = [f"{threshold:g}", label, bands_rows, f"{seconds:.2f}", f"{cpu:.2f}"]
            table.add_row(*row, f"{cpu / before_cpu:.2f}×", f"{removed:,}")
    return table


# -- accuracy --------------------------------------------------------------------------------------
def accuracy(args: argparse.Namespace) -> None:
    if args.sample:
        with args.sample.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle]
        title = f"{args.sample.name}: {len(rows):,} rows"
    else:
        base = load_rows(ALPACA_5K)
        rows = perturbed_rows(base, args.copies, args.seed)
        title = f"alpaca_5000 + {args.copies:,} perturbed copies (seed {args.seed}): {len(rows):,} rows"
    records = to_records(rows)
    table = Table(title=f"near-dedup accuracy vs brute-force exact Jaccard, {title}, word 5-grams")
    columns = [
        "setting",
        "bands×rows",
        "true pairs",
        "found",
        "pair P",
        "pair R",
        "cluster P",
        "cluster R",
        "same-cluster pairs ≥ t",
    ]
    for column in columns:
        table.add_column(column, justify="left" if column == "setting" else "right")
    for label, options in [
        ("verify (default)", {}),
        ("no verify", {"verify": False}),
        ("verify, datasketch weights (0.5, 0.5)", {"lsh_weights": (0.5, 0.5)}),
    ]:
        config = MinHashDedupConfig(threshold=args.threshold, **options)
        started = time.perf_counter()
        scores = evaluate(records, config)
        stage = MinHashDedup(config)
        table.add_row(
            label,
            f"{stage.bands}×{stage.rows}",
            f"{scores['true_pairs']:,}",
            f"{scores['found_pairs']:,}",
            f"{scores['pair_precision']:.4f}",
            f"{scores['pair_recall']:.4f}",
            f"{scores['cluster_precision']:.4f}",
            f"{scores['cluster_recall']:.4f}",
            f"{scores['same_cluster_similar']:.4f}",
        )
        console.print(f"{label}: evaluated in {time.perf_counter() - started:.1f} s")
    console.print(table)


# -- memory ----------------------------------------------------------------------------------------
def synthetic_batches(
    rows: list[dict], total: int, batch_size: int, seed: int
) -> Iterator[list[InstructionRecord]]:
    """``total`` rows made from real ones: 90% new (a real instruction, sometimes a real input, and
    an answer of real sentences drawn at random, as long as a real answer), 10% perturbed copies
    of a recent row (so there are near duplicates to find, about one row in ten)."""
    rng = random.Random(seed)
    alpaca = get_format("alpaca")
    vocabulary = [w for row in rows[:500] for w in row["output"].split()]
    sentences = [s for row in rows for s in _SENTENCE.split(row["output"]) if s]
    lengths = [len(row["output"].split()) for row in rows]
    recent: list[dict] = []
    batch: list[InstructionRecord] = []
    for index in range(total):
        if recent and rng.random() < 0.1:
            row = dict(rng.choice(recent))
            row["output"] = perturb_text(row["output"], rng, vocabulary)
        else:
            target, words, parts = rng.choice(lengths), 0, []
            while words < target:
                parts.append(rng.choice(sentences))
                words += len(parts[-1].split())
            row = {
                "instruction": rng.choice(rows)["instruction"],
                "input": rng.choice(rows)["input"] if rng.random() < 0.4 else "",
                "output": " ".join(parts),
            }
            recent.append(row)
            if len(recent) > 1000:
                recent.pop(0)
        batch.append(alpaca.to_record(row, {"source": "synthetic", "row": index}))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WARM_UP_SHARDS = 3


def memory_one(args: argparse.Namespace) -> None:
    """(Child process) signatures of ``--rows`` synthetic rows, kept as the engine keeps them, then
    the reduce; prints one JSON line."""
    rows = load_rows(args.input)
    config = MinHashDedupConfig()
    stage = MinHashDedup(config)
    started = time.perf_counter()
    batches = synthetic_batches(rows, args.rows, args.batch_size, seed=args.seed)
    # The baseline is taken after the first shards: imports, caches, the generator's corpus and the
    # allocator's pools for a shard's records are then in place (a real run has those too, or less).
    signatures = [stage.signatures(next(batches)) for _ in range(WARM_UP_SHARDS)]
    gc.collect()
    started_rss = _current_rss_mib()
    for batch in batches:
        signature = stage.signatures(batch)
        if args.transfer == "pickle":  # as the engine's main process gets them from pool workers
            signature = pickle.loads(pickle.dumps(signature, protocol=5))
        signatures.append(signature)
    sign_seconds = time.perf_counter() - started
    signature_bytes = sum(s.nbytes for s in signatures)
    held_rss = _current_rss_mib()
    started = time.perf_counter()
    decisions = stage.reduce(signatures)
    reduce_seconds = time.perf_counter() - started
    peak = _rss_mib()
    removed = int(sum((~d.kept).sum() for d in decisions))
    print(
        json.dumps(
            {
                "rows": args.rows,
                "rows_after_baseline": args.rows - sum(len(s.counts) for s in signatures[:WARM_UP_SHARDS]),
                "baseline_rss_mib": round(started_rss, 1),
                "held_rss_mib": round(held_rss, 1),
                "peak_rss_mib": round(peak, 1),
                "signature_bytes_per_row": signature_bytes / args.rows,
                "sign_seconds": round(sign_seconds, 1),
                "reduce_seconds": round(reduce_seconds, 2),
                "removed": removed,
            }
        )
    )


def _current_rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory(args: argparse.Namespace) -> None:
    table = Table(
        title="reduce-process memory of minhash_dedup (defaults: word 5-grams, 128 perms, verify), "
        f"synthetic rows from real Alpaca rows, signatures {args.transfer}; each size in a fresh process"
    )
    columns = [
        "rows",
        "signatures B/row",
        "RSS after 3 shards MiB",
        "RSS, signatures held MiB",
        "peak RSS MiB",
        "(peak − 3 shards) B/row",
        "sign s",
        "reduce s",
        "removed",
    ]
    for column in columns:
        table.add_column(column, justify="right")
    results = []
    for rows in args.sizes:
        command = [sys.executable, __file__, "memory-one", "--rows", str(rows), "--input", str(args.input)]
        command += ["--transfer", args.transfer]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        growth = (result["peak_rss_mib"] - result["baseline_rss_mib"]) * 2**20 / result["rows_after_baseline"]
        table.add_row(
            f"{rows:,}",
            f"{result['signature_bytes_per_row']:.0f}",
            f"{result['baseline_rss_mib']:.0f}",
            f"{result['held_rss_mib']:.0f}",
            f"{result['peak_rss_mib']:.0f}",
            f"{growth:.0f}",
            f"{result['sign_seconds']:.1f}",
            f"{result['reduce_seconds']:.2f}",
            f"{result['removed']:,}",
        )
    console.print(table)
    largest = results[-1]
    per_row = (largest["peak_rss_mib"] - largest["baseline_rss_mib"]) * 2**20 / largest["rows_after_baseline"]
    projected = largest["baseline_rss_mib"] + per_row * 10_000_000 / 2**20
    console.print(
        f"10,000,000 rows ≈ {largest['baseline_rss_mib']:.0f} MiB + 10M × {per_row:.0f} B "
        f"= {projected / 1024:.2f} GiB peak RSS (linear extrapolation from {largest['rows']:,} rows)"
    )


# -- sample ----------------------------------------------------------------------------------------
def sample(args: argparse.Namespace) -> None:
    base = load_rows(ALPACA_5K)
    rng = random.Random(args.seed)
    originals = rng.sample(base, args.originals)
    rows = perturbed_rows(originals, args.copies, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    console.print(f"wrote {len(rows)} rows to {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("speed")
    p.add_argument("--input", type=Path, default=ALPACA_52K)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--baseline-repeat", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument("--pipeline-repeat", type=int, default=3, help="0: skip the curator run rows")
    p = commands.add_parser("accuracy")
    p.add_argument("--copies", type=int, default=2500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--sample", type=Path, help="evaluate this JSONL file instead")
    p = commands.add_parser("boundary")
    p.add_argument("--input", type=Path, default=ALPACA_52K)
    p.add_argument("--pairs", type=int, default=3500)
    p.add_argument("--low", type=float, default=0.65)
    p.add_argument("--distractors", type=int, default=40_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=3, help="permutation seeds per setting (boundary set)")
    p.add_argument("--natural-seeds", type=int, default=25, help="permutation seeds (natural pairs)")
    p = commands.add_parser("boundary-sample")
    p.add_argument("--pairs", type=int, default=240)
    p.add_argument("--low", type=float, default=0.7)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--out", type=Path, default=BOUNDARY_SAMPLE)
    p = commands.add_parser("memory")
    p.add_argument("--input", type=Path, default=ALPACA_52K)
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 500_000, 1_000_000])
    p.add_argument(
        "--transfer",
        choices=["pickle", "inline"],
        default="pickle",
        help="pickle: signatures arrive pickled, as from pool workers (--workers 2+); inline: signed in "
        "the reduce process itself (--workers 1), where the allocator also keeps the signing's scraps",
    )
    p = commands.add_parser("memory-one")
    p.add_argument("--transfer", choices=["pickle", "inline"], default="pickle")
    p.add_argument("--input", type=Path, default=ALPACA_52K)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p = commands.add_parser("sample")
    p.add_argument("--originals", type=int, default=600)
    p.add_argument("--copies", type=int, default=400)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--out", type=Path, default=SAMPLE)
    args = parser.parse_args()
    commands_by_name = {
        "speed": speed,
        "accuracy": accuracy,
        "boundary": boundary,
        "boundary-sample": boundary_sample,
        "memory": memory,
        "memory-one": memory_one,
        "sample": sample,
    }
    commands_by_name[args.command](args)


if __name__ == "__main__":
    main()
