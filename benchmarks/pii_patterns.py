"""Pattern PII (no NER) with and without its pre-filters: CPU time per recognizer, same spans.

The patterns-only engine (``structured_only``: e-mails, phones, cards, SSNs, IBANs, IPs, street
addresses, secrets in URLs) on real text: every turn of the 52,002 Alpaca rows and the 697 Common
Crawl documents of ``../shared/data``. The baseline, in the same run, is the same engine with its
pre-filters switched off: every address core runs on every text with a digit (no ``needs``), and
the recognizer triggers are the old ones (a digit runs the phone, card, SSN, IBAN and address
recognizers; a digit and a dot or colon the IP one). Both must return the same spans on every text
(checked here); the table gives CPU seconds (``time.process_time``, best of ``--repeats``) per
recognizer and in all.

Usage: python benchmarks/pii_patterns.py [--repeats 2] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from curator.pii import address, engine
from curator.pii.engine import PATTERN_LANGUAGE, EngineSettings, PIIEngine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ALPACA = DATA / "instructions" / "alpaca_52k_en.json.gz"
CC = DATA / "pretraining" / "cc_main_2019_sample.jsonl.gz"


def alpaca_turns() -> list[str]:
    with gzip.open(ALPACA, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    turns = []
    for row in rows:
        turns.append(f"{row['instruction']}\n\n{row['input']}".strip())
        turns.append(row["output"])
    return [t for t in turns if t.strip()]


def cc_documents() -> list[str]:
    with gzip.open(CC, "rt", encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def _old_triggers(text: str) -> set[str]:
    found: set[str] = set()
    if "@" in text:
        found.add("EMAIL_ADDRESS")
    if "://" in text or "=" in text:
        found.add("URL_CREDENTIALS")
    if any(c.isdigit() for c in text):
        found.update(("PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "STREET_ADDRESS"))
        if "." in text or ":" in text:
            found.add("IP_ADDRESS")
    return found


@contextmanager
def without_prefilters() -> Iterator[None]:
    cores, triggers = address._CORES, engine._triggers
    address._CORES = [(pattern, score, None) for pattern, score, _ in cores]
    engine._triggers = _old_triggers
    try:
        yield
    finally:
        address._CORES, engine._triggers = cores, triggers


def timed_run(pii: PIIEngine, texts: list[str]) -> tuple[float, Counter, list]:
    """CPU seconds in all and per recognizer, and the spans, of analysing ``texts`` in shards."""
    per: Counter = Counter()
    originals = []
    for recognizer in pii._recognizers_by_language[PATTERN_LANGUAGE]:
        original = recognizer.analyze
        originals.append((recognizer, original))
        name = type(recognizer).__name__

        def counted(*args, _original=original, _name=name, **kwargs):
            started = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                per[_name] += time.process_time() - started

        recognizer.analyze = counted
    try:
        started = time.process_time()
        spans = []
        for index in range(0, len(texts), 5000):
            spans += [
                [(s.type, s.start, s.end, s.score) for s in r.spans]
                for r in pii.analyze(texts[index : index + 5000])
            ]
        total = time.process_time() - started
    finally:
        for recognizer, original in originals:
            recognizer.analyze = original
    return total, per, spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N texts of each set")
    args = parser.parse_args()
    if not ALPACA.exists() or not CC.exists():
        sys.exit(f"skip: {DATA} not found (the benchmark reads ../shared/data)")
    sets = {"Alpaca turns": alpaca_turns(), "Common Crawl documents": cc_documents()}
    pii = PIIEngine(EngineSettings(structured_only=True)).load()
    pii.analyze(["warm up: +41 69 979 80 58, a@b.com, 12 Main Street, 10.0.0.7"])
    console = Console(width=160)
    for name, texts in sets.items():
        texts = texts[: args.limit] if args.limit else texts
        runs = {}
        for mode in ("without pre-filters", "with pre-filters"):
            best = None
            for _ in range(args.repeats):
                if mode == "without pre-filters":
                    with without_prefilters():
                        result = timed_run(pii, texts)
                else:
                    result = timed_run(pii, texts)
                best = result if best is None or result[0] < best[0] else best
            runs[mode] = best
        before, after = runs["without pre-filters"], runs["with pre-filters"]
        differ = sum(1 for a, b in zip(before[2], after[2], strict=True) if a != b)
        table = Table(title=f"{name}: {len(texts):,} texts, CPU seconds (best of {args.repeats})")
        for column in ("recognizer", "without pre-filters", "with pre-filters", "ratio"):
            table.add_column(column, justify="left" if column == "recognizer" else "right")
        for recognizer, seconds in before[1].most_common():
            now = after[1].get(recognizer, 0.0)
            table.add_row(recognizer, f"{seconds:.2f}", f"{now:.2f}", f"{seconds / now:.1f}×" if now else "–")
        table.add_row(
            "[b]all (engine.analyze)[/b]",
            f"{before[0]:.2f}",
            f"{after[0]:.2f}",
            f"{before[0] / after[0]:.2f}×",
        )
        table.caption = f"spans found: {sum(map(len, after[2])):,}; texts whose spans differ: {differ}"
        console.print(table)
        if differ:
            sys.exit(f"error: the pre-filters changed the spans of {differ} texts")


if __name__ == "__main__":
    main()
