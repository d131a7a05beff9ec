"""Language identification: accuracy and speed of every backend, in one run.

Data (from ../shared/data; the script exits with a message when it is absent):

- ``langid/lingua_sentences_75lang.jsonl``: 22,500 short sentences (300 per language, 75
  languages; median ~95 characters). Accuracy is reported per backend over the languages that
  backend supports, and over the 50 languages all four share (the fair comparison).
- ``instructions/hplt_prompts/test_*.jsonl``: the same Open-Assistant prompts translated by people
  into 11 languages (Norwegian ``no`` counts as right for ``nb`` and ``nn``).
- ``instructions/alpaca_52k_en.json.gz`` / ``alpaca_52k_zh.json.gz``: the same Alpaca rows in
  English and machine-translated Chinese, through the ``language`` stage itself (records/s, the
  share detected as en / zh, mixed and code counts).

Speed is docs/s of the whole detection path (text preparation + detection) on 2 processes (each
detects half, after loading its model and warming up; the slower one's time counts) and on 1.
The machine is shared and noisy, so each measurement is the best of ``--repeat`` and every
backend is also given as a ratio to langdetect measured in the same run.

Usage: python benchmarks/langid.py [--repeat N] [--speed-docs N] [--alpaca-rows N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from curator.langid import make_backend, prepare
from curator.langid.codes import normalize_code

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SENTENCES = SHARED / "langid" / "lingua_sentences_75lang.jsonl"
HPLT = SHARED / "instructions" / "hplt_prompts"
ALPACA = {lang: SHARED / "instructions" / f"alpaca_52k_{lang}.json.gz" for lang in ("en", "zh")}
BACKENDS = ("langdetect", "fasttext", "lingua", "cascade")
GOAL_ACCURACY, GOAL_DOCS_PER_S = 0.95, 20_000


# -- workers --------------------------------------------------------------------------------
_LOADED: dict = {}  # per worker process: one backend of each kind


def _detect_all(name: str, texts: list[str]) -> list[tuple[str | None, float, str]]:
    backend = _LOADED.get(name) or _LOADED.setdefault(name, make_backend(name))
    return [tuple(d) for d in backend.detect([prepare(t).text for t in texts])]  # type: ignore[misc]


def _timed_worker(name: str, texts: list[str], barrier, queue, repeat: int) -> None:
    backend = make_backend(name)
    backend.load()
    backend.detect([prepare(t).text for t in texts])  # warm: lingua loads each language's models lazily
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        barrier.wait()
        wall, cpu = time.perf_counter(), time.process_time()
        backend.detect([prepare(t).text for t in texts])
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    queue.put((best_wall, best_cpu))


def docs_per_second(name: str, texts: list[str], processes: int, repeat: int) -> tuple[float, float]:
    """Docs/s of prepare + detect on ``processes`` processes (spawned, so nothing is inherited):
    by wall clock (the slower process counts), and by CPU time (docs / the larger process's CPU
    seconds × processes: what the processes would do on idle cores; less sensitive to a loaded
    machine, though cache and SMT contention still slow it)."""
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(processes), ctx.Queue()
    parts = [texts[i::processes] for i in range(processes)]
    workers = [ctx.Process(target=_timed_worker, args=(name, part, barrier, queue, repeat)) for part in parts]
    for worker in workers:
        worker.start()
    times = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return len(texts) / max(t[0] for t in times), len(texts) / max(t[1] for t in times)


def detect_parallel(pool, name: str, texts: list[str], chunk: int = 500) -> list[tuple]:
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    out: list[tuple] = []
    for part in pool.starmap(_detect_all, [(name, c) for c in chunks]):
        out.extend(part)
    return out


# -- evaluation -------------------------------------------------------------------------------
def accuracy(rows: list[dict], found: list[tuple], langs: frozenset[str], alias=None) -> tuple[float, int]:
    ok = total = 0
    for row, detection in zip(rows, found, strict=True):
        expected = row["lang"]
        if expected not in langs:
            continue
        total += 1
        ok += detection[0] in (alias(expected) if alias else {expected})
    return (ok / total if total else float("nan")), total


def worst(rows: list[dict], found: list[tuple], langs: frozenset[str], n: int = 10) -> list[tuple]:
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    confused: dict[str, Counter] = defaultdict(Counter)
    for row, detection in zip(rows, found, strict=True):
        lang = row["lang"]
        if lang not in langs:
            continue
        seen[lang] += 1
        if detection[0] == lang:
            right[lang] += 1
        else:
            confused[lang][detection[0] or "none"] += 1
    ranked = sorted(seen, key=lambda lang: (right[lang] / seen[lang], lang))[:n]
    return [
        (lang, right[lang] / seen[lang], ", ".join(f"{c} {k}" for c, k in confused[lang].most_common(3)))
        for lang in ranked
    ]


def load_hplt() -> list[dict]:
    rows = []
    for path in sorted(HPLT.glob("test_*.jsonl")):
        lang = path.stem.split("_", 1)[1]
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    rows.append({"text": json.loads(line)["prompt"], "lang": lang})
                except ValueError:  # test_hi.jsonl's last line is broken JSON in the source data
                    continue
    return rows


def norwegian(expected: str) -> set[str]:
    return {"nb", "nn"} if expected == "no" else {normalize_code(expected)}


def alpaca_stage(rows_per_language: int, backend: str) -> dict:
    """The language stage on the same Alpaca rows in en and zh: records/s and what it found."""
    from curator.records import InstructionRecord
    from curator.stages.language import LanguageConfig, LanguageStage

    stage = LanguageStage(LanguageConfig(backend=backend))
    stage.setup()
    out = {}
    for lang, path in ALPACA.items():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)[:rows_per_language]
        records = []
        for index, row in enumerate(data):
            user = row["instruction"] + ("\n\n" + row["input"] if row.get("input") else "")
            if not user.strip() or not (row.get("output") or "").strip():
                continue
            records.append(
                InstructionRecord(
                    messages=[
                        {"role": "user", "content": user},
                        {"role": "assistant", "content": row["output"]},
                    ],
                    provenance={"source": f"alpaca_{lang}", "row": index},
                )
            )
        started = time.perf_counter()
        result = stage.process(records)
        seconds = time.perf_counter() - started
        kept = result.kept
        languages = Counter(r.annotations.language for r in kept)
        out[lang] = {
            "records": len(records),
            "records_per_s": len(records) / seconds,
            "share_expected": languages[lang] / len(kept),
            "top": ", ".join(f"{k} {v}" for k, v in languages.most_common(4)),
            "mixed": sum(r.annotations.extra["language"]["mixed"] for r in kept),
            "code": sum(r.annotations.extra["language"]["code"] for r in kept),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="speed runs per measurement (best counts)")
    parser.add_argument("--speed-docs", type=int, default=6000, help="sentences per speed run")
    parser.add_argument(
        "--slow-speed-docs", type=int, default=1000, help="sentences per speed run of langdetect and lingua"
    )
    parser.add_argument(
        "--alpaca-rows", type=int, default=2000, help="Alpaca rows per language for the stage"
    )
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    console = Console()
    missing = [p for p in (SENTENCES, HPLT, *ALPACA.values()) if not p.exists()]
    if missing:
        console.print(f"[yellow]skipped: {missing[0]} not present (../shared/data is only in the workspace)")
        return 0
    names = [n for n in args.backends.split(",") if n]
    with SENTENCES.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    hplt = load_hplt()
    langs = {name: make_backend(name).languages for name in names}
    test_langs = frozenset(r["lang"] for r in rows)
    common = frozenset.intersection(*(langs[n] & test_langs for n in names))

    found, found_hplt = {}, {}
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        for name in names:
            started = time.perf_counter()
            found[name] = detect_parallel(pool, name, [r["text"] for r in rows])
            found_hplt[name] = detect_parallel(pool, name, [r["text"] for r in hplt], chunk=100)
            console.print(f"[dim]{name}: accuracy pass {time.perf_counter() - started:.0f} s")

    # Speed: sentences evenly spread over the file (every language), the same for every backend.
    speed_texts = [r["text"] for r in rows[:: max(1, len(rows) // args.speed_docs)]][: args.speed_docs]
    speed: dict[str, dict[int, tuple[float, float]]] = {}
    for name in names:
        texts = speed_texts
        if name in ("langdetect", "lingua"):  # evenly over all languages, fewer of them
            texts = speed_texts[:: max(1, len(speed_texts) // args.slow_speed_docs)][: args.slow_speed_docs]
        speed[name] = {p: docs_per_second(name, texts, p, args.repeat) for p in (1, 2)}
        wall, cpu = speed[name][2]
        console.print(f"[dim]{name}: {wall:,.0f} docs/s on 2 processes ({cpu:,.0f} by CPU time)")

    table = Table(title=f"Lingua sentences: {len(rows):,} sentences, {len(test_langs)} languages")
    for column in ("backend", "languages", "accuracy (its languages)", f"accuracy ({len(common)} common)"):
        table.add_column(column, justify="right" if column != "backend" else "left")
    for column in ("docs/s 1 proc", "docs/s 2 procs", "docs/s 2 cores (CPU time)", "× langdetect", "HPLT"):
        table.add_column(column, justify="right")
    base = speed.get("langdetect", {}).get(2)
    for name in names:
        own, n_own = accuracy(rows, found[name], langs[name] & test_langs)
        shared, _ = accuracy(rows, found[name], common)
        hplt_acc, _ = accuracy(hplt, found_hplt[name], frozenset(r["lang"] for r in hplt), norwegian)
        table.add_row(
            name,
            f"{len(langs[name] & test_langs)} ({n_own:,} sent.)",
            f"{own:.1%}",
            f"{shared:.1%}",
            f"{speed[name][1][0]:,.0f}",
            f"{speed[name][2][0]:,.0f}",
            f"{speed[name][2][1]:,.0f}",
            f"{speed[name][2][1] / base[1]:,.1f}" if base else "",
            f"{hplt_acc:.1%}",
        )
    console.print(table)

    for name in names:
        worst_table = Table(title=f"{name}: ten worst languages (of those it supports)")
        for column in ("language", "accuracy", "confused with"):
            worst_table.add_column(column)
        for lang, acc, confused in worst(rows, found[name], langs[name] & test_langs):
            worst_table.add_row(lang, f"{acc:.1%}", confused)
        console.print(worst_table)

    if "cascade" in names:
        methods = Counter(d[2] for d in found["cascade"])
        console.print(
            "cascade: who answered: "
            + ", ".join(f"{k} {v / len(rows):.1%}" for k, v in methods.most_common())
        )

    alpaca = Table(title=f"Alpaca, same {args.alpaca_rows:,} rows in en and zh, through the language stage")
    for column in (
        "backend",
        "file",
        "records",
        "records/s (1 proc)",
        "detected as expected",
        "top",
        "mixed",
        "code",
    ):
        alpaca.add_column(column)
    for name in names:
        if name == "langdetect" and args.alpaca_rows > 500:
            continue  # minutes at ~500 records/s; its accuracy is in the tables above
        for lang, stats in alpaca_stage(args.alpaca_rows, name).items():
            alpaca.add_row(
                name,
                lang,
                str(stats["records"]),
                f"{stats['records_per_s']:,.0f}",
                f"{stats['share_expected']:.1%}",
                stats["top"],
                str(stats["mixed"]),
                str(stats["code"]),
            )
    console.print(alpaca)

    if "cascade" in names:
        acc, _ = accuracy(rows, found["cascade"], langs["cascade"] & test_langs)
        wall, cpu = speed["cascade"][2]
        verdict = "meets" if acc >= GOAL_ACCURACY and cpu >= GOAL_DOCS_PER_S else "does not meet"
        console.print(
            f"default (cascade): {acc:.1%} at {wall:,.0f} docs/s on 2 processes ({cpu:,.0f} by CPU time) — "
            f"{verdict} the goal (≥ {GOAL_ACCURACY:.0%} at ≥ {GOAL_DOCS_PER_S:,} docs/s on 2 cores)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
