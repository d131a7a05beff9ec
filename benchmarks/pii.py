"""PII benchmark: our pii stage vs Presidio's default configuration, same spaCy model, one run.

    python benchmarks/pii.py [--repeats 3] [--alpaca 600] [--json figures.json]

Accuracy (``pii_eval.py`` says how the sets are split and scored), on each set:

- presidio-research's synth_dataset_v2: dev (templates ``% 5 != 0``, looked at while writing the
  rules) and held-out (``% 5 == 0``: 276 rows of templates never looked at);
- our generated sets (Faker and mimesis): round 1 (16 locales) dev and held-out (other templates
  and seed), round 2 (48 new templates, 22 locales) dev and held-out, round 3 (lone names) dev,
  round 4 (52 new templates, 22 locales: non-US address layouts, PO boxes, units, lower-case,
  listed and signed names, name-like brands and works) dev and held-out;
  held-out parts also split by generator (mimesis names are on no list of ours);

per type: recall and precision by span overlap, and the share of gold values still present
verbatim after ``redact`` (survival), with a stricter partial-survival figure; then the
false-alarm probes (real Alpaca and Dolly sentences with no personal data: the share with any
finding), the foreign-language rows (HPLT prompts without a language label: names found on them),
and the old false-alarm checks (UK_NHS on phones, DATE_TIME in cards, findings in code blocks).

Throughput, CPU time (``time.process_time``) in this process: Presidio's one ``analyze()`` per
text against our stage's ``process`` (redaction included) on the same records, on the synth set
and on real Alpaca records (``--alpaca`` of them); best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import pii_eval as E  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pii" / "presidio_synth_dataset_v2.json"
CODE_PROBES = [
    "```python\nversion = '10.2.3.4'\nrequests==2.31.0\n```",
    "```\ncommit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b\nAuthor: dev\n```",
    "```js\nconst PORT = 8080; const TIMEOUT = 5403926876;\n```",
    "```\nuuid: 123e4567-e89b-12d3-a456-426614174000\nbuild 1.0.19041.1237\n```",
    "```sql\nSELECT * FROM orders WHERE id = 4266400974903943;\n```",
    "```python\nclass JohnSmith:\n    pass\nMaria = Person('Maria Lopez')\n```",
    "```\n$ docker run -p 127.0.0.1:5432:5432 postgres:16.2\n```",
    "```yaml\nimage: nginx:1.25.3\nreplicas: 3\ntimeout: 30s\n```",
    "```\nsha256: 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b\n```",
    "```java\nlong serial = 12345678901L; int[] ids = {2021, 0404, 1999};\n```",
    "```\nnode v18.17.1, npm 9.6.7, python 3.11.7, cuda 12.1.105\n```",
    "```c\n#define MAGIC 0x5f3759df\nint phone = 5551234;\n```",
]


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def false_alarms(rows, predictions) -> Counter:
    counts: Counter = Counter()
    for row, spans in zip(rows, predictions, strict=True):
        for g in row["spans"]:
            for t, s, e in spans:
                if not overlap(s, e, g["start_position"], g["end_position"]):
                    continue
                if g["entity_type"] == "PHONE_NUMBER" and t == "UK_NHS":
                    counts["UK_NHS on a phone number"] += 1
                elif g["entity_type"] == "CREDIT_CARD" and t == "DATE_TIME":
                    counts["DATE_TIME inside a card number"] += 1
                elif g["entity_type"] == "EMAIL_ADDRESS" and t in ("ORGANIZATION", "URL", "PERSON"):
                    counts[f"{t} on an e-mail address"] += 1
    return counts


def _records_from_alpaca(n: int):
    import gzip

    path = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = json.load(handle)[:n]
    return [[f"{r['instruction']}\n\n{r['input']}".strip(), r["output"] or "(empty)"] for r in rows]


def _make_records(conversations):
    from curator.records import InstructionRecord

    return [
        InstructionRecord.model_validate(
            {
                "messages": [{"role": "user", "content": c[0]}, {"role": "assistant", "content": c[1]}],
                "provenance": {"source": "bench", "row": i},
            }
        )
        for i, c in enumerate(conversations)
    ]


def cpu_best_of(repeats: int, prepare, function) -> float:
    """Least CPU seconds of ``function(prepare())`` over ``repeats`` runs (``prepare`` untimed)."""
    times = []
    for _ in range(repeats):
        argument = prepare()
        started = time.process_time()
        function(argument)
        times.append(time.process_time() - started)
    return min(times)


def accuracy_table(console, title, mine, base) -> None:
    table = Table(title=title)
    columns = (
        "type",
        "gold",
        "ours R",
        "ours P",
        "survive",
        "partial",
        "Presidio R",
        "Presidio P",
        "survive ",
    )
    for column in (*columns, "goal (survive)"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for t in E.TYPES:
        m, b = mine["types"][t], base["types"][t]
        if not m["gold"]:
            continue
        goal = E.SURVIVAL_GOALS[t]
        ok = m["survival"] <= goal + 1e-9
        table.add_row(
            t,
            str(m["gold"]),
            _fmt(m["recall"]),
            _fmt(m["precision"]),
            _pct(m["survival"]),
            _pct(m["partial"]),
            _fmt(b["recall"]),
            _fmt(b["precision"]),
            _pct(b["survival"]),
            f"≤ {goal:.0%}" + ("" if ok else " [red]missed[/red]"),
        )
    table.caption = (
        f"records keeping a gold value: ours {mine['leaking_records']}/{mine['records']}, "
        f"Presidio {base['leaking_records']}/{base['records']}"
    )
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--alpaca", type=int, default=600, help="Alpaca records for the throughput run")
    parser.add_argument("--model", default="en_core_web_sm")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--only",
        default="accuracy,probes,alarms,throughput",
        help="comma-separated parts to run (accuracy, probes, alarms, throughput); default all",
    )
    args = parser.parse_args()
    console = Console(width=140)
    if not args.data.exists():
        console.print(f"[red]{args.data} not found[/red] (../shared/data is only in the project's workspace)")
        return 2
    from curator.pii.models import find_model

    model = find_model(args.model)
    presidio = E.presidio_default(model)
    presidio.analyze("warm up", language="en")
    p_dev, p_held = E.load_presidio(args.data)
    g_held = E.load_generated("heldout")
    g2_held = E.load_generated("heldout", 2)
    g4_held = E.load_generated("heldout", 4)
    sets = {
        "presidio synth, held-out templates": p_held,
        "generated, held-out (all)": g_held,
        "generated, held-out, Faker values": [r for r in g_held if r["source"] == "faker"],
        "generated, held-out, mimesis values": [r for r in g_held if r["source"] == "mimesis"],
        "generated round 2, held-out (all)": g2_held,
        "generated round 2, held-out, mimesis values": [r for r in g2_held if r["source"] == "mimesis"],
        "generated round 4, held-out (all)": g4_held,
        "generated round 4, held-out, mimesis values": [r for r in g4_held if r["source"] == "mimesis"],
        "presidio synth, dev templates": p_dev,
        "generated, dev": E.load_generated("dev"),
        "generated round 2, dev": E.load_generated("dev", 2),
        "generated round 3 (lone names), dev": E.load_generated("dev", 3),
        "generated round 4 (non-US addresses, lower-case and listed names), dev": E.load_generated("dev", 4),
    }
    console.print(f"spaCy model {model}; machine load {os.getloadavg()[0]:.1f}")
    figures: dict = {"model": model, "accuracy": {}, "probes": {}, "throughput": {}}
    parts = set(args.only.split(","))
    for title, rows in sets.items() if "accuracy" in parts else ():
        texts = [r["text"] for r in rows]
        mine = E.score(rows, *E.ours(texts, args.model))
        base = E.score(rows, *E.presidio_run(presidio, texts))
        figures["accuracy"][title] = {"ours": mine, "presidio_default": base}
        accuracy_table(console, f"{title}: {len(rows):,} rows", mine, base)

    table = Table(
        title="False-alarm probes: real Alpaca sentences with no personal data (share with a finding)"
    )
    for column in ("probes", "n", "ours: any", "ours: PERSON", "Presidio: any", "Presidio: PERSON"):
        table.add_column(column, justify="left" if column == "probes" else "right")
    for source, part in (
        [*[(s, p) for s in ("alpaca", "dolly") for p in ("heldout", "dev")], ("selfinstruct", "heldout")]
        if "probes" in parts
        else ()
    ):
        probes = E.load_probes(part, source)
        texts = [p["text"] for p in probes]
        mine = E.probe_rate(probes, E.ours(texts, args.model)[0])
        base = E.probe_rate(probes, E.presidio_run(presidio, texts)[0])
        figures["probes"][f"{source} {part}"] = {"ours": mine, "presidio_default": base}
        table.add_row(
            f"{source} {part}",
            str(mine["probes"]),
            _pct(mine["any_finding"]),
            _pct(mine["person"]),
            _pct(base["any_finding"]),
            _pct(base["person"]),
        )
    if "probes" in parts:
        console.print(table)
        foreign_rows(console, args, presidio, figures)
    if "alarms" in parts:
        other_false_alarms(console, args, presidio, figures)
    if "throughput" in parts:
        throughput(console, args, presidio, figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=float))
    return 0


def foreign_rows(console, args, presidio, figures) -> None:
    """Non-English rows with no language label: how many reach the English model, and get names."""
    rows = E.load_foreign()
    if not rows:
        console.print("foreign-language rows: ../shared/data/instructions/hplt_prompts not found, skipped")
        return
    texts = [r["text"] for r in rows]
    from curator.pii.engine import EngineSettings, PIIEngine

    ours = PIIEngine(EngineSettings(models={"en": args.model})).load().analyze(texts)
    english = sum(r.mode == "nlp" for r in ours)
    person = sum(any(s.type == "PERSON" for s in r.spans) for r in ours)
    theirs = sum(any(r.entity_type == "PERSON" for r in presidio.analyze(t, language="en")) for t in texts)
    console.print(
        f"Foreign-language rows (HPLT prompts, 10 languages, no language label): {len(rows)}; "
        f"ours: {english} read by the English model, {person} with a PERSON; "
        f"Presidio default: {theirs} with a PERSON"
    )
    figures["foreign_rows"] = {
        "rows": len(rows),
        "english_model": english,
        "person": person,
        "presidio": theirs,
    }


def other_false_alarms(console, args, presidio, figures) -> None:
    from curator.pii.engine import EngineSettings, PIIEngine

    rows = json.loads(args.data.read_text(encoding="utf-8"))
    texts = [r["full_text"] for r in rows]
    extended = PIIEngine(
        EngineSettings(
            entities=(*EngineSettings().entities, "UK_NHS", "DATE_TIME", "ORGANIZATION"),
            models={"en": args.model},
        )
    ).load()
    theirs_pred = [
        [(r.entity_type, r.start, r.end) for r in presidio.analyze(t, language="en")] for t in texts
    ]
    extended_pred = [[(s.type, s.start, s.end) for s in r.spans] for r in extended.analyze(texts)]
    code_theirs = sum(len(presidio.analyze(p, language="en")) for p in CODE_PROBES)
    code_ours = sum(len(r.spans) for r in extended.analyze(CODE_PROBES))
    fa_theirs, fa_ours = false_alarms(rows, theirs_pred), false_alarms(rows, extended_pred)
    fa_theirs["findings inside code blocks (12 probes)"] = code_theirs
    fa_ours["findings inside code blocks (12 probes)"] = code_ours
    table = Table(
        title="Other false alarms on the synth set (ours with UK_NHS, DATE_TIME, ORGANIZATION on too)"
    )
    for column in ("false alarm", "Presidio default", "ours"):
        table.add_column(column, justify="left" if column == "false alarm" else "right")
    for key in sorted(set(fa_theirs) | set(fa_ours)):
        table.add_row(key, str(fa_theirs[key]), str(fa_ours[key]))
    console.print(table)
    figures["false_alarms"] = {"presidio_default": dict(fa_theirs), "ours": dict(fa_ours)}


def throughput(console, args, presidio, figures) -> None:
    """CPU time in this process: Presidio's per-text analyze() loop vs our stage's process()."""
    from curator.stages.pii import PIIConfig, PIIStage

    rows = json.loads(args.data.read_text(encoding="utf-8"))
    texts = [r["full_text"] for r in rows]
    stage = PIIStage(PIIConfig(model=args.model))
    stage.setup()
    workloads = {
        f"presidio synth ({len(texts):,} records, one message each)": [[t, "ok"] for t in texts],
    }
    alpaca_path = ROOT.parent / "shared" / "data" / "instructions" / "alpaca_52k_en.json.gz"
    if args.alpaca and alpaca_path.exists():
        workloads[f"Alpaca ({args.alpaca:,} records, instruction+input / output)"] = _records_from_alpaca(
            args.alpaca
        )
    table = Table(title=f"Throughput, CPU seconds (best of {args.repeats}; load {os.getloadavg()[0]:.1f})")
    for column in ("records", "Presidio analyze() loop", "ours: pii stage (redact)", "× Presidio"):
        table.add_column(column, justify="left" if column == "records" else "right")
    for name, conversations in workloads.items():

        def presidio_loop(convs):
            for c in convs:
                for text in c:
                    presidio.analyze(text, language="en")

        loop = cpu_best_of(args.repeats, lambda c=conversations: c, presidio_loop)
        ours_s = cpu_best_of(
            args.repeats, lambda c=conversations: _make_records(c), lambda records: stage.process(records)
        )
        table.add_row(name, f"{loop:.2f}", f"{ours_s:.2f}", f"{loop / ours_s:.1f}×")
        figures["throughput"][name] = {
            "presidio_loop_cpu_s": loop,
            "ours_cpu_s": ours_s,
            "ratio": loop / ours_s,
        }
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=float))
    return 0


def _pct(value: float) -> str:
    return "–" if value != value else f"{value:.1%}"


def _fmt(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"  # NaN: no gold spans of the type in the split


if __name__ == "__main__":
    raise SystemExit(main())
